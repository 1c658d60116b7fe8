/**
 * @module adapters/kube/client
 * Gantry's raw-JSON Kubernetes client (docs/architecture.md, "Dependencies"): `@kubernetes/client-node` only loads the kubeconfig and
 * supplies auth and TLS; requests go over node:https with a keep-alive agent, bodies stay raw JSON (no
 * generated models that drop unknown fields). Discovery with a REST-mapping cache refreshed on a miss,
 * server-side apply with field manager `package-operator`, status writes, deletes with preconditions, typed
 * errors (shared/kube-errors.ts), `Retry-After` honoured, User-Agent `gantry/<version>` on every request.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';
import { isRecord, parseKubeObject, refOf } from '../../../shared/api/objects.js';
import { FIELD_MANAGER } from '../../../shared/api/constants.js';
import { KubeApiError, KubeUnavailableError, reasonOf } from '../../../shared/kube-errors.js';
import type {
  DeletePreconditions,
  KubeApi,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
} from '../../../shared/ports.js';
import { AGGREGATED_DISCOVERY_ACCEPT, CORE_V1_KINDS, parseAggregatedDiscovery } from './discovery.js';

export const GANTRY_VERSION = '0.1.0';
export const USER_AGENT = `gantry/${GANTRY_VERSION}`;

/** Connection details: the server URL plus what node:https needs for TLS and auth. */
export interface KubeConnection {
  readonly server: string;
  /** Re-read before requests at most every `authRefreshMs` (rotating tokens, exec plugins). */
  readonly auth: () => Promise<
    Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'headers' | 'rejectUnauthorized'>
  >;
}

/** Observes every request: for the metrics of the hosts (and its path, for tests that count requests). */
export type RequestObserver = (verb: string, code: number, ms: number, path: string) => void;

export interface KubeClientOptions {
  readonly observe?: RequestObserver;
  readonly requestTimeoutMs?: number;
  readonly authRefreshMs?: number;
  /** Most parallel connections to the server. */
  readonly maxSockets?: number;
  /**
   * Discover every API group at once (`GET /apis`, aggregated discovery) on the first lookup of a non-core group
   * version, instead of one request per group version: for long-running hosts, which look up many. A group version
   * the answer does not hold is a miss until the usual refresh (5 s), then asked for alone.
   */
  readonly aggregatedDiscovery?: boolean;
}

interface RawResponse {
  readonly status: number;
  readonly text: string;
  readonly headers: IncomingMessage['headers'];
}

const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const DISCOVERY_MISS_REFRESH_MS = 5_000;
/** Objects per page of a LIST (the API server serves pages of a consistent LIST from its watch cache). */
const LIST_PAGE = 500;

/** The server's `Retry-After` (seconds or an HTTP date) in ms; 1 s when it names none. */
export function retryAfterMs(headers: IncomingMessage['headers'], now = Date.now()): number {
  const value = headers['retry-after'];
  if (typeof value !== 'string') return 1000;
  const seconds = /^\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : Number.NaN;
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) && at > now ? at - now : 1000;
}

function statusOf(text: string): { message?: string; reason?: string } {
  try {
    const body: unknown = JSON.parse(text);
    if (!isRecord(body)) return {};
    return {
      ...(typeof body['message'] === 'string' ? { message: body['message'] } : {}),
      ...(typeof body['reason'] === 'string' ? { reason: body['reason'] } : {}),
    };
  } catch {
    return {};
  }
}

/** Turn a failed response into the typed error the steps act on. */
export function errorFor(method: string, path: string, response: RawResponse): Error {
  const status = statusOf(response.text);
  // The API server's own Status message; any other answer (a proxy's page, an aggregated API server's text) is
  // named by its status only, never echoed.
  const message =
    status.message ?? `${method} ${path}: HTTP ${response.status} (the answer is not a Kubernetes Status)`;
  if (response.status === 429 || response.status >= 500)
    return new KubeUnavailableError(message, retryAfterMs(response.headers), {
      serverAsked: response.headers['retry-after'] !== undefined,
    });
  return new KubeApiError(message, response.status, reasonOf(response.status, status.reason));
}

