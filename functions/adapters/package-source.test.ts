/**
 * What an S3 server answers is never echoed: a small HTTP server on 127.0.0.1 plays an S3-compatible endpoint
 * whose error bodies carry secret-looking text, and the messages keep only the S3 error code and the status.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPackageSource } from './package-source.js';

const SECRET = 'AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI-K7MDENG';
let server: Server;
let endpoint = '';
let answer: { status: number; body: string } = { status: 200, body: '' };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.method === 'HEAD') {
      res.writeHead(200, { etag: '"abc"', 'content-length': '10' }).end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/xml' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(() => {
  server.close();
});

function source(): ReturnType<typeof createPackageSource> {
  return createPackageSource({
    s3: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
  });
}

describe('S3 errors', () => {
  it('show the S3 error code and the status, never the server’s <Message>', async () => {
    answer = {
      status: 403,
      body: `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>key ${SECRET}</Message></Error>`,
    };
    await expect(source().pull('s3://bucket/pkg.tar.gz')).rejects.toMatchObject({
      name: 'TerminalError',
      message: 'GET s3://bucket/pkg.tar.gz: AccessDenied (HTTP 403 Forbidden)',
    });
  });

  it('show the status only when the code is not one (free text in <Code>)', async () => {
    answer = { status: 500, body: `<Error><Code>${SECRET}</Code><Message>m</Message></Error>` };
    await expect(source().pull('s3://bucket/pkg.tar.gz')).rejects.toMatchObject({
      name: 'RetryableError',
      message: 'GET s3://bucket/pkg.tar.gz: HTTP 500 Internal Server Error',
    });
  });
});
