/** PKO's health probe listener (`--health-probe-bind-address`), for real on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { serveHealthProbes } from './metrics.js';

describe('the health probe listener', () => {
  it('answers /healthz and /readyz with 200 ok, /readyz 503 while not ready, anything else 404', async () => {
    let ready = false;
    const server = await serveHealthProbes('127.0.0.1:0', () => ready);
    try {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const get = async (path: string): Promise<[number, string]> => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        return [r.status, await r.text()];
      };
      expect(await get('/healthz')).toEqual([200, 'ok']);
      expect(await get('/readyz')).toEqual([503, 'not ready']);
      ready = true;
      expect(await get('/readyz')).toEqual([200, 'ok']);
      expect(await get('/metrics')).toEqual([404, 'not found\n']);
    } finally {
      server.close();
    }
  });
});
