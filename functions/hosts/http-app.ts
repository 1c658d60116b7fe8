/**
 * @module hosts/http-app
 * The express 5 app of `gantry serve` (and `gantry run --serve`): raw bodies capped at 1 MiB before any parsing,
 * every route but `/metrics` answered by the core router, served over TLS (plain HTTP only behind a TLS proxy).
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import { normaliseHeaders, MAX_BODY_BYTES, type HttpRequest } from '../../webhooks/http.js';
import { handleRequest, type RouterDeps } from '../../webhooks/router.js';
import type { EngineMetrics } from '../adapters/metrics.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

function toRequest(req: Request): HttpRequest {
  const body: unknown = req.body;
  return {
    method: req.method,
    path: req.path,
    headers: normaliseHeaders(req.headers),
    body: body instanceof Uint8Array ? body : new Uint8Array(),
  };
}

/** The app: core routes plus `/metrics`. */
export function createApp(deps: RouterDeps, metrics: EngineMetrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', (_req, res) => {
    void metrics.registry.metrics().then((text) => {
      res.type(metrics.registry.contentType).send(text);
    });
  });
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use((req, res, next) => {
    handleRequest(toRequest(req), deps).then(
      (answer) => {
        metrics.httpRequest(req.path, answer.status);
        res.status(answer.status).set(answer.headers).send(answer.body);
      },
      (error: unknown) => {
        next(error);
      },
    );
  });
  // Body-parser errors (413 over the cap, 400 bad encoding) and anything unexpected: an answer, never a crash.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
        ? error.status
        : 500;
    metrics.httpRequest(req.path, status);
    const reason =
      status === 413
        ? `the body is over ${MAX_BODY_BYTES} bytes`
        : status < 500 && error instanceof Error
          ? error.message
          : 'internal error';
    res.status(status).json({ error: reason });
  });
  return app;
}

/**
 * Listen on `host:port` (port 0: any free port) with TLS, or plain HTTP when `tls` is undefined (only behind a
 * proxy that terminates TLS); resolves to the server once it listens.
 */
export async function listen(
  app: express.Express,
  tls: TlsFiles | undefined,
  host: string,
  port: number,
): Promise<Server> {
  const server: Server =
    tls === undefined
      ? createHttpServer(app)
      : createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve();
    });
  });
  return server;
}
