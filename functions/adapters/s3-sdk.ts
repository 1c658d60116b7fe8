/**
 * @module adapters/s3-sdk
 * The part of the AWS SDK the package source uses, imported by package-source.ts on the first `s3://` location
 * only (the SDK costs a few hundred milliseconds of start-up). Named imports here, not a dynamic
 * `import('@aws-sdk/client-s3')` there: the SDK's CommonJS build, as esbuild bundles it, offers a dynamic import
 * nothing but its default export.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const s3Sdk = { S3Client, GetObjectCommand, HeadObjectCommand, PutObjectCommand } as const;

export type S3Sdk = typeof s3Sdk;
