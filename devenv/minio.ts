/**
 * @module devenv/minio
 * MinIO (built from its Go module) on a free loopback port with its own root credentials and a test bucket.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureBinaries } from './binaries.js';
import { freePort, startDetached, startProcess, waitFor, type ManagedProcess } from './process.js';

export interface MinioServer {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  readonly ports: readonly number[];
  readonly process: ManagedProcess;
  client(): S3Client;
  stop(): Promise<void>;
}

export async function startMinio(
  options: { readonly log?: (line: string) => void; readonly detached?: boolean; readonly dir?: string } = {},
): Promise<MinioServer> {
  const { minio: binary } = await ensureBinaries(['minio'], options.log);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'gantry-minio-')));
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const consolePort = await freePort();
  const accessKey = `gantry${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(18).toString('hex');
  const start = options.detached === true ? startDetached : startProcess;
  const env = {
    MINIO_ROOT_USER: accessKey,
    MINIO_ROOT_PASSWORD: secretKey,
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
  };
  const process = start(
    'minio',
    binary,
    [
      'server',
      '--quiet',
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      join(dir, 'data'),
    ],
    join(dir, 'minio.log'),
    env,
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    'minio /minio/health/ready',
    async () => (await fetch(`${endpoint}/minio/health/ready`)).ok,
    60_000,
    [process],
  );
  const region = 'us-east-1';
  const client = (): S3Client =>
    new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    });
  const bucket = 'gantry-test';
  const s3 = client();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    endpoint,
    accessKey,
    secretKey,
    bucket,
    region,
    ports: [port, consolePort],
    process,
    client,
    async stop(): Promise<void> {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
