/**
 * The raw client's impersonation against a real HTTP server on 127.0.0.1 that records what it receives: the
 * derived client sends `Impersonate-User` (and nothing else of impersonation), shares discovery with its origin,
 * and turns the server's Forbidden into a typed error with the server's words.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../shared/kube-errors.js';
import { RawKubeClient } from './client.js';

const TENANT = 'system:serviceaccount:shop:tenant';
const CM = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cm' };
const FORBIDDEN = `configmaps "cm" is forbidden: User "${TENANT}" cannot get resource "configmaps" in API group "" in the namespace "shop"`;

const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') {
      res.end(
        JSON.stringify({
          resources: [
            { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
            // A core kind Gantry does not know by heart (as a newer Kubernetes could add one): discovered.
            { name: 'widgets', kind: 'Widget', namespaced: true },
          ],
        }),
      );
      return;
    }
    if (req.headers['impersonate-user'] !== undefined) {
      res.statusCode = 403;
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'Forbidden',
          message: FORBIDDEN,
          code: 403,
        }),
      );
      return;
    }
    res.end(
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function impersonationHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('impersonate-')));
}

describe('RawKubeClient.impersonating', () => {
  it('sends Impersonate-User alone, shares discovery, and reports the server’s Forbidden in its words', async () => {
    const client = new RawKubeClient({
      server: url,
      auth: () => Promise.resolve({ headers: { authorization: 'Bearer engine' } }),
    });
    expect((await client.get(CM)).metadata.name).toBe('cm');
    const tenant = client.impersonating(TENANT);
    const refused = await tenant.get(CM).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({ message: FORBIDDEN, code: 403, reason: 'Forbidden' });
    expect(await client.resource('v1', 'Widget')).toEqual({ plural: 'widgets', namespaced: true });
    expect(await tenant.resource('v1', 'Widget')).toEqual({ plural: 'widgets', namespaced: true });
    // ConfigMap's path is known without discovery; Widget's discovery is shared with the derived client.
    expect(seen.map((r) => [r.path, impersonationHeaders(r.headers), r.headers['authorization']])).toEqual([
      ['/api/v1/namespaces/shop/configmaps/cm', {}, 'Bearer engine'],
      ['/api/v1/namespaces/shop/configmaps/cm', { 'impersonate-user': TENANT }, 'Bearer engine'],
      ['/api/v1', {}, 'Bearer engine'],
    ]);
    // The origin is unchanged by what it derived.
    expect((await client.get(CM)).metadata.name).toBe('cm');
    expect(impersonationHeaders(seen.at(-1)?.headers ?? {})).toEqual({});
    client.close();
  });
});

describe('RawKubeClient discovery', () => {
  it('callers that ask for kinds of one group version at once share one discovery request', async () => {
    const client = new RawKubeClient({ server: url, auth: () => Promise.resolve({}) });
    const before = seen.filter((r) => r.path === '/api/v1').length;
    const answers = await Promise.all(Array.from({ length: 12 }, () => client.resource('v1', 'Widget')));
    expect(answers.every((a) => a?.plural === 'widgets')).toBe(true);
    expect(seen.filter((r) => r.path === '/api/v1').length - before).toBe(1);
    client.close();
  });

  it("knows the core group's built-in kinds without asking", async () => {
    const client = new RawKubeClient({ server: url, auth: () => Promise.resolve({}) });
    const before = seen.length;
    expect(await client.resource('v1', 'ConfigMap')).toEqual({ plural: 'configmaps', namespaced: true });
    expect(await client.resource('v1', 'Namespace')).toEqual({ plural: 'namespaces', namespaced: false });
    expect(seen.length - before).toBe(0);
    client.close();
  });
});
