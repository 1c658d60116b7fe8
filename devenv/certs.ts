/**
 * @module devenv/certs
 * Certificates for a local control plane, made with the `openssl` CLI (Node cannot create X.509 certificates):
 * a CA, the API server's serving certificate (127.0.0.1, localhost, kubernetes.default…), an admin client
 * certificate in `system:masters`, and the service-account signing key pair.
 */
import { execFile as execFileCb } from 'node:child_process';
import { execErrorText } from './process.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

/** The common name of the client certificate the local API server presents to admission webhooks. */
export const ADMISSION_CLIENT_NAME = 'kube-apiserver-admission';

export interface CertFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  /** The client certificate kube-apiserver presents to admission webhooks (CN `ADMISSION_CLIENT_NAME`). */
  readonly admissionCert: string;
  readonly admissionKey: string;
  readonly saKey: string;
  readonly saPub: string;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await execFile('openssl', [...args], { cwd });
  } catch (error) {
    const e = execErrorText(error);
    if (e.code === 'ENOENT')
      throw new Error('openssl is needed to make the control plane certificates: apt-get install openssl', {
        cause: error,
      });
    throw new Error(`openssl ${args.join(' ')}: ${e.text}`, { cause: error });
  }
}

async function signed(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`],
    dir,
  );
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/**
 * One more client certificate signed by the CA of `dir` (made by makeCertificates), subject `subject` (say
 * `/O=system:masters/CN=other-admin`): another identity for the same control plane, so its requests stand apart
 * in the audit log. Returns the certificate and key files.
 */
export async function clientCertificate(
  dir: string,
  name: string,
  subject: string,
): Promise<{ cert: string; key: string }> {
  await signed(
    dir,
    name,
    subject,
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** Create every certificate and key in `dir`. */
export async function makeCertificates(dir: string): Promise<CertFiles> {
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'],
    dir,
  );
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=gantry-local-ca',
      '-days',
      '2',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  await signed(
    dir,
    'server',
    '/CN=kube-apiserver',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
  );
  await signed(
    dir,
    'admin',
    '/O=system:masters/CN=gantry-admin',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  await signed(
    dir,
    'admission',
    `/CN=${ADMISSION_CLIENT_NAME}`,
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  await openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const f = (n: string): string => join(dir, n);
  return {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    admissionCert: f('admission.crt'),
    admissionKey: f('admission.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
}

export interface ServingCertFiles {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

/**
 * A self-signed CA and a serving certificate for 127.0.0.1 and localhost in `dir` (`gantry serve --dev-cert`):
 * made once, kept while both files exist and the certificate is valid for another hour.
 */
export async function makeServingCertificates(dir: string): Promise<ServingCertFiles> {
  const files = {
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'tls.crt'),
    serverKey: join(dir, 'tls.key'),
  };
  try {
    await openssl(['x509', '-in', 'tls.crt', '-noout', '-checkend', '3600'], dir);
    await openssl(['pkey', '-in', 'tls.key', '-noout'], dir);
    await openssl(['x509', '-in', 'ca.crt', '-noout', '-checkend', '3600'], dir);
    return files;
  } catch {
    // missing or expiring: make new ones below
  }
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'],
    dir,
  );
  await openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=gantry-dev-ca', '-days', '30', '-out', 'ca.crt'],
    dir,
  );
  await signed(
    dir,
    'tls',
    '/CN=gantry',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  return files;
}
