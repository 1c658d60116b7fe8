import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../shared/errors.js';
import { eksToken, invokeAsync, secretString, ssmParameter, type AwsTarget } from './aws.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** SigV4 written out from AWS's specification, to check the signer's output independently. */
function expectedSignature(seen: Seen, service: string, region: string): string {
  const auth = String(seen.headers['authorization']);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '';
  const amzDate = String(seen.headers['x-amz-date']);
  const canonical = [
    seen.method,
    seen.path.split('?')[0],
    '',
    ...signedHeaders.split(';').map((h) => `${h}:${String(seen.headers[h]).trim()}`),
    '',
    signedHeaders,
    createHash('sha256').update(seen.body).digest('hex'),
  ].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`)
    .update(amzDate.slice(0, 8))
    .digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

let seen: Seen[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{}' };
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
});
let target: AwsTarget;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = {
    region: 'eu-west-1',
    credentials,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(() => {
  server.close();
});

describe('AWS calls signed with SigV4', () => {
  it('reads a Secrets Manager secret with a correctly signed GetSecretValue', async () => {
    seen = [];
    answer = { status: 200, body: JSON.stringify({ SecretString: 'apiVersion: v1\nkind: Config\n' }) };
    expect(await secretString('gantry/kubeconfig', target)).toBe('apiVersion: v1\nkind: Config\n');
    const [req] = seen;
    if (req === undefined) throw new Error('no request');
    expect([req.method, req.path, req.headers['x-amz-target'], req.body]).toEqual([
      'POST',
      '/',
      'secretsmanager.GetSecretValue',
      '{"SecretId":"gantry/kubeconfig"}',
    ]);
    const auth = String(req.headers['authorization']);
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, /,
    );
    expect(auth.endsWith(`Signature=${expectedSignature(req, 'secretsmanager', 'eu-west-1')}`)).toBe(true);
  });

  it('reads an SSM parameter decrypted, and invokes a function asynchronously', async () => {
    seen = [];
    answer = { status: 200, body: JSON.stringify({ Parameter: { Name: 'p', Value: 'the kubeconfig' } }) };
    expect(await ssmParameter('/gantry/kubeconfig', target)).toBe('the kubeconfig');
    answer = { status: 202, body: '' };
    await invokeAsync('gantry-fn', { gantry: 'run', keys: ['k'] }, target);
    const [ssm, invoke] = seen;
    if (ssm === undefined || invoke === undefined) throw new Error('missing requests');
    expect([ssm.headers['x-amz-target'], ssm.body]).toEqual([
      'AmazonSSM.GetParameter',
      '{"Name":"/gantry/kubeconfig","WithDecryption":true}',
    ]);
    expect([invoke.path, invoke.headers['x-amz-invocation-type'], invoke.body]).toEqual([
      '/2015-03-31/functions/gantry-fn/invocations',
      'Event',
      '{"gantry":"run","keys":["k"]}',
    ]);
    expect(
      String(invoke.headers['authorization']).endsWith(
        `Signature=${expectedSignature(invoke, 'lambda', 'eu-west-1')}`,
      ),
    ).toBe(true);
  });

  it('types refusals by their retry meaning', async () => {
    answer = { status: 400, body: '{"__type":"ResourceNotFoundException"}' };
    await expect(secretString('missing', target)).rejects.toThrow(TerminalError);
    answer = { status: 503, body: 'busy' };
    await expect(ssmParameter('x', target)).rejects.toThrow(RetryableError);
  });

  it('names the status, the host and AWS’s error code, never the text of an answer', async () => {
    const host = new URL(target.endpoint ?? '').host;
    const secret = 'AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG';
    answer = {
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException',
        message: `no secret ${secret}`,
      }),
    };
    await expect(secretString('missing', target)).rejects.toThrow(
      new TerminalError(`secretsmanager on ${host}: HTTP 400 ResourceNotFoundException`),
    );
    answer = { status: 403, body: `<html>${secret}</html>` };
    await expect(ssmParameter('x', target)).rejects.toThrow(
      new TerminalError(`ssm on ${host}: HTTP 403 Forbidden`),
    );
    answer = { status: 503, body: `{"__type":"${secret}"}` };
    await expect(invokeAsync('f', {}, target)).rejects.toThrow(
      new RetryableError(`lambda on ${host}: HTTP 503 Service Unavailable`, 5_000),
    );
    // An answer that is not JSON: a fixed reason, not the parser's message (which quotes the text).
    answer = { status: 200, body: `${secret} is not JSON` };
    await expect(secretString('x', target)).rejects.toThrow(
      new TerminalError('the AWS answer has no SecretString'),
    );
  });

  it('mints an EKS token: a presigned STS GetCallerIdentity naming the cluster, valid 60 s', async () => {
    const token = await eksToken(
      'prod',
      'eu-west-1',
      { ...credentials, sessionToken: 'SESSION' },
      new Date('2026-11-29T10:00:00Z'),
    );
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
    expect([url.origin, url.pathname]).toEqual(['https://sts.eu-west-1.amazonaws.com', '/']);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261129/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261129T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-Security-Token': 'SESSION',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(q['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain('=');
  });
});
