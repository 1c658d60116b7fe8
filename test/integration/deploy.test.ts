/**
 * deploy/ against the real things: every Kubernetes manifest is validated by server-side dry-run against the real
 * API server (strict field validation: an unknown field fails); Knative's and cert-manager's kinds against those
 * projects' own CRDs, downloaded from the Go module proxy and installed into the test API server for this file;
 * the AWS SAM template against AWS's schema as goformation publishes it. The webhook configurations must equal
 * what shared/triggers/webhook-config.ts builds, and every kustomization must render exactly its folder's files.
 */
import { execFile as execFileCb, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readEventsConfig } from '../../cli/commands/host-flags.js';
import { ensureBinaries } from '../../devenv/binaries.js';
import type { KubeClient } from '../../devenv/kube.js';
import { lambdaEnv } from '../../functions/config.js';
import { createEngine, type EngineOptions } from '../../functions/hosts/engine.js';
import { Runner } from '../../functions/hosts/runner.js';
import { startServe } from '../../functions/hosts/serve.js';
import { RECONCILED_KINDS } from '../../shared/api/constants.js';
import type { KubeApi } from '../../shared/ports.js';
import { webhookConfigurations } from '../../shared/triggers/webhook-config.js';
import { parseTemplate, samValidator } from './setup/cloudformation.js';
import { deleteCrds, DryRunner, installCrds, readManifests, type Manifest } from './setup/crds.js';
import { goModuleDir } from './setup/go-modules.js';
import { conditions, configMap, eventually, manifest, pkgRef, pushPackage } from './setup/engine.js';
import { serviceAccountKubeconfig } from './setup/service-account.js';
import { createNamespace, deleteNamespace, testClient } from './setup/namespace.js';

const execFile = promisify(execFileCb);
const DEPLOY = resolve(import.meta.dirname, '..', '..', 'deploy');
const NAMESPACE = 'gantry-system';

const KNATIVE_SERVING = { module: 'knative.dev/serving', version: 'v0.51.0' };
const KNATIVE_EVENTING = { module: 'knative.dev/eventing', version: 'v0.47.0' };
const CERT_MANAGER = { module: 'github.com/cert-manager/cert-manager', version: 'v1.19.1' };
const GOFORMATION = { module: 'github.com/awslabs/goformation/v7', version: 'v7.14.9' };

/** The YAML files of a folder (not its subfolders), kustomization.yaml left out. */
async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml')
    .map((e) => join(dir, e.name))
    .sort();
}

async function manifestsOf(files: readonly string[]): Promise<{ file: string; manifest: Manifest }[]> {
  const out: { file: string; manifest: Manifest }[] = [];
  for (const file of files) for (const manifest of await readManifests(file)) out.push({ file, manifest });
  return out;
}

