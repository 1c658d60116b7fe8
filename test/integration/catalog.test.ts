/**
 * The package catalog against the real components: versions pushed to a real registry whose notifications reach
 * `gantry serve`'s `/events`, PackageRepositories and PackageRevisions in the real API server, Packages following
 * a range with manual and automatic approval, and approvals checked by the validating webhook the real
 * kube-apiserver calls over TLS (registered for this file's namespace only).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBinaries } from '../../devenv/binaries.js';
import { ADMISSION_CLIENT_NAME } from '../../devenv/certs.js';
import { startRegistry, type Registry } from '../../devenv/registry.js';
import { startServe, type ServeHost } from '../../functions/hosts/serve.js';
import type { KubeObject } from '../../shared/ports.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { admissionAuth } from '../../webhooks/admission-auth.js';
import { runGantry } from '../run-cli.js';
import { conditions, eventually, manifest, pkgRef, pushPackage } from './setup/engine.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const run = promisify(execFile);
const TOKEN = 'catalog-registry-token-0123456789';
const WEBHOOKS = 'gantry-catalog-test';
const GANTRY = '/apis/gantry.run/v1alpha1';
const admin = testClient();
let ns = '';
let serve: ServeHost;
let registry: Registry;
let repoImage = '';

function files(value: string, broken = false): Record<string, string> {
  return {
    'manifest.yaml': manifest(
      'cat-app',
      ['config'],
      `  config:
    openAPIV3Schema:
      type: object
      properties:
        replicas:
          type: integer
          minimum: 1
          default: 1
`,
    ),
    'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .package.metadata.name }}-cm
  annotations:
    package-operator.run/phase: config
data:
  value: ${JSON.stringify(value)}
  replicas: "{{ ${broken ? '.config.missing.deeper' : '.config.replicas'} }}"
`,
  };
}

async function push(version: string, broken = false): Promise<void> {
  await pushPackage('cat-app', files(version, broken), version, registry.host);
}

async function gantry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runGantry([...args, '-n', ns, '--kubeconfig', inject('kube').kubeconfigPath], { cwd: '/' });
}

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { kubectl: binary } = await ensureBinaries(['kubectl']);
  try {
    const r = await run(binary, ['--kubeconfig', inject('kube').kubeconfigPath, '-n', ns, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function getPackage(name: string): Promise<KubeObject> {
  return serve.engine.client.get(pkgRef(ns, name));
}

async function configMapValue(name: string): Promise<string | undefined> {
  const r = await admin.get(`/api/v1/namespaces/${ns}/configmaps/${name}-cm`);
  if (r.status !== 200) return undefined;
  return (JSON.parse(r.text) as { data?: Record<string, string> }).data?.['value'];
}

/** The Package once it is Available with the ConfigMap of `version`. */
async function runningVersion(name: string, version: string): Promise<KubeObject | undefined> {
  const pkg = await getPackage(name);
  if (conditions(pkg)['Available']?.status !== 'True') return undefined;
  return (await configMapValue(name)) === version ? pkg : undefined;
}

interface RevisionView {
  readonly version: string;
  readonly lifecycle: string;
  readonly validated?: string;
  readonly message?: string;
  readonly image: string;
}

async function revisions(): Promise<Map<string, RevisionView>> {
  const r = await admin.get(`${GANTRY}/namespaces/${ns}/packagerevisions`);
  const body = JSON.parse(r.text) as {
    items: {
      spec: { version: string; lifecycle: string; image: string };
      status?: { conditions?: { type: string; status: string; message: string }[] };
    }[];
  };
  const out = new Map<string, RevisionView>();
  for (const item of body.items) {
    const v = item.status?.conditions?.find((c) => c.type === 'Validated');
    out.set(item.spec.version, {
      version: item.spec.version,
      lifecycle: item.spec.lifecycle,
      image: item.spec.image,
      ...(v !== undefined ? { validated: v.status, message: v.message } : {}),
    });
  }
  return out;
}

async function revisionSettled(version: string): Promise<RevisionView | undefined> {
  const r = (await revisions()).get(version);
  return r?.validated === undefined ? undefined : r;
}

function annotations(pkg: KubeObject): Record<string, string> {
  return { ...(pkg.metadata.annotations ?? {}) };
}