function parseObject(text: string, what: string): KubeObject {
  const parsed = parseKubeObject(JSON.parse(text));
  if (parsed === undefined) throw new KubeUnavailableError(`${what}: the server sent no object`, 1000);
  return parsed;
}

/** The auth headers (a bearer token) client-node put on the options, as a plain record. */
function headersOf(auth: Pick<RequestOptions, 'headers'>): Record<string, string> {
  const out: Record<string, string> = {};
  const h = auth.headers;
  if (h === undefined || Array.isArray(h)) return out;
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Most characters one watch event line may have (an object is at most about 1.5 MiB in etcd, JSON escapes add). */
export const MAX_WATCH_LINE = 8 * 1024 * 1024;

/** The error an ERROR event of a watch carries (a `Status`): 410 / Expired is Gone (relist), the rest by code. */
function watchError(status: unknown, path: string): Error {
  const s = isRecord(status) ? status : {};
  const code = typeof s['code'] === 'number' ? s['code'] : 500;
  if (code === 410 || s['reason'] === 'Expired' || s['reason'] === 'Gone')
    return new KubeApiError(
      typeof s['message'] === 'string' ? s['message'] : `WATCH ${path}: expired`,
      410,
      'Gone',
    );
  return errorFor('WATCH', path, { status: code, text: JSON.stringify(s), headers: {} });
}

/**
 * The events of a watch stream, one JSON object a line, from chunks as they arrive. Throws the error of an ERROR
 * event, and KubeUnavailableError for a line that is not an event or is longer than {@link MAX_WATCH_LINE}
 * (never echoing what was received).
 */
export class WatchDecoder {
  private buffer = '';

  public constructor(private readonly path: string) {}

  /** Feed a chunk; `onEvent` gets every complete event in order, until the first bad line throws. */
  public push(chunk: string, onEvent: (type: string, object: unknown) => void): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== '') {
        const event = this.decode(line);
        onEvent(event.type, event.object);
      }
      nl = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_WATCH_LINE)
      throw new KubeUnavailableError(
        `WATCH ${this.path}: an event longer than ${MAX_WATCH_LINE} characters`,
        1000,
      );
  }

  private decode(line: string): { type: string; object: unknown } {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new KubeUnavailableError(`WATCH ${this.path}: a line that is not JSON`, 1000);
    }
    if (!isRecord(event) || typeof event['type'] !== 'string')
      throw new KubeUnavailableError(`WATCH ${this.path}: an event without a type`, 1000);
    if (event['type'] === 'ERROR') throw watchError(event['object'], this.path);
    return { type: event['type'], object: event['object'] };
  }
}

/** What a watch needs besides the collection path. */
export interface WatchRequest {
  readonly path: string;
  /**
   * Where the watch starts; the word `initialEvents`: the API server first sends every object there is as ADDED, then a
   * BOOKMARK annotated `k8s.io/initial-events-end` (Kubernetes' streaming list, `sendInitialEvents`): one request
   * instead of a LIST and a WATCH, and no answer that holds every object of the kind at once.
   */
  readonly resourceVersion: string;
  readonly labelSelector?: string;
  /** `metadata.name=<name>`: one object's watch (authorized by RBAC `resourceNames`). */
  readonly fieldSelector?: string;
  readonly timeoutSeconds: number;
  readonly signal: AbortSignal;
}

function query(params: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
}

/** What a client and the clients derived from it for other identities share: connections, auth, discovery. */
/** The connection's credentials as requests use them, with the TLS context built from them (https only). */
type AuthOptions = Awaited<ReturnType<KubeConnection['auth']>> & { readonly secureContext?: SecureContext };

interface ClientState {
  /** Requests: at most `maxSockets` connections at once. */
  readonly agent: Agent;
  /**
   * Watches, each holding its connection for as long as it runs: never from the request pool, or a host watching
   * as many kinds as the pool has sockets could make no other request at all.
   */
  readonly watchAgent: Agent;
  authCache: { value: AuthOptions; at: number } | undefined;
  readonly discovery: Map<string, { at: number; resources: Map<string, ResourceInfo> }>;
  /** Discovery requests under way, by group version: callers that ask at once share one request. */
  readonly discovering: Map<string, Promise<Map<string, ResourceInfo>>>;
  /** The aggregated discovery (options.aggregatedDiscovery): under way or done, once per client. */
  aggregated: Promise<number | undefined> | undefined;
  version: string | undefined;
}