function idOf(m: Manifest): string {
  return `${m.apiVersion} ${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;
}

let client: KubeClient;
let dryRunner: DryRunner;

/** Dry-run every manifest of these files; returns the failures (empty: all valid). */
async function dryRunAll(files: readonly string[]): Promise<string[]> {
  const failures: string[] = [];
  for (const { file, manifest } of await manifestsOf(files)) {
    const r = await dryRunner.dryRun(manifest);
    if (r.status !== 200 && r.status !== 201)
      failures.push(`${file.slice(DEPLOY.length + 1)}: ${idOf(manifest)}: ${r.status} ${r.message}`);
  }
  return failures;
}

beforeAll(async () => {
  client = testClient();
  dryRunner = new DryRunner(client);
  // For real (the namespaced manifests are dry-run into it); deleted after the file.
  const r = await client.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });
  if (r.status !== 201 && r.status !== 409) throw new Error(`creating ${NAMESPACE}: ${r.status} ${r.text}`);
});

afterAll(async () => {
  await client.delete(`/api/v1/namespaces/${NAMESPACE}`);
});

describe('Kubernetes manifests, by server-side dry-run against the real API server', () => {
  // Webhook configurations are cluster-scoped and would intercept every other test's Gantry objects; in a dry
  // run they are validated and never persisted, so nothing else is affected.
  it.each(['rbac', 'rbac/examples', 'webhooks', 'gantry', 'lambda'])(
    'deploy/%s: every manifest passes server-side dry-run',
    async (dir) => {
      const files = await yamlFiles(join(DEPLOY, dir));
      const k8sFiles = files.filter((f) => !f.endsWith('template.yaml'));
      expect(k8sFiles.length).toBeGreaterThan(0);
      expect(await dryRunAll(k8sFiles)).toEqual([]);
    },
  );

  it('the dry run is strict: a misspelt field or a bad value is refused', async () => {
    const [deployment] = await readManifests(join(DEPLOY, 'gantry', 'deployment.yaml'));
    const typo = structuredClone(deployment!);
    const containers = (typo['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec.containers;
    containers[0]!['imagePullPolcy'] = 'Always';
    // Server-side apply refuses a field its typed schema lacks with 500 "field not declared in schema".
    const bad = await dryRunner.dryRun(typo);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.message).toContain('imagePullPolcy');
    const [pdb] = await readManifests(join(DEPLOY, 'gantry', 'pdb.yaml'));
    const invalid = structuredClone(pdb!);
    (invalid['spec'] as Record<string, unknown>)['maxUnavailable'] = 1; // together with minAvailable
    expect((await dryRunner.dryRun(invalid)).status).toBe(422);
  });

  it('the webhook configurations are what webhookConfigurations() builds for the Service, CA aside', async () => {
    const files = await yamlFiles(join(DEPLOY, 'webhooks'));
    const manifests = (await manifestsOf(files)).map(({ manifest }) => manifest);
    for (const m of manifests)
      expect(m.metadata['annotations']).toEqual({
        'cert-manager.io/inject-ca-from': 'gantry-system/gantry-serving',
      });
    const withoutAnnotations = manifests.map((m) => {
      const { annotations: _annotations, ...metadata } = m.metadata;
      return { ...m, metadata };
    });
    const built = webhookConfigurations({ service: { namespace: NAMESPACE, name: 'gantry', port: 443 } });
    const byKind = (xs: readonly { kind: string }[]) => [...xs].sort((a, b) => a.kind.localeCompare(b.kind));
    expect(byKind(withoutAnnotations)).toEqual(byKind(built));
  });

  it('the Deployment serves what the webhooks and the Service call, with the hardening asked for', async () => {
    const [deployment] = await readManifests(join(DEPLOY, 'gantry', 'deployment.yaml'));
    const [service] = await readManifests(join(DEPLOY, 'gantry', 'service.yaml'));
    const spec = (deployment!['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    const container = (spec['containers'] as Record<string, unknown>[])[0]!;
    expect(container['args']).toEqual(
      expect.arrayContaining(['run', '--serve', '--addr=0.0.0.0:8443', '--tls-cert=/tls/tls.crt']),
    );
    expect(container['securityContext']).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(spec['securityContext']).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((service!['spec'] as { ports: unknown[] }).ports).toContainEqual(
      expect.objectContaining({ port: 443, targetPort: 'https' }),
    );
    expect(container['ports']).toContainEqual(
      expect.objectContaining({ name: 'https', containerPort: 8443 }),
    );
  });
});

describe('kustomizations', () => {
  let kubectl: string;
  beforeAll(async () => {
    kubectl = (await ensureBinaries(['kubectl'])).kubectl;
  });

  /** The manifests a kustomization's resources name, recursively (files and folders). */
  async function expected(dir: string): Promise<string[]> {
    const k = parseYaml(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    const ids: string[] = [];
    for (const entry of k.resources) {
      const path = join(dir, entry);
      if (entry.endsWith('.yaml')) ids.push(...(await readManifests(path)).map(idOf));
      else ids.push(...(await expected(path)));
    }
    return ids;
  }

  it.each(['.', 'rbac', 'webhooks', 'gantry', 'cert-manager', 'knative'])(
    'deploy/%s: `kubectl kustomize` renders every file of the folder, nothing more',
    async (dir) => {
      const path = join(DEPLOY, dir);
      const k = parseYaml(await readFile(join(path, 'kustomization.yaml'), 'utf8')) as {
        resources: string[];
      };
      // Every manifest file of the folder is listed (deploy/ itself lists folders and the CRDs).
      if (dir !== '.')
        expect([...k.resources].sort()).toEqual((await yamlFiles(path)).map((f) => f.slice(path.length + 1)));
      const { stdout } = await execFile(kubectl, ['kustomize', path], { maxBuffer: 64 * 1024 * 1024 });
      const dirOut = await mkdtemp(join(tmpdir(), 'gantry-kustomize-'));
      try {
        await writeFile(join(dirOut, 'out.yaml'), stdout);
        const rendered = (await readManifests(join(dirOut, 'out.yaml'))).map(idOf).sort();
        expect(rendered).toEqual((await expected(path)).sort());
      } finally {
        await rm(dirOut, { recursive: true, force: true });
      }
    },
  );
});

describe('deploy/knative and deploy/cert-manager, against the projects’ own CRDs', () => {
  const installed: string[] = [];

  beforeAll(async () => {
    const [serving, eventing, certManager] = await Promise.all([
      goModuleDir(KNATIVE_SERVING.module, KNATIVE_SERVING.version),
      goModuleDir(KNATIVE_EVENTING.module, KNATIVE_EVENTING.version),
      goModuleDir(CERT_MANAGER.module, CERT_MANAGER.version),
    ]);
    const crds = [
      ...(await readManifests(join(serving, 'config', 'core', '300-resources', 'service.yaml'))),
      ...(await readManifests(join(eventing, 'config', 'core', 'resources', 'apiserversource.yaml'))),
      ...(await readManifests(join(eventing, 'config', 'core', 'resources', 'pingsource.yaml'))),
      ...(await readManifests(join(eventing, 'config', 'core', 'resources', 'trigger.yaml'))),
      ...(await readManifests(join(certManager, 'deploy', 'crds', 'cert-manager.io_issuers.yaml'))),
      ...(await readManifests(join(certManager, 'deploy', 'crds', 'cert-manager.io_certificates.yaml'))),
    ].filter((m) => m.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'apiserversources.sources.knative.dev',
      'certificates.cert-manager.io',
      'issuers.cert-manager.io',
      'pingsources.sources.knative.dev',
      'services.serving.knative.dev',
      'triggers.eventing.knative.dev',
    ]);
    installed.push(...(await installCrds(client, crds)));
  });

  afterAll(async () => {
    await deleteCrds(client, installed);
  });

  it.each(['knative', 'cert-manager'])(
    'deploy/%s: every manifest passes server-side dry-run',
    async (dir) => {
      expect(await dryRunAll(await yamlFiles(join(DEPLOY, dir)))).toEqual([]);
    },
  );

  it('the Knative schemas are really applied: a misspelt field of the Service is refused', async () => {
    const [ksvc] = await readManifests(join(DEPLOY, 'knative', 'service.yaml'));
    const typo = structuredClone(ksvc!);
    const spec = (typo['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    spec['containerConcurency'] = 10;
    const r = await dryRunner.dryRun(typo);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.message).toContain('containerConcurency');
  });

  it('the ApiServerSource sends every Gantry kind in Resource mode, everything to the cluster-local Service at /events', async () => {
    const sources = await readManifests(join(DEPLOY, 'knative', 'sources.yaml'));
    const api = sources.find((s) => s.kind === 'ApiServerSource')!;
    const spec = api['spec'] as { mode: string; resources: { kind: string }[] };
    expect(spec.mode).toBe('Resource');
    expect(spec.resources.map((r) => r.kind).sort()).toEqual([...RECONCILED_KINDS].sort());
    const sinks = sources.map((s) => {
      const sSpec = s['spec'] as { sink?: unknown; subscriber?: unknown };
      return sSpec.sink ?? sSpec.subscriber;
    });
    for (const sink of sinks)
      expect(sink).toEqual({
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'gantry-events' },
        uri: '/events',
      });
  });

  it('unauthenticated sources reach only the cluster-local Service; the external one accepts no event', async () => {
    interface KnativeService {
      metadata: { name: string; labels: Record<string, string> };
      spec: {
        template: {
          spec: {
            containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
            volumes: { name: string; secret?: { secretName: string } }[];
          };
        };
      };
    }
    const read = async (file: string): Promise<KnativeService> => {
      const [m] = await readManifests(join(DEPLOY, 'knative', file));
      return m as unknown as KnativeService;
    };
    const events = await read('events-service.yaml');
    const external = await read('service.yaml');
    expect(events.metadata.name).toBe('gantry-events');
    expect(events.metadata.labels['networking.knative.dev/visibility']).toBe('cluster-local');
    expect(external.metadata.name).toBe('gantry-serve');
    expect(external.metadata.labels['networking.knative.dev/visibility']).toBeUndefined();
    const [eventsPod, externalPod] = [events, external].map((m) => m.spec.template.spec);
    const flag = (args: readonly string[], name: string): string[] =>
      args.filter((a) => a.startsWith(`--${name}=`) || a === `--${name}`);
    // The events config (with its `none` sources) is mounted by the cluster-local Service only.
    expect(flag(eventsPod!.containers[0]!.args, 'events-config')).toEqual([
      '--events-config=/etc/gantry/events.yaml',
    ]);
    expect(eventsPod!.containers[0]!.volumeMounts).toContainEqual({
      name: 'events',
      mountPath: '/etc/gantry',
      readOnly: true,
    });
    expect(eventsPod!.volumes).toContainEqual({
      name: 'events',
      secret: { secretName: 'gantry-serve-events' },
    });
    expect(flag(externalPod!.containers[0]!.args, 'events-config')).toEqual([]);
    expect(externalPod!.volumes.filter((v) => v.secret !== undefined)).toEqual([]);
    // Both hand their waiting keys to the cluster-local address.
    for (const pod of [eventsPod!, externalPod!])
      expect(flag(pod.containers[0]!.args, 'handback-url')).toEqual([
        '--handback-url=http://gantry-events.gantry-system.svc.cluster.local/events',
      ]);
  });

  it('the events config the Knative Service mounts is one `gantry serve --events-config` accepts', async () => {
    const [secret] = await readManifests(join(DEPLOY, 'knative', 'events-config.yaml'));
    const dir = await mkdtemp(join(tmpdir(), 'gantry-events-'));
    try {
      const file = join(dir, 'events.yaml');
      await writeFile(file, (secret!['stringData'] as Record<string, string>)['events.yaml']!);
      expect(await readEventsConfig(file)).toEqual({ knative: { none: true }, cloudevents: { none: true } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/lambda/template.yaml, against AWS SAM’s schema', () => {
  let template: Record<string, unknown>;
  let validate: Awaited<ReturnType<typeof samValidator>>;

  beforeAll(async () => {
    const dir = await goModuleDir(GOFORMATION.module, GOFORMATION.version);
    template = parseTemplate(await readFile(join(DEPLOY, 'lambda', 'template.yaml'), 'utf8'));
    const types = [
      ...new Set(Object.values(template['Resources'] as Record<string, { Type: string }>).map((r) => r.Type)),
    ];
    validate = await samValidator(join(dir, 'schema', 'sam.schema.json'), types);
  });

  const resources = () =>
    template['Resources'] as Record<string, { Type: string; Properties: Record<string, unknown> }>;

  it('is valid', () => {
    const ok = validate(template);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('a misspelt property, in the function or in an event, fails validation', () => {
    const typo = structuredClone(template);
    const fn = (typo['Resources'] as Record<string, { Properties: Record<string, unknown> }>)[
      'GantryFunction'
    ]!;
    fn.Properties['Handlr'] = fn.Properties['Handler'];
    delete fn.Properties['Handler'];
    expect(validate(typo)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('Handlr');

    const eventTypo = structuredClone(template);
    const events = (
      eventTypo['Resources'] as Record<
        string,
        { Properties: { Events: Record<string, { Properties: Record<string, unknown> }> } }
      >
    )['GantryFunction']!.Properties.Events;
    events['Tick']!.Properties = { Schedul: 'rate(1 minute)' };
    expect(validate(eventTypo)).toBe(false);
  });

  it('intrinsic functions are parsed into their long form', () => {
    const fn = resources()['GantryFunction']!.Properties;
    const vars = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(vars['GANTRY_KUBECONFIG_SECRET']).toEqual({ Ref: 'KubeconfigSecretArn' });
    expect(vars['GANTRY_EKS_CLUSTER']).toEqual({
      'Fn::If': ['HasEksCluster', { Ref: 'EksClusterName' }, { Ref: 'AWS::NoValue' }],
    });
    expect(fn['FunctionName']).toEqual({ 'Fn::Sub': '${AWS::StackName}-gantry' });
    expect(resources()['GantryAccessEntry']!.Properties['PrincipalArn']).toEqual({
      'Fn::GetAtt': ['GantryFunctionRole', 'Arn'],
    });
  });

  it('the function: Node 22, index.handler from the bundle, a Function URL, the tick and ECR pushes', () => {
    const fn = resources()['GantryFunction']!;
    expect(fn.Type).toBe('AWS::Serverless::Function');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      CodeUri: '../../dist/lambda',
      FunctionUrlConfig: { AuthType: 'NONE' },
    });
    expect(fn.Properties['Events']).toEqual({
      Tick: {
        Type: 'Schedule',
        Properties: { Schedule: 'rate(1 minute)', Description: expect.any(String) as unknown },
      },
      EcrPush: {
        Type: 'EventBridgeRule',
        Properties: {
          Pattern: {
            source: ['aws.ecr'],
            'detail-type': ['ECR Image Action'],
            detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
          },
        },
      },
    });
  });

  it('IAM: GetSecretValue on the kubeconfig secret and InvokeFunction on itself, nothing more', () => {
    const policies = resources()['GantryFunction']!.Properties['Policies'] as {
      Statement: { Effect: string; Action: string; Resource: unknown }[];
    }[];
    const statements = policies.flatMap((p) => p.Statement);
    expect(statements.map((s) => [s.Effect, s.Action, s.Resource])).toEqual([
      ['Allow', 'secretsmanager:GetSecretValue', { Ref: 'KubeconfigSecretArn' }],
      [
        'Allow',
        'lambda:InvokeFunction',
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-gantry',
        },
      ],
    ]);
  });

  it('the environment it sets is one the Lambda host accepts (parameters at their defaults)', () => {
    const params = template['Parameters'] as Record<string, { Default?: string }>;
    const sample: Record<string, string> = {
      KubeconfigSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gantry-kubeconfig-AbCdEf',
    };
    const value = (v: unknown): string | undefined => {
      if (typeof v === 'string') return v;
      const ref = (v as { Ref?: string }).Ref;
      if (ref !== undefined)
        return ref === 'AWS::NoValue' ? undefined : (sample[ref] ?? params[ref]?.Default);
      const cond = (v as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
      // HasEksCluster and HasDefaultServiceAccount are false at the defaults (their parameters "").
      if (cond !== undefined) return value(cond[2]);
      throw new Error(`unexpected value ${JSON.stringify(v)}`);
    };
    const fn = resources()['GantryFunction']!.Properties;
    const vars = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    const env = Object.fromEntries(
      Object.entries(vars)
        .map(([k, v]) => [k, value(v)] as const)
        .filter((e): e is readonly [string, string] => e[1] !== undefined),
    );
    const parsed = lambdaEnv({ ...env, AWS_REGION: 'eu-west-1' });
    expect(parsed.kubeconfig).toEqual({ kind: 'secret', id: sample['KubeconfigSecretArn'] });
    expect(parsed.eksCluster).toBeUndefined();
    expect(parsed.admissionBudgetMs).toBe(2000);
    expect(parsed.engine.podNamespace).toBe('gantry-system');
    expect(parsed.impersonation).toEqual({ required: false });
  });
});

describe('least privilege, for real: the engine with only what deploy/ grants it', () => {
  // Applied for real (not dry-run): the RBAC of deploy/rbac, the example grant for packages, and the Knative and
  // Lambda identities; removed after. The engine then runs as the ServiceAccount gantry-system/gantry.
  const files = [
    'rbac/serviceaccount.yaml',
    'rbac/clusterrole-run.yaml',
    'rbac/clusterrole-serve.yaml',
    'rbac/pull-secrets.yaml',
    'rbac/package-objects.yaml',
    'rbac/examples/package-objects-workloads.yaml',
    'knative/rbac.yaml',
    'lambda/rbac.yaml',
  ];
  let applied: Manifest[] = [];
  let workDir: string;

  beforeAll(async () => {
    applied = (await manifestsOf(files.map((f) => join(DEPLOY, f)))).map(({ manifest: m }) => m);
    for (const m of applied) {
      const r = await client.apply(await dryRunner.pathOf(m), m, 'gantry-deploy-test', true);
      if (r.status !== 200 && r.status !== 201) throw new Error(`applying ${idOf(m)}: ${r.status} ${r.text}`);
    }
    workDir = await mkdtemp(join(tmpdir(), 'gantry-deploy-sa-'));
  });

  afterAll(async () => {
    for (const m of [...applied].reverse()) await client.delete(await dryRunner.pathOf(m));
    await rm(workDir, { recursive: true, force: true });
  });

  /** What the API server's authorizer answers for `user` (and groups). */
  async function can(
    user: string,
    groups: readonly string[],
    attributes: {
      verb: string;
      resource: string;
      group?: string;
      namespace?: string;
      subresource?: string;
      name?: string;
    },
  ): Promise<boolean> {
    const r = await client.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user, groups: [...groups], resourceAttributes: { group: '', ...attributes } },
    });
    return (r.body as { status: { allowed: boolean } }).status.allowed;
  }

  it('each identity gets what its host needs and no more', async () => {
    const run = 'system:serviceaccount:gantry-system:gantry';
    const serve = 'system:serviceaccount:gantry-system:gantry-serve';
    const source = 'system:serviceaccount:gantry-system:gantry-apiserversource';
    const lambda = ['gantry-lambda-user', ['gantry:lambda']] as const;
    const pkgs = { resource: 'packages', group: 'package-operator.run' };
    // The aggregated role is filled in by the controller manager.
    await eventually('gantry-package-objects aggregated', async () =>
      (await can(run, [], { verb: 'create', resource: 'configmaps', namespace: 'default' }))
        ? true
        : undefined,
    );
    expect(await can(run, [], { ...pkgs, verb: 'watch' })).toBe(true);
    expect(await can(run, [], { ...pkgs, verb: 'update', subresource: 'status', namespace: 'x' })).toBe(true);
    expect(
      await can(run, [], {
        verb: 'update',
        group: 'package-operator.run',
        resource: 'packages',
        namespace: 'x',
      }),
    ).toBe(true);
    // PKO's HostedCluster and HostedClusterPackage controllers.
    const hcpkgs = { group: 'package-operator.run', resource: 'hostedclusterpackages' };
    expect(await can(run, [], { ...hcpkgs, verb: 'watch' })).toBe(true);
    expect(await can(run, [], { ...hcpkgs, verb: 'update', subresource: 'status' })).toBe(true);
    expect(await can(run, [], { ...hcpkgs, verb: 'update', subresource: 'finalizers' })).toBe(true);
    const hostedClusters = { group: 'hypershift.openshift.io', resource: 'hostedclusters' };
    expect(await can(run, [], { ...hostedClusters, verb: 'watch' })).toBe(true);
    expect(await can(run, [], { ...hostedClusters, verb: 'update', namespace: 'x' })).toBe(false);
    const registrySecret = { verb: 'get', resource: 'secrets', namespace: 'gantry-system' };
    expect(await can(run, [], { ...registrySecret, name: 'gantry-registry' })).toBe(true);
    expect(await can(run, [], { ...registrySecret, name: 'gantry-serving-tls' })).toBe(false);
    expect(await can(run, [], { verb: 'get', resource: 'secrets', namespace: 'default' })).toBe(false);
    expect(await can(run, [], { verb: 'list', resource: 'secrets', namespace: 'gantry-system' })).toBe(false);
    expect(await can(run, [], { verb: 'create', resource: 'events', namespace: 'default' })).toBe(true);
    expect(await can(run, [], { verb: 'update', resource: 'events', namespace: 'default' })).toBe(true);
    expect(await can(run, [], { verb: 'list', resource: 'events', namespace: 'default' })).toBe(false);
    expect(await can(run, [], { verb: 'create', resource: 'secrets', namespace: 'default' })).toBe(false);
    // Impersonation of ServiceAccounts only (their groups come with them), never of users or groups.
    const impersonate = { verb: 'impersonate', namespace: 'tenant-a', name: 'tenant' };
    for (const [user, groups] of [[run, []], [serve, []], lambda] as const) {
      expect(await can(user, groups, { ...impersonate, resource: 'serviceaccounts' })).toBe(true);
      expect(await can(user, groups, { ...impersonate, resource: 'users', namespace: '' })).toBe(false);
      expect(await can(user, groups, { ...impersonate, resource: 'groups', namespace: '' })).toBe(false);
    }
    for (const [user, groups] of [[serve, []], lambda] as const) {
      expect(await can(user, groups, { ...pkgs, verb: 'list' })).toBe(true);
      expect(await can(user, groups, { ...pkgs, verb: 'watch' })).toBe(false);
      expect(await can(user, groups, { verb: 'patch', resource: 'configmaps', namespace: 'default' })).toBe(
        true,
      );
      expect(await can(user, groups, { ...registrySecret, name: 'gantry-registry' })).toBe(true);
    }
    expect(await can(source, [], { ...pkgs, verb: 'watch' })).toBe(true);
    expect(await can(source, [], { ...pkgs, verb: 'update' })).toBe(false);
    expect(await can(source, [], { verb: 'get', resource: 'configmaps', namespace: 'default' })).toBe(false);
  });

  /** A kubeconfig authenticating as the ServiceAccount gantry-system/<name> (a TokenRequest token). */
  async function kubeconfigFor(name: string): Promise<string> {
    return serviceAccountKubeconfig(client, 'gantry-system', name, join(workDir, `kubeconfig-${name}`));
  }

  /** ServiceAccount `tenant` of `ns`, which may manage ConfigMaps there and nothing else. */
  async function tenant(ns: string): Promise<void> {
    const made = [
      await client.create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'tenant' },
      }),
      await client.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'tenant' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch', 'delete'] }],
      }),
      await client.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'tenant' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant' },
        subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: ns }],
      }),
    ];
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
  }

  /**
   * Install a one-ConfigMap package in a fresh namespace (with `withTenant`, whose ServiceAccount `tenant` may
   * manage ConfigMaps), wait for Available, delete it, wait until all is gone.
   */
  async function installAndRemove(
    engineKube: KubeApi,
    failures: readonly string[],
    prefix: string,
    withTenant = false,
  ): Promise<void> {
    const ns = await createNamespace(client, prefix);
    try {
      if (withTenant) await tenant(ns);
      const image = await pushPackage(prefix, {
        'manifest.yaml': manifest(prefix, ['config']),
        'cm.yaml': configMap(`${prefix}-cm`, 'config', { granted: 'by deploy/rbac' }),
      });
      const created = await client.create(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages`, {
        apiVersion: 'package-operator.run/v1alpha1',
        kind: 'Package',
        metadata: { name: 'web', namespace: ns },
        spec: { image },
      });
      expect(created.status).toBe(201);
      const available = await eventually(
        'Package Available',
        async () => {
          const c = conditions(await engineKube.get(pkgRef(ns, 'web')));
          return c['Available']?.status === 'True' ? c : undefined;
        },
        90_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; step errors: ${failures.slice(-5).join(' | ')}`);
      });
      expect(available['Available']?.reason).toBe('Available');
      const cm = await client.get(`/api/v1/namespaces/${ns}/configmaps/${prefix}-cm`);
      expect((cm.body as { data: Record<string, string> }).data).toEqual({ granted: 'by deploy/rbac' });
      // The condition transitions were recorded as Events with the identity's own permissions.
      await eventually('an Event about the Package', async () => {
        const events = await client.get(`/api/v1/namespaces/${ns}/events`);
        const items = (
          events.body as { items: { involvedObject: { kind: string }; reportingComponent?: string }[] }
        ).items;
        return items.some(
          (e) =>
            e.involvedObject.kind === 'Package' && e.reportingComponent === 'package-operator.run/gantry',
        )
          ? true
          : undefined;
      });

      await client.delete(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/web`);
      await eventually(
        'Package and its objects gone',
        async () => {
          const p = await client.get(`/apis/package-operator.run/v1alpha1/namespaces/${ns}/packages/web`);
          const c = await client.get(`/api/v1/namespaces/${ns}/configmaps/${prefix}-cm`);
          return p.status === 404 && c.status === 404 ? true : undefined;
        },
        90_000,
      );
      // Only this package's own steps count: the engine also meets leftovers of earlier test files whose
      // namespaces are being deleted (the API server refuses new content there with a Forbidden of its own).
      expect(failures.filter((f) => f.includes(` ${ns}/`) && /forbidden/i.test(f))).toEqual([]);
    } finally {
      await deleteNamespace(client, ns);
    }
  }

  /** `gantry run` as ServiceAccount gantry-system/gantry (with the given impersonation) runs {@link installAndRemove}. */
  async function runAsGantry(prefix: string, impersonation?: EngineOptions['impersonation']): Promise<void> {
    const failures: string[] = [];
    const engine = await createEngine({
      kubeconfig: await kubeconfigFor('gantry'),
      env: { POD_NAMESPACE: NAMESPACE, GANTRY_SERVICE_ACCOUNT: 'gantry' },
      ...(impersonation !== undefined ? { impersonation } : {}),
      record: (r) => {
        if (r.error !== undefined)
          failures.push(`${r.key.kind} ${r.key.namespace}/${r.key.name} ${r.step}: ${r.error}`);
      },
    });
    const runner = new Runner({
      client: engine.client,
      deps: engine.deps,
      concurrency: 4,
      namespace: '',
      resyncMs: 3_600_000,
      log: () => undefined,
    });
    try {
      await runner.start();
      await installAndRemove(engine.deps.kube, failures, prefix, impersonation !== undefined);
    } finally {
      await runner.stop();
      engine.close();
    }
  }

  it('`gantry run` as ServiceAccount gantry-system/gantry installs and removes a package', async () => {
    await runAsGantry('deploy-run');
  });

  it('`gantry run --default-service-account tenant` as gantry-system/gantry: the package installed as the tenant', async () => {
    // The engine's role grants `impersonate` on serviceaccounts: every object of the package is read, written
    // and deleted as system:serviceaccount:<ns>:tenant (a request it may not impersonate would be Forbidden).
    await runAsGantry('deploy-tenant', { defaultServiceAccount: 'tenant', required: true });
  });

  it('`gantry serve` as ServiceAccount gantry-system/gantry-serve (no watch permission) does the same', async () => {
    // Plain HTTP, as behind Knative's ingress; no webhooks registered and no events sent: the schedule tick with a
    // short full resync is the only trigger here, so every read is a GET or LIST.
    const failures: string[] = [];
    const serve = await startServe({
      kubeconfig: await kubeconfigFor('gantry-serve'),
      env: { POD_NAMESPACE: NAMESPACE, GANTRY_SERVICE_ACCOUNT: 'gantry' },
      record: (r) => {
        if (r.error !== undefined)
          failures.push(`${r.key.kind} ${r.key.namespace}/${r.key.name} ${r.step}: ${r.error}`);
      },
      host: '127.0.0.1',
      port: 0,
      tls: undefined,
      concurrency: 4,
      namespace: '',
      tickMs: 300,
      fullResyncMs: 1_000,
      admissionBudgetMs: 0,
      eventsAuth: {},
      log: () => undefined,
    });
    try {
      await installAndRemove(serve.engine.deps.kube, failures, 'deploy-serve');
    } finally {
      await serve.stop();
    }
  });
});

