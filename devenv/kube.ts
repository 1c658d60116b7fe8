/**
 * @module devenv/kube
 * A tiny raw-JSON Kubernetes client for tests and the environment itself (client-certificate auth over
 * node:https). Production code has its own client in functions/adapters; this one only serves the harness.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';

export interface KubeAccess {
  readonly server: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export class KubeClient {
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;

  public constructor(private readonly access: KubeAccess) {
    this.ca = readFileSync(access.caFile);
    this.cert = readFileSync(access.certFile);
    this.key = readFileSync(access.keyFile);
  }

  /** One request; JSON body in and out. Never throws for HTTP errors: check `status`. */
  public async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse> {
    const url = new URL(path, this.access.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          cert: this.cert,
          key: this.key,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': contentType } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  public get(path: string): Promise<KubeResponse> {
    return this.request('GET', path);
  }

  /**
   * The status code a watch of `path` (a collection) is answered with, the connection closed as soon as it is
   * known: 200 once the API server's watch cache for that resource serves, 429 while it is still starting.
   */
  public watchStatus(path: string): Promise<number> {
    const url = new URL(`${path}?watch=1&resourceVersion=0&timeoutSeconds=1`, this.access.server);
    return new Promise((resolve, reject) => {
      const req = request(url, { ca: this.ca, cert: this.cert, key: this.key, timeout: 10_000 }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('timeout', () => req.destroy(new Error(`watch ${path}: timed out`)));
      req.on('error', (error) => {
        reject(error);
      });
      req.end();
    });
  }

  /**
   * Watch a collection (`path`, with `query` such as a field selector) from now on: resolves once the API server
   * answered the watch, with `until`, which resolves with the first object an event carries that `done` accepts
   * (and closes the watch), or rejects after `timeoutMs`. For timings finer than polling gives.
   */
  public async watchFrom(
    path: string,
    query: string,
    done: (object: unknown) => boolean,
    timeoutMs: number,
  ): Promise<{ readonly until: Promise<unknown> }> {
    const url = new URL(`${path}?watch=1&${query}`, this.access.server);
    return new Promise((resolveStarted, rejectStarted) => {
      let settle: { resolve: (o: unknown) => void; reject: (e: Error) => void } | undefined;
      const until = new Promise<unknown>((resolve, reject) => {
        settle = { resolve, reject };
      });
      const timer = setTimeout(() => {
        req.destroy();
        settle?.reject(new Error(`watch ${path}: nothing accepted within ${timeoutMs} ms`));
      }, timeoutMs);
      const req = request(url, { ca: this.ca, cert: this.cert, key: this.key }, (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          rejectStarted(new Error(`watch ${path}: HTTP ${res.statusCode ?? 0}`));
          req.destroy();
          return;
        }
        resolveStarted({ until });
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf('\n');
            const event: unknown = JSON.parse(line);
            const object =
              typeof event === 'object' && event !== null && 'object' in event ? event.object : undefined;
            if (done(object)) {
              clearTimeout(timer);
              settle?.resolve(object);
              req.destroy();
              return;
            }
          }
        });
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        rejectStarted(error);
        settle?.reject(error);
      });
      req.end();
    });
  }

  public create(path: string, body: unknown): Promise<KubeResponse> {
    return this.request('POST', path, body);
  }

  /** Server-side apply (`fieldManager`, optional force). */
  public apply(
    path: string,
    body: unknown,
    fieldManager = 'gantry-test',
    force = false,
  ): Promise<KubeResponse> {
    return this.request(
      'PATCH',
      `${path}?fieldManager=${fieldManager}${force ? '&force=true' : ''}`,
      body,
      'application/apply-patch+yaml',
    );
  }

  public put(path: string, body: unknown): Promise<KubeResponse> {
    return this.request('PUT', path, body);
  }

  public delete(path: string): Promise<KubeResponse> {
    return this.request('DELETE', path);
  }
}