/** The raw client. */
export class RawKubeClient implements KubeApi {
  private readonly state: ClientState;
  /** The user every request impersonates (`Impersonate-User`); undefined: the connection's own identity. */
  private readonly user: string | undefined;

  /** `derived` is for {@link RawKubeClient.impersonating} only. */
  public constructor(
    private readonly connection: KubeConnection,
    private readonly options: KubeClientOptions = {},
    derived?: { readonly state: ClientState; readonly user: string },
  ) {
    this.state = derived?.state ?? {
      agent: new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 }),
      watchAgent: new Agent({ keepAlive: true }),
      authCache: undefined,
      discovery: new Map(),
      discovering: new Map(),
      aggregated: undefined,
      version: undefined,
    };
    this.user = derived?.user;
  }

  /**
   * A client whose requests the API server authorizes as `user` (the `Impersonate-User` header; for a ServiceAccount
   * the server adds its groups and `system:authenticated` itself, so the engine needs `impersonate` on
   * `serviceaccounts` only). Cheap: connections, auth and discovery are this client's.
   */
  public impersonating(user: string): RawKubeClient {
    return new RawKubeClient(this.connection, this.options, { state: this.state, user });
  }

  /** Closes the connections (of the derived clients too); a derived client leaves them to its origin. */
  public close(): void {
    if (this.user !== undefined) return;
    this.state.agent.destroy();
    this.state.watchAgent.destroy();
  }

  private get agent(): Agent {
    return this.state.agent;
  }

  private identityHeaders(): Record<string, string> {
    return this.user === undefined ? {} : { 'impersonate-user': this.user };
  }

  /**
   * The connection's credentials, re-read at most every `authRefreshMs`, with one TLS context built from them: each
   * new connection would otherwise parse the CA and client certificate again (a millisecond or more each, and a
   * host opens a dozen at its first install). The agent still names its pooled connections by ca/cert/key, so
   * rotated credentials get new connections.
   */
  private async authOptions(): Promise<AuthOptions> {
    const now = Date.now();
    let cached = this.state.authCache;
    if (cached === undefined || now - cached.at > (this.options.authRefreshMs ?? 60_000)) {
      const value = await this.connection.auth();
      const previous = cached?.value;
      const same =
        previous !== undefined &&
        previous.ca === value.ca &&
        previous.cert === value.cert &&
        previous.key === value.key;
      const secureContext =
        same && previous.secureContext !== undefined
          ? previous.secureContext
          : this.connection.server.startsWith('https:')
            ? createSecureContext({
                ...(value.ca !== undefined ? { ca: value.ca } : {}),
                ...(value.cert !== undefined ? { cert: value.cert } : {}),
                ...(value.key !== undefined ? { key: value.key } : {}),
              })
            : undefined;
      cached = { value: { ...value, ...(secureContext !== undefined ? { secureContext } : {}) }, at: now };
      this.state.authCache = cached;
    }
    return cached.value;
  }

  /** One request; resolves with any HTTP status, rejects only on network failure (as KubeUnavailableError). */
  public async raw(
    method: string,
    path: string,
    body?: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<RawResponse> {
    const auth = await this.authOptions();
    const url = new URL(path, this.connection.server);
    const started = Date.now();
    const send = url.protocol === 'http:' ? httpRequest : request;
    try {
      const response = await new Promise<RawResponse>((resolve, reject) => {
        const req = send(
          url,
          {
            ...auth,
            method,
            ...(url.protocol === 'https:' ? { agent: this.agent } : {}),
            headers: {
              ...headersOf(auth),
              accept: 'application/json',
              'user-agent': USER_AGENT,
              // DELETE bodies are not chunked by node: without a length the server would read them as the next request.
              ...(body !== undefined
                ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
                : {}),
              ...headers,
              ...this.identityHeaders(),
            },
            timeout: this.options.requestTimeoutMs ?? 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => {
              chunks.push(c);
            });
            res.on('error', reject);
            res.on('end', () => {
              resolve({
                status: res.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
                headers: res.headers,
              });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: no answer in time`)));
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
      });
      this.options.observe?.(method, response.status, Date.now() - started, url.pathname);
      return response;
    } catch (error) {
      this.options.observe?.(method, 0, Date.now() - started, url.pathname);
      throw new KubeUnavailableError(
        `${method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
        1000,
        { cause: error },
      );
    }
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const response = await this.raw(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      headers,
    );
    if (response.status < 200 || response.status >= 300) throw errorFor(method, path, response);
    return response.text;
  }

  private static groupVersionPath(apiVersion: string): string {
    return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  }

  private async loadGroupVersion(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const response = await this.raw('GET', RawKubeClient.groupVersionPath(apiVersion));
    const resources = new Map<string, ResourceInfo>();
    if (response.status === 404) return resources;
    if (response.status < 200 || response.status >= 300) throw errorFor('GET', apiVersion, response);
    const body: unknown = JSON.parse(response.text);
    const list = isRecord(body) && Array.isArray(body['resources']) ? body['resources'] : [];
    for (const r of list) {
      if (!isRecord(r) || typeof r['name'] !== 'string' || typeof r['kind'] !== 'string') continue;
      if (r['name'].includes('/')) continue;
      resources.set(r['kind'], { plural: r['name'], namespaced: r['namespaced'] === true });
    }
    return resources;
  }

  /**
   * Every group version of `GET /apis` into the discovery cache; resolves to when it was asked (undefined: the server
   * offers no aggregated discovery, or it failed: group versions are then asked for one by one).
   */
  private async loadAggregated(): Promise<number | undefined> {
    const at = Date.now();
    try {
      const response = await this.raw('GET', '/apis', undefined, { accept: AGGREGATED_DISCOVERY_ACCEPT });
      if (response.status < 200 || response.status >= 300) return undefined;
      const groups = parseAggregatedDiscovery(JSON.parse(response.text));
      if (groups === undefined) return undefined;
      for (const [groupVersion, resources] of groups)
        if (!this.state.discovery.has(groupVersion))
          this.state.discovery.set(groupVersion, { at, resources });
      return at;
    } catch {
      return undefined;
    }
  }

  public async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (apiVersion === 'v1') {
      const core = CORE_V1_KINDS.get(kind);
      if (core !== undefined) return core;
    }
    if (this.options.aggregatedDiscovery === true && apiVersion.includes('/')) {
      this.state.aggregated ??= this.loadAggregated();
      const at = await this.state.aggregated;
      // Not in the answer: no such group version, until the refresh.
      if (
        at !== undefined &&
        !this.state.discovery.has(apiVersion) &&
        Date.now() - at < DISCOVERY_MISS_REFRESH_MS
      )
        return undefined;
    }
    const cached = this.state.discovery.get(apiVersion);
    const hit = cached?.resources.get(kind);
    if (hit !== undefined) return hit;
    if (cached !== undefined && Date.now() - cached.at < DISCOVERY_MISS_REFRESH_MS) return undefined;
    let loading = this.state.discovering.get(apiVersion);
    if (loading === undefined) {
      loading = this.loadGroupVersion(apiVersion).finally(() => this.state.discovering.delete(apiVersion));
      this.state.discovering.set(apiVersion, loading);
    }
    const resources = await loading;
    this.state.discovery.set(apiVersion, { at: Date.now(), resources });
    return resources.get(kind);
  }

  private async mapping(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.resource(apiVersion, kind);
    if (info === undefined)
      throw new KubeApiError(`no matches for kind "${kind}" in version "${apiVersion}"`, 404, 'NotFound');
    return info;
  }

  /** The collection path of a kind in a namespace ('' = all namespaces or cluster scope). */
  public async collectionPath(apiVersion: string, kind: string, namespace: string): Promise<string> {
    const info = await this.mapping(apiVersion, kind);
    const base = RawKubeClient.groupVersionPath(apiVersion);
    return info.namespaced && namespace !== ''
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
      : `${base}/${info.plural}`;
  }

  private async objectPath(ref: ObjectRef): Promise<string> {
    return `${await this.collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  public async get(ref: ObjectRef): Promise<KubeObject> {
    return parseObject(await this.call('GET', await this.objectPath(ref)), `GET ${ref.kind} ${ref.name}`);
  }

  public async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options: ListOptions = {},
  ): Promise<KubeObject[]> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    const items: KubeObject[] = [];
    let next: string | undefined;
    do {
      const text = await this.call(
        'GET',
        `${path}${query({ labelSelector: options.labelSelector, limit: String(LIST_PAGE), continue: next })}`,
        undefined,
        options.metadataOnly === true ? { accept: METADATA_LIST_ACCEPT } : {},
      );
      const body: unknown = JSON.parse(text);
      const raw = isRecord(body) && Array.isArray(body['items']) ? body['items'] : [];
      for (const item of raw) {
        const parsed = parseKubeObject(isRecord(item) ? { ...item, apiVersion, kind } : item);
        if (parsed !== undefined) items.push(parsed);
      }
      const cont = isRecord(body)
        ? isRecord(body['metadata'])
          ? body['metadata']['continue']
          : undefined
        : undefined;
      next = typeof cont === 'string' && cont !== '' ? cont : undefined;
    } while (next !== undefined);
    return items;
  }

  public async apply(
    object: KubeObject,
    options: { readonly force?: boolean; readonly dryRun?: boolean } = {},
  ): Promise<KubeObject> {
    const path = await this.objectPath(refOf(object));
    const q = query({
      fieldManager: FIELD_MANAGER,
      force: options.force === true ? 'true' : undefined,
      dryRun: options.dryRun === true ? 'All' : undefined,
    });
    const text = await this.call('PATCH', `${path}${q}`, object, {
      'content-type': 'application/apply-patch+yaml',
    });
    return parseObject(text, `apply ${object.kind} ${object.metadata.name}`);
  }

  public async create(object: KubeObject): Promise<KubeObject> {
    const path = await this.collectionPath(object.apiVersion, object.kind, object.metadata.namespace ?? '');
    return parseObject(
      await this.call('POST', `${path}${query({ fieldManager: FIELD_MANAGER })}`, object),
      `create ${object.kind} ${object.metadata.name}`,
    );
  }

  /** PUT of the object (or of one of its subresources), with our field manager. */
  private async put(object: KubeObject, subresource: '' | '/status', what: string): Promise<KubeObject> {
    const path = await this.objectPath(refOf(object));
    const text = await this.call(
      'PUT',
      `${path}${subresource}${query({ fieldManager: FIELD_MANAGER })}`,
      object,
    );
    return parseObject(text, `${what} ${object.kind} ${object.metadata.name}`);
  }

  public async update(object: KubeObject): Promise<KubeObject> {
    return this.put(object, '', 'update');
  }

  public async updateStatus(object: KubeObject): Promise<KubeObject> {
    return this.put(object, '/status', 'status of');
  }

  public async mergePatch(ref: ObjectRef, patch: unknown): Promise<KubeObject> {
    const path = await this.objectPath(ref);
    return parseObject(
      await this.call('PATCH', `${path}${query({ fieldManager: FIELD_MANAGER })}`, patch, {
        'content-type': 'application/merge-patch+json',
      }),
      `patch ${ref.kind} ${ref.name}`,
    );
  }

  public async delete(
    ref: ObjectRef,
    options: { readonly preconditions?: DeletePreconditions; readonly propagationPolicy?: string } = {},
  ): Promise<void> {
    const path = await this.objectPath(ref);
    await this.call('DELETE', path, {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'DeleteOptions',
      ...(options.preconditions !== undefined ? { preconditions: options.preconditions } : {}),
      ...(options.propagationPolicy !== undefined ? { propagationPolicy: options.propagationPolicy } : {}),
    });
  }

  public async serverVersion(): Promise<string> {
    if (this.state.version !== undefined) return this.state.version;
    const body: unknown = JSON.parse(await this.call('GET', '/version'));
    const v = isRecord(body) && typeof body['gitVersion'] === 'string' ? body['gitVersion'] : 'v0.0.0';
    this.state.version = v;
    return v;
  }

  /**
   * A watch stream of a collection from `resourceVersion`: calls `onEvent` per event, resolves when the
   * server ends the stream (or `signal` aborts). An ERROR event rejects with the error it carries (a 410 / Expired
   * as KubeApiError reason Gone); a malformed or oversized line rejects with KubeUnavailableError (retry).
   */
  public async watch(watch: WatchRequest, onEvent: (type: string, object: unknown) => void): Promise<void> {
    const { path, resourceVersion, labelSelector, fieldSelector, timeoutSeconds, signal } = watch;
    const auth = await this.authOptions();
    const url = new URL(
      `${path}${query({
        labelSelector,
        fieldSelector,
        watch: '1',
        ...(resourceVersion === 'initialEvents'
          ? { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' }
          : { resourceVersion }),
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(timeoutSeconds),
      })}`,
      this.connection.server,
    );
    const send = url.protocol === 'http:' ? httpRequest : request;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const req = send(
        url,
        {
          ...auth,
          method: 'GET',
          signal,
          ...(url.protocol === 'https:' ? { agent: this.state.watchAgent } : {}),
          headers: {
            ...headersOf(auth),
            accept: 'application/json',
            'user-agent': USER_AGENT,
            ...this.identityHeaders(),
          },
        },
        (res) => {
          if ((res.statusCode ?? 0) !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => {
              chunks.push(c);
            });
            res.on('end', () => {
              reject(
                errorFor('WATCH', url.pathname, {
                  status: res.statusCode ?? 0,
                  text: Buffer.concat(chunks).toString(),
                  headers: res.headers,
                }),
              );
            });
            return;
          }
          this.options.observe?.('WATCH', 200, 0, url.pathname);
          const decoder = new WatchDecoder(url.pathname);
          const fail = (error: Error): void => {
            if (failed) return;
            failed = true;
            req.destroy();
            reject(error);
          };
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (failed) return;
            try {
              decoder.push(chunk, onEvent);
            } catch (error) {
              fail(error instanceof Error ? error : new Error(String(error)));
            }
          });
          res.on('end', () => {
            resolve();
          });
          res.on('close', () => {
            resolve();
          });
          res.on('error', (error) => {
            if (signal.aborted) resolve();
            else reject(error);
          });
        },
      );
      req.on('error', (error) => {
        if (signal.aborted || failed) resolve();
        else
          reject(new KubeUnavailableError(`WATCH ${url.pathname}: ${error.message}`, 1000, { cause: error }));
      });
      req.end();
    });
  }

  /** A LIST returning the collection's resourceVersion too (for a watch to start from). */
  public async listWithVersion(
    path: string,
    labelSelector?: string,
    fieldSelector?: string,
  ): Promise<{ items: unknown[]; resourceVersion: string }> {
    const items: unknown[] = [];
    let rv = '0';
    let next: string | undefined;
    // In pages: the pages of one LIST are one snapshot (the continue token carries its version), and no answer
    // holds every object of a kind at once (10,000 Packages are some 20 MiB of JSON).
    do {
      const text = await this.call(
        'GET',
        `${path}${query({ labelSelector, fieldSelector, limit: String(LIST_PAGE), continue: next })}`,
      );
      const body: unknown = JSON.parse(text);
      if (isRecord(body) && Array.isArray(body['items'])) for (const item of body['items']) items.push(item);
      const meta = isRecord(body) ? body['metadata'] : undefined;
      if (isRecord(meta) && typeof meta['resourceVersion'] === 'string') rv = meta['resourceVersion'];
      const cont = isRecord(meta) ? meta['continue'] : undefined;
      next = typeof cont === 'string' && cont !== '' ? cont : undefined;
    } while (next !== undefined);
    return { items, resourceVersion: rv };
  }
}
