/**
 * @module hosts/http-app
 * The express 5 app of `gantry serve` (and `gantry run --serve`): raw bodies capped at 1 MiB before any parsing,
 * every route but `/metrics` and the web console (`/console/`, when mounted) answered by the core router, served over
 * TLS (plain HTTP only behind a TLS proxy).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import { refuseAdmissionCaller } from '../../webhooks/admission-auth.js';
import { normaliseHeaders, MAX_BODY_BYTES, type HttpRequest } from '../../webhooks/http.js';
import { handleRequest, type RouterDeps } from '../../webhooks/router.js';
import type { EngineMetrics } from '../adapters/metrics.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /**
   * PEM of the CA that signs the API server's admission client certificate: clients are asked for a certificate,
   * and one that chains to this CA is `verified` (none is refused at the TLS level: a token may still pass).
   */
  readonly clientCA?: string;
}

/** The client certificate of a TLS connection: whether it chains to the client CA, its CN and SANs. */
function clientCertificate(req: Request): HttpRequest['clientCertificate'] {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate();
  if (Object.keys(cert).length === 0) return undefined;
  const cn = cert.subject.CN;
  const sans = (cert.subjectaltname ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter((s) => s !== '');
  return { verified: socket.authorized, names: [...(typeof cn === 'string' ? [cn] : []), ...sans] };
}

function toRequest(req: Request, body: Uint8Array = new Uint8Array()): HttpRequest {
  const cert = clientCertificate(req);
  return {
    method: req.method,
    path: req.path,
    headers: normaliseHeaders(req.headers),
    body,
    ...(cert !== undefined ? { clientCertificate: cert } : {}),
  };
}

export interface AppOptions {
  /** Serve `/metrics` on this listener too (default false: the webhook listener is reachable by callers). */
  readonly metrics?: boolean;
  /** The web console, mounted at `/console/` (its own sign-in, body limits and rate limits). */
  readonly console?: { serve(req: IncomingMessage, res: ServerResponse): void };
}

/** The app: core routes, and `/metrics` when asked for. */
export function createApp(
  deps: RouterDeps,
  metrics: EngineMetrics,
  options: AppOptions = {},
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (options.metrics === true)
    app.get('/metrics', (_req, res) => {
      void metrics.registry.metrics().then((text) => {
        res.type(metrics.registry.contentType).send(text);
      });
    });
  const mounted = options.console;
  if (mounted !== undefined)
    app.use('/console', (req, res) => {
      res.on('finish', () => {
        metrics.httpRequest('/console', res.statusCode);
      });
      // The page's URLs are relative to /console/.
      if (req.originalUrl === '/console' || req.originalUrl.startsWith('/console?')) {
        res.redirect(308, '/console/');
        return;
      }
      mounted.serve(req, res);
    });
  // An admission caller without the configured credentials is refused before its body is read.
  app.use((req, res, next) => {
    const auth = deps.admissionAuth;
    const refused =
      auth !== undefined && req.path.startsWith('/webhooks/')
        ? refuseAdmissionCaller(toRequest(req), auth)
        : undefined;
    if (refused === undefined) {
      next();
      return;
    }
    metrics.httpRequest(req.path, 401);
    res.status(401).set('connection', 'close').json({ error: refused });
  });
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use((req, res, next) => {
    const body: unknown = req.body;
    handleRequest(toRequest(req, body instanceof Uint8Array ? body : undefined), deps).then(
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
      : createServer(
          {
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2',
            ...(tls.clientCA !== undefined
              ? { ca: tls.clientCA, requestCert: true, rejectUnauthorized: false }
              : {}),
          },
          app,
        );
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