async function createFollower(name: string, approval: 'manual' | 'automatic', image: string): Promise<void> {
  const r = await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
    apiVersion: 'package-operator.run/v1alpha1',
    kind: 'Package',
    metadata: {
      name,
      namespace: ns,
      annotations: {
        'gantry.run/repository': 'apps',
        'gantry.run/version-range': '~1.0',
        'gantry.run/approval': approval,
      },
    },
    spec: { image, config: { replicas: 1 } },
  });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  ns = await createNamespace(admin, 'catalog');
  const kube = inject('kube');
  serve = await startServe({
    kubeconfig: kube.kubeconfigPath,
    host: '127.0.0.1',
    port: 0,
    tls: {
      cert: await readFile(kube.serverCertFile, 'utf8'),
      key: await readFile(kube.serverKeyFile, 'utf8'),
      clientCA: await readFile(kube.caFile, 'utf8'),
    },
    admissionAuth: admissionAuth({ clientCertificate: true, clientNames: [ADMISSION_CLIENT_NAME] }),
    concurrency: 4,
    namespace: ns,
    tickMs: 1_000,
    fullResyncMs: 3_600_000,
    admissionBudgetMs: 2_000,
    eventsAuth: { distribution: { token: TOKEN } },
    log: (m) => {
      if (process.env['GANTRY_TEST_LOG'] === '1') process.stderr.write(`${m}\n`);
    },
    record: (r) => {
      if (process.env['GANTRY_TEST_LOG'] === '1')
        process.stderr.write(
          `${new Date().toISOString()} ${r.key.kind} ${r.key.name} ${r.step} ${r.outcome} ${r.durationMs} ${r.error ?? ''}\n`,
        );
    },
  });
  // The webhooks of this file's host, for this file's namespace only (other files run their own hosts).
  const ca = await readFile(kube.caFile, 'utf8');
  for (const object of webhookConfigurations({ url: `https://127.0.0.1:${serve.port}` }, ca)) {
    if (object.kind !== 'ValidatingWebhookConfiguration') continue;
    const webhooks = (object['webhooks'] as Record<string, unknown>[]).map((w) => ({
      ...w,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    }));
    await serve.engine.client.apply(
      { ...object, metadata: { ...object.metadata, name: WEBHOOKS }, webhooks },
      {
        force: true,
      },
    );
  }
  registry = await startRegistry({
    notifyUrl: `https://127.0.0.1:${serve.port}/events`,
    notifyHeaders: { Authorization: `Bearer ${TOKEN}` },
    env: { SSL_CERT_FILE: kube.caFile },
  });
  repoImage = `${registry.host}/engine-test/cat-app`;
});

afterAll(async () => {
  await admin.delete(`/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${WEBHOOKS}`);
  await registry.stop();
  await serve.stop();
  await deleteNamespace(admin, ns);
});