describe('the command lines in deploy/ start the real CLI', () => {
  // The container args of the Deployment and of the Knative Service, run as they are: only the addresses and the
  // file paths are moved to this machine (loopback, any free port; the test CA's serving certificate; the events
  // config of the Knative Secret in a temporary file), and the kubeconfig and a namespace are added.
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'gantry.mjs');
  let workDir: string;
  let ns: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'gantry-deploy-cli-'));
    ns = await createNamespace(client, 'deploy-cli');
  });

  afterAll(async () => {
    await deleteNamespace(client, ns);
    await rm(workDir, { recursive: true, force: true });
  });

  async function containerArgs(file: string): Promise<string[]> {
    const [m] = await readManifests(join(DEPLOY, file));
    const spec = (m!['spec'] as { template: { spec: { containers: { args: string[] }[] } } }).template.spec;
    return spec.containers[0]!.args;
  }

  function relocate(args: readonly string[], moves: Record<string, string>): string[] {
    return args.map((arg) => {
      const eq = arg.indexOf('=');
      const flag = eq < 0 ? arg : arg.slice(0, eq);
      const to = moves[flag];
      return to === undefined ? arg : `${flag}=${to}`;
    });
  }

  /** Run `gantry <args>` until `check(url)` passes on the URL it says it serves on; then SIGTERM, exit 0. */
  async function runUntil(
    args: readonly string[],
    check: (url: string) => Promise<void>,
  ): Promise<{ stderr: string }> {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await eventually(
        'the serving line',
        () => {
          if (child.exitCode !== null) throw new Error(`gantry exited ${child.exitCode}: ${stderr}`);
          return Promise.resolve(/serving on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]);
        },
        60_000,
      );
      await check(url);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    return { stderr };
  }

  function request(
    url: string,
    options: { method?: string; body?: string; headers?: Record<string, string>; ca?: string },
  ): Promise<{ status: number; body: string }> {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method: options.method ?? 'GET', headers: options.headers, ca: options.ca },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  it('deploy/gantry/deployment.yaml: `gantry run --serve` over TLS, ready, metrics on their own port', async () => {
    const kube = inject('kube');
    const metricsPort = 20_000 + Math.floor(Math.random() * 20_000);
    const args = relocate(await containerArgs('gantry/deployment.yaml'), {
      '--tls-cert': kube.serverCertFile,
      '--tls-key': kube.serverKeyFile,
      '--addr': '127.0.0.1:0',
      '--metrics-addr': `127.0.0.1:${metricsPort}`,
    });
    const ca = await readFile(kube.caFile, 'utf8');
    await runUntil([...args, '--kubeconfig', kube.kubeconfigPath, '-n', ns], async (url) => {
      expect(url).toMatch(/^https:/);
      await eventually('ready', async () =>
        (await request(`${url}/readyz`, { ca })).status === 200 ? true : undefined,
      );
      expect((await request(`${url}/healthz`, { ca })).status).toBe(200);
      const metrics = await request(`http://127.0.0.1:${metricsPort}/metrics`, {});
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('gantry_steps_total');
    });
  });

  const pingSourceTick = {
    method: 'POST',
    body: '{}',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'deploy-test-ping',
      'ce-source': '/apis/v1/namespaces/gantry-system/pingsources/gantry-tick',
      'ce-type': 'dev.knative.sources.ping',
    },
  };

  it.each([
    ['events-service.yaml', 202],
    ['service.yaml', 401],
  ])(
    'deploy/knative/%s: `gantry serve --plain-http` as shipped; an unauthenticated PingSource tick gets %i',
    async (file, status) => {
      const [secret] = await readManifests(join(DEPLOY, 'knative', 'events-config.yaml'));
      const eventsFile = join(workDir, 'events.yaml');
      await writeFile(eventsFile, (secret!['stringData'] as Record<string, string>)['events.yaml']!);
      const args = relocate(await containerArgs(`knative/${file}`), {
        '--addr': '127.0.0.1:0',
        '--events-config': eventsFile,
        '--handback-url': 'http://127.0.0.1:9/events', // a hand-back that fails is only logged
      });
      const kube = inject('kube');
      await runUntil([...args, '--kubeconfig', kube.kubeconfigPath, '-n', ns], async (url) => {
        expect(url).toMatch(/^http:/);
        await eventually('ready (after the first tick)', async () =>
          (await request(`${url}/readyz`, {})).status === 200 ? true : undefined,
        );
        expect((await request(`${url}/events`, pingSourceTick)).status).toBe(status);
      });
    },
  );
});
