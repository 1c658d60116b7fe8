/**
 * @module test/integration/setup/crds
 * Installing third-party CRDs (Knative's, cert-manager's) into the test API server so manifests of their kinds can
 * be validated by server-side dry-run against the projects' own schemas, and a dry-run helper that works for any
 * kind the API server serves.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from '../../../devenv/kube.js';

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

/** Every document of a YAML file (empty documents skipped), as Kubernetes reads it (YAML 1.1, no timestamps). */
export async function readManifests(path: string): Promise<Manifest[]> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'), { version: '1.1' });
  const out: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message ?? 'bad YAML'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    out.push(value as Manifest);
  }
  return out;
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Install CRDs (server-side apply, so a leftover of an aborted run is simply updated) and wait until each is
 * Established. A conversion webhook is replaced by `None`: nothing serves it here, and the dry-runs only use the
 * storage version, so no conversion is ever needed. Returns the names, for `deleteCrds`.
 */
export async function installCrds(client: KubeClient, crds: readonly Manifest[]): Promise<string[]> {
  const names: string[] = [];
  for (const crd of crds) {
    const spec = { ...(crd['spec'] as Record<string, unknown>) };
    const conversion = spec['conversion'] as { strategy?: string } | undefined;
    if (conversion?.strategy === 'Webhook') spec['conversion'] = { strategy: 'None' };
    const body = { ...crd, spec };
    const r = await client.apply(`${CRD_PATH}/${crd.metadata.name}`, body, 'gantry-deploy-test', true);
    if (r.status !== 200 && r.status !== 201)
      throw new Error(`installing CRD ${crd.metadata.name}: ${r.status} ${r.text.slice(0, 500)}`);
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await client.get(`${CRD_PATH}/${name}`);
      const conditions = ((r.body as { status?: { conditions?: { type: string; status: string }[] } }).status
        ?.conditions ?? []) as { type: string; status: string }[];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established: ${r.text.slice(0, 500)}`);
      await sleep(200);
    }
  }
  return names;
}

export async function deleteCrds(client: KubeClient, names: readonly string[]): Promise<void> {
  for (const name of names) await client.delete(`${CRD_PATH}/${name}`);
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Manifests against the API server: their paths (each kind resolved through discovery) and server-side dry-runs. */
export class DryRunner {
  private readonly discovery = new Map<string, ApiResource[]>();

  public constructor(private readonly client: KubeClient) {}

  private async resource(apiVersion: string, kind: string): Promise<ApiResource> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    // A freshly Established CRD may take a moment to show up in discovery.
    const deadline = Date.now() + 30_000;
    for (;;) {
      let resources = this.discovery.get(apiVersion);
      if (resources === undefined) {
        const r = await this.client.get(base);
        if (r.status === 200) {
          resources = (r.body as { resources: ApiResource[] }).resources;
          this.discovery.set(apiVersion, resources);
        }
      }
      const found = resources?.find((x) => x.kind === kind && !x.name.includes('/'));
      if (found !== undefined) return found;
      this.discovery.delete(apiVersion);
      if (Date.now() > deadline) throw new Error(`${apiVersion} ${kind} is not served by the API server`);
      await sleep(250);
    }
  }

  /** The API path of a manifest's object (its kind resolved through discovery). */
  public async pathOf(manifest: Manifest): Promise<string> {
    const info = await this.resource(manifest.apiVersion, manifest.kind);
    const base = manifest.apiVersion.includes('/')
      ? `/apis/${manifest.apiVersion}`
      : `/api/${manifest.apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${manifest.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${info.name}/${manifest.metadata.name}`;
  }

  /**
   * Server-side apply with `dryRun=All` and `fieldValidation=Strict` (an unknown or duplicated field is an
   * error, not a warning): the API server runs defaulting, schema validation and admission, and persists
   * nothing. Returns the status and the server's message.
   */
  public async dryRun(manifest: Manifest): Promise<{ status: number; message: string }> {
    const path = await this.pathOf(manifest);
    const r = await this.client.request(
      'PATCH',
      `${path}?dryRun=All&fieldValidation=Strict&fieldManager=gantry-deploy-test&force=true`,
      manifest,
      'application/apply-patch+yaml',
    );
    const message = (r.body as { message?: string } | undefined)?.message ?? r.text.slice(0, 500);
    return { status: r.status, message };
  }
}