describe('a PackageRepository and the Packages that follow it', () => {
  it('lists and validates versions, proposes within range, and moves a manual Package only when approved', async () => {
    await push('1.0.0');
    const created = await admin.create(`${GANTRY}/namespaces/${ns}/packagerepositories`, {
      apiVersion: 'gantry.run/v1alpha1',
      kind: 'PackageRepository',
      metadata: { name: 'apps', namespace: ns },
      spec: { image: repoImage, interval: '1h' },
    });
    expect(created.status).toBe(201);
    const first = await eventually('1.0.0 validated', async () => revisionSettled('1.0.0'));
    expect(first).toMatchObject({ lifecycle: 'Published', validated: 'True' });
    expect(first.image).toMatch(new RegExp(`^${repoImage}@sha256:[0-9a-f]{64}$`));

    await createFollower('manual', 'manual', `${repoImage}:1.0.0`);
    await eventually('manual runs 1.0.0', async () => runningVersion('manual', '1.0.0'));

    for (const v of ['1.0.1', '1.1.0', '2.0.0']) await push(v);
    const proposed = await eventually('1.0.1 proposed to manual', async () => {
      const pkg = await getPackage('manual');
      return annotations(pkg)['gantry.run/proposed-version'] === '1.0.1' ? pkg : undefined;
    });
    // The revision says someone waits to approve it, as porch's lifecycle does.
    await eventually('1.0.1 Proposed', async () =>
      (await revisions()).get('1.0.1')?.lifecycle === 'Proposed' ? true : undefined,
    );
    // Proposed, not rolled out: the image is still 1.0.0's and so is the ConfigMap.
    expect((proposed['spec'] as { image: string }).image).toBe(`${repoImage}:1.0.0`);
    expect(await configMapValue('manual')).toBe('1.0.0');
    const all = await eventually('every version validated', async () => {
      const r = await revisions();
      return ['1.0.0', '1.0.1', '1.1.0', '2.0.0'].every((v) => r.get(v)?.validated === 'True')
        ? r
        : undefined;
    });
    expect([...all.keys()].sort()).toEqual(['1.0.0', '1.0.1', '1.1.0', '2.0.0']);

    // A version with a template error: Validated=False with the message, never proposed, approval refused.
    await push('1.0.2', true);
    const broken = await eventually('1.0.2 validated', async () => revisionSettled('1.0.2'));
    expect(broken.lifecycle).toBe('Draft');
    expect(broken.validated).toBe('False');
    expect(broken.message).toContain('Package manual would not render:');
    expect(broken.message).toContain('cm.yaml.gotmpl');
    expect(annotations(await getPackage('manual'))['gantry.run/proposed-version']).toBe('1.0.1');

    const cli = await gantry('approve', 'manual', '--version', '1.0.2');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(
      `approving 1.0.2 for package ${ns}/manual: version 1.0.2 is not validated: Package manual would not render:`,
    );
    // The webhook refuses the same approval made without the CLI.
    const direct = await kubectl('annotate', 'package', 'manual', 'gantry.run/approved-version=1.0.2');
    expect(direct.code).toBe(1);
    expect(direct.stderr).toContain(
      'admission webhook "validate.gantry.run" denied the request: metadata.annotations[gantry.run/approved-version]: Invalid value: "1.0.2": version 1.0.2 is not validated: Package manual would not render:',
    );
    const outside = await kubectl('annotate', 'package', 'manual', 'gantry.run/approved-version=1.1.0');
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(
      'Invalid value: "1.1.0": version 1.1.0 is outside the followed range "~1.0"',
    );

    const listed = await gantry('versions', 'manual');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      `Package ${ns}/manual follows apps ~1.0 (manual), newest available 1.0.1`,
      'VERSION LIFECYCLE VALIDATED STATE MESSAGE',
      '2.0.0 Published True out of range',
      '1.1.0 Published True out of range',
      expect.stringMatching(/^1\.0\.2 Draft False - Package manual would not render: /),
      '1.0.1 Proposed True proposed',
      '1.0.0 Published True running',
      '',
    ]);

    const approved = await gantry('approve', 'manual');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toBe(`package ${ns}/manual approved 1.0.1: ${all.get('1.0.1')?.image ?? ''}\n`);
    const moved = await eventually('manual runs 1.0.1', async () => runningVersion('manual', '1.0.1'));
    expect((moved['spec'] as { image: string }).image).toBe(all.get('1.0.1')?.image);
    expect(annotations(moved)['gantry.run/version']).toBe('1.0.1');
    // No Package waits for 1.0.1 any more: back from Proposed to Published.
    await eventually('1.0.1 Published', async () =>
      (await revisions()).get('1.0.1')?.lifecycle === 'Published' ? true : undefined,
    );
  });

  it('moves an automatic Package within 10 s of the registry notification, and a rejected proposal stays away', async () => {
    await createFollower('auto', 'automatic', `${repoImage}:1.0.0`);
    // Automatic: the newest validated version in range (1.0.1; 1.0.2 failed, 1.1.0 is outside).
    await eventually('auto runs 1.0.1', async () => runningVersion('auto', '1.0.1'));

    await push('1.0.3');
    const pushed = Date.now();
    if (process.env['GANTRY_TEST_LOG'] === '1')
      process.stderr.write(`${new Date().toISOString()} pushed 1.0.3\n`);
    await eventually('auto runs 1.0.3', async () => runningVersion('auto', '1.0.3'), 10_000);
    const ms = Date.now() - pushed;
    process.stderr.write(
      `[catalog] automatic Package Available on the pushed version ${ms} ms after the push\n`,
    );
    expect(ms).toBeLessThan(10_000);

    await eventually('1.0.3 proposed to manual', async () =>
      annotations(await getPackage('manual'))['gantry.run/proposed-version'] === '1.0.3' ? true : undefined,
    );
    const rejected = await gantry('reject', 'manual');
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toBe(`package ${ns}/manual rejected 1.0.3\n`);
    const after = annotations(await getPackage('manual'));
    expect(after['gantry.run/rejected-versions']).toBe('1.0.3');
    expect(after['gantry.run/proposed-version']).toBeUndefined();
    // The next pass proposes nothing newer (1.0.3 is rejected, 1.0.2 invalid): manual stays on 1.0.1.
    await push('2.0.1');
    await eventually('2.0.1 listed', async () => revisionSettled('2.0.1'));
    const still = await getPackage('manual');
    expect(annotations(still)['gantry.run/proposed-version']).toBeUndefined();
    expect(await configMapValue('manual')).toBe('1.0.1');
  });

  it('follows a package of a PKO Repository index image, and a push of a new index moves an automatic follower', async () => {
    const work = await mkdtemp(join(tmpdir(), 'catalog-index-'));
    const cli = async (...args: string[]): Promise<void> => {
      const r = await runGantry(args, { cwd: work });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    };
    const images: string[] = [];
    for (const v of ['i1', 'i2', 'i3']) {
      await pushPackage('cat-idx', files(v), v, registry.host);
      images.push(`${registry.host}/engine-test/cat-idx:${v}`);
    }
    const index = `${registry.host}/engine-test/cat-index:latest`;
    await cli('repo', 'init', 'repo.yaml', 'idx');
    await cli('repo', 'add', 'repo.yaml', images[0] ?? '', '1.0.0');
    await cli('repo', 'add', 'repo.yaml', images[1] ?? '', '1.1.0');
    await cli('repo', 'push', 'repo.yaml', index);
    const created = await admin.create(`${GANTRY}/namespaces/${ns}/packagerepositories`, {
      apiVersion: 'gantry.run/v1alpha1',
      kind: 'PackageRepository',
      metadata: { name: 'idx', namespace: ns },
      spec: { index, packageName: 'cat-app', interval: '1h' },
    });
    expect(created.status).toBe(201);
    const r = await admin.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
      apiVersion: 'package-operator.run/v1alpha1',
      kind: 'Package',
      metadata: {
        name: 'indexed',
        namespace: ns,
        annotations: {
          'gantry.run/repository': 'idx',
          'gantry.run/version-range': '^1.0',
          'gantry.run/approval': 'automatic',
        },
      },
      spec: { image: images[0], config: { replicas: 1 } },
    });
    expect(r.status).toBe(201);
    const moved = await eventually('indexed runs 1.1.0', async () => runningVersion('indexed', 'i2'));
    expect((moved['spec'] as { image: string }).image).toMatch(
      new RegExp(`^${registry.host}/engine-test/cat-idx@sha256:[0-9a-f]{64}$`),
    );
    expect(annotations(moved)['gantry.run/version']).toBe('1.1.0');

    await cli('repo', 'add', 'repo.yaml', images[2] ?? '', '1.2.0');
    await cli('repo', 'push', 'repo.yaml', index);
    const again = await eventually('indexed runs 1.2.0 after the index push', async () =>
      runningVersion('indexed', 'i3'),
    );
    expect(annotations(again)['gantry.run/version']).toBe('1.2.0');
  });

  async function readyOf(
    name: string,
  ): Promise<{ status: string; reason: string; message: string } | undefined> {
    const r = await admin.get(`${GANTRY}/namespaces/${ns}/packagerepositories/${name}`);
    const body = JSON.parse(r.text) as {
      status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
    };
    return body.status?.conditions?.find((x) => x.type === 'Ready');
  }

  it('reports a repository it cannot list, and a spec it cannot use, in Ready', async () => {
    for (const [name, image] of [
      ['missing', `${registry.host}/engine-test/no-such-repo`],
      ['tagged', `${registry.host}/engine-test/cat-app:1.0.0`],
    ] as const) {
      const created = await admin.create(`${GANTRY}/namespaces/${ns}/packagerepositories`, {
        apiVersion: 'gantry.run/v1alpha1',
        kind: 'PackageRepository',
        metadata: { name, namespace: ns },
        spec: { image },
      });
      expect(created.status).toBe(201);
    }
    const missing = await eventually('missing: Ready=False', async () => {
      const c = await readyOf('missing');
      return c?.status === 'False' ? c : undefined;
    });
    expect(missing.reason).toBe('ListFailed');
    // The request is named (its query elided) with the registry's error code; nothing else of the answer.
    expect(missing.message).toBe(
      `listing ${registry.host}/engine-test/no-such-repo: not found: GET http://${registry.host}/v2/engine-test/no-such-repo/tags/list?…: NAME_UNKNOWN: repository name not known to registry`,
    );
    const tagged = await eventually('tagged: Ready=False', async () => {
      const c = await readyOf('tagged');
      return c?.status === 'False' ? c : undefined;
    });
    expect(tagged).toMatchObject({
      reason: 'Invalid',
      message: 'spec.image: must name a repository, without a tag or digest',
    });
  });
});
