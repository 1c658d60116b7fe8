/**
 * @module adapters/aws
 * The few AWS calls the Lambda host makes, signed with SigV4 (`@smithy/signature-v4`, the AWS SDK's own signer)
 * and sent with fetch, so the Lambda bundle carries no service client: an EKS bearer token (a presigned STS
 * GetCallerIdentity, as `aws eks get-token` makes it), a Secrets Manager secret or an SSM parameter holding a
 * kubeconfig, and an asynchronous invoke of the function itself (handing keys back when time runs out).
 */
import { createHash, createHmac } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

type Digest = ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
import { SignatureV4 } from '@smithy/signature-v4';
import { isErrorCode, RetryableError, TerminalError } from '../../shared/errors.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** node:crypto as the signer's checksum (SHA-256, or HMAC-SHA-256 with a secret). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class Sha256 {
  private hash: Digest;
  private readonly secret: string | Uint8Array | undefined;

  public constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.fresh();
  }

  private fresh(): Digest {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }

  public update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  public digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  public reset(): void {
    this.hash = this.fresh();
  }
}

function signer(service: string, region: string, credentials: AwsCredentials): SignatureV4 {
  return new SignatureV4({ service, region, credentials, sha256: Sha256, uriEscapePath: true });
}

/** An EKS token for `cluster`: `k8s-aws-v1.` + the base64url of a presigned STS GetCallerIdentity URL (60 s). */
export async function eksToken(
  cluster: string,
  region: string,
  credentials: AwsCredentials,
  now: Date = new Date(),
): Promise<string> {
  const host = `sts.${region}.amazonaws.com`;
  const presigned = await signer('sts', region, credentials).presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, 'x-k8s-aws-id': cluster },
    },
    { expiresIn: 60, signingDate: now },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/** Where a call goes: the region's public endpoint, or an override (a VPC endpoint; `AWS_ENDPOINT_URL_<SERVICE>`). */
export interface AwsTarget {
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly endpoint?: string;
}

async function send(
  service: string,
  target: AwsTarget,
  request: { path: string; headers: Record<string, string>; body: string },
): Promise<string> {
  const base = new URL(target.endpoint ?? `https://${service}.${target.region}.amazonaws.com`);
  const signed = await signer(service, target.region, target.credentials).sign({
    method: 'POST',
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port !== '' ? { port: Number(base.port) } : {}),
    path: request.path,
    headers: { host: base.host, ...request.headers },
    body: request.body,
  });
  const response = await fetch(new URL(request.path, base), {
    method: 'POST',
    headers: signed.headers,
    body: request.body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (response.status < 300) return text;
  // Only the status, the host and AWS's structured error code: the rest of an answer is never shown.
  const code = awsErrorCode(response.headers.get('x-amzn-errortype'), text);
  const message = `${service} on ${base.host}: HTTP ${response.status} ${code !== '' ? code : (STATUS_CODES[response.status] ?? 'error')}`;
  if (response.status >= 500 || response.status === 429) throw new RetryableError(message, 5_000);
  throw new TerminalError(message);
}

/**
 * AWS's error code (`ResourceNotFoundException`), from the `x-amzn-errortype` header or the JSON body's `__type`
 * (`com.amazonaws…#Code` or `Code:http://…` trimmed to the code); '' when there is none that looks like one.
 */
function awsErrorCode(header: string | null, text: string): string {
  let raw = header ?? '';
  if (raw === '') {
    const body = parseJson(text);
    const type: unknown = isObject(body) ? Reflect.get(body, '__type') : undefined;
    raw = typeof type === 'string' ? type : '';
  }
  const code = raw.split(':')[0]?.split('#').pop() ?? '';
  return isErrorCode(code) ? code : '';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A string field of an AWS answer; a fixed reason when it is missing or the answer is not JSON (never the answer). */
function jsonField(body: unknown, name: string): string {
  const value: unknown = isObject(body) ? Reflect.get(body, name) : undefined;
  if (typeof value === 'string') return value;
  throw new TerminalError(`the AWS answer has no ${name}`);
}

/** A Secrets Manager secret's string (a kubeconfig). */
export async function secretString(secretId: string, target: AwsTarget): Promise<string> {
  const text = await send('secretsmanager', target, {
    path: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body: JSON.stringify({ SecretId: secretId }),
  });
  return jsonField(parseJson(text), 'SecretString');
}

/** An SSM parameter's (decrypted) value (a kubeconfig). */
export async function ssmParameter(name: string, target: AwsTarget): Promise<string> {
  const text = await send('ssm', target, {
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
    body: JSON.stringify({ Name: name, WithDecryption: true }),
  });
  const body = parseJson(text);
  return jsonField(isObject(body) ? Reflect.get(body, 'Parameter') : undefined, 'Value');
}

/** Invoke a function asynchronously (InvocationType Event) with a JSON payload. */
export async function invokeAsync(functionName: string, payload: unknown, target: AwsTarget): Promise<void> {
  await send('lambda', target, {
    path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
    body: JSON.stringify(payload),
  });
}
