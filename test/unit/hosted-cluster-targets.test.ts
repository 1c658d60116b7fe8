/**
 * The hosted clusters of a `--hosted-clusters` runner on a fake management client: the target of a control-plane
 * namespace, what a phase is told when there is none (without the Secret's content), clients bounded (least
 * recently used closed), rebuilt when the kubeconfig changes, closed when the HostedCluster goes.
 */
import { describe, expect, it } from 'vitest';
import { HostedClusterTargets, type ManagementClient } from '../../functions/hosts/hosted-cluster-targets.js';
import { KubeApiError } from '../../shared/kube-errors.js';
import type { KubeObject, ObjectRef } from '../../shared/ports.js';

const MARKER = 'secret-token-value';

function kubeconfig(server: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: '${server}'}}]
users: [{name: u, user: {token: ${MARKER}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
}

function hostedCluster(name: string, secret?: string): KubeObject {
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace: 'clusters', uid: `${name}-uid` },
    ...(secret !== undefined ? { status: { kubeconfig: { name: secret } } } : {}),
  };
}

class FakeManagement implements ManagementClient {
  public readonly hostedClusters: KubeObject[] = [];
  public readonly secrets = new Map<string, string>();
  /** The watch's event callback, once watching. */
  public emit: ((type: string, object: unknown) => void) | undefined;

  public resource(): ReturnType<ManagementClient['resource']> {
    return Promise.resolve({ plural: 'hostedclusters', namespaced: true });
  }

  public list(): Promise<KubeObject[]> {
    return Promise.resolve([...this.hostedClusters]);
  }

  public get(ref: ObjectRef): Promise<KubeObject> {
    const text = this.secrets.get(ref.name);
    if (ref.name === 'forbidden')
      return Promise.reject(new KubeApiError('secrets "forbidden" is forbidden', 403, 'Forbidden'));
    if (text === undefined) return Promise.reject(new KubeApiError('not found', 404, 'NotFound'));
    return Promise.resolve({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, namespace: ref.namespace },
      data: { kubeconfig: Buffer.from(text).toString('base64') },
    });
  }

  public collectionPath(): Promise<string> {
    return Promise.resolve('/apis/hypershift.openshift.io/v1beta1/hostedclusters');
  }

  public listWithVersion(): Promise<{ items: unknown[]; resourceVersion: string }> {
    return Promise.resolve({ items: [...this.hostedClusters], resourceVersion: '1' });
  }

  public watch(
    w: { readonly signal?: AbortSignal },
    onEvent: (type: string, object: unknown) => void,
  ): Promise<void> {
    this.emit = onEvent;
    return new Promise((resolve) => {
      w.signal?.addEventListener('abort', () => {
        resolve();
      });
    });
  }
}

async function started(
  management: FakeManagement,
  maxClusters = 8,
): Promise<{ targets: HostedClusterTargets; changed: string[] }> {
  const targets = new HostedClusterTargets({ client: management, maxClusters, log: () => undefined });
  const changed: string[] = [];
  targets.onChange((ns) => {
    changed.push(ns);
  });
  await targets.start();
  return { targets, changed };
}

describe('the hosted clusters of a many-clusters runner', () => {
  it('finds the cluster of a control-plane namespace through its HostedCluster and admin kubeconfig Secret', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('a.b', 'a.b-admin-kubeconfig'));
    m.secrets.set('a.b-admin-kubeconfig', kubeconfig('https://a.example:6443'));
    const { targets } = await started(m);
    const resolved = await targets.resolve('clusters-a-b');
    expect(resolved.ok && resolved.cluster).toBe('clusters/a.b');
    expect(targets.clientOf('clusters-a-b')?.cluster).toBe('clusters/a.b');
    // The same kubeconfig: the same client.
    const again = await targets.resolve('clusters-a-b');
    expect(again.ok && resolved.ok && again.target.kube === resolved.target.kube).toBe(true);
    targets.stop();
  });

  it('says why there is no target, never with the Secret content', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(
      hostedCluster('nosecret'),
      hostedCluster('missing', 'missing-admin-kubeconfig'),
      hostedCluster('bad', 'bad-admin-kubeconfig'),
      hostedCluster('yaml', 'yaml-admin-kubeconfig'),
      hostedCluster('denied', 'forbidden'),
    );
    m.secrets.set('bad-admin-kubeconfig', `users: [{name: u, user: {token: ${MARKER}}}]\n`);
    m.secrets.set('yaml-admin-kubeconfig', `clusters: [${MARKER}\n  : : {`);
    const { targets } = await started(m);
    const messages = await Promise.all(
      [
        'other',
        'clusters-nosecret',
        'clusters-missing',
        'clusters-bad',
        'clusters-yaml',
        'clusters-denied',
      ].map(async (ns) => {
        const r = await targets.resolve(ns);
        return r.ok ? 'ok' : r.message;
      }),
    );
    expect(messages).toEqual([
      'namespace other is not the control-plane namespace of any HostedCluster',
      'hosted cluster clusters/nosecret: status.kubeconfig names no admin kubeconfig Secret yet',
      'hosted cluster clusters/missing: Secret clusters/missing-admin-kubeconfig not found',
      'hosted cluster clusters/bad: Secret clusters/bad-admin-kubeconfig: key "kubeconfig" is not a usable kubeconfig: kubeconfig: clusters: Invalid input: expected array, received undefined',
      'hosted cluster clusters/yaml: Secret clusters/yaml-admin-kubeconfig: key "kubeconfig" is not a usable kubeconfig: not valid YAML',
      'hosted cluster clusters/denied: cannot read Secret clusters/forbidden: secrets "forbidden" is forbidden',
    ]);
    expect(messages.join('\n')).not.toContain(MARKER);
    const none = await targets.resolve('other');
    expect(!none.ok && none.gone).toBe(true);
    targets.stop();
  });

  it('keeps at most maxClusters clients (least recently used closed) and rebuilds one whose kubeconfig changed', async () => {
    const m = new FakeManagement();
    for (const n of ['a', 'b']) {
      m.hostedClusters.push(hostedCluster(n, `${n}-kc`));
      m.secrets.set(`${n}-kc`, kubeconfig(`https://${n}.example:6443`));
    }
    const { targets, changed } = await started(m, 1);
    await targets.resolve('clusters-a');
    const a = targets.clientOf('clusters-a');
    await targets.resolve('clusters-b');
    expect(a?.signal.aborted).toBe(true);
    expect(targets.clientOf('clusters-a')).toBeUndefined();
    const b = targets.clientOf('clusters-b');
    expect(b?.signal.aborted).toBe(false);
    changed.length = 0;
    m.secrets.set('b-kc', kubeconfig('https://b2.example:6443'));
    await targets.resolve('clusters-b');
    expect(b?.signal.aborted).toBe(true);
    expect(targets.clientOf('clusters-b')?.signal.aborted).toBe(false);
    expect(changed).toEqual(['clusters-b']);
    targets.stop();
  });

  it('closes the client of a deleted HostedCluster and tells the runner', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('a', 'a-kc'));
    m.secrets.set('a-kc', kubeconfig('https://a.example:6443'));
    const { targets, changed } = await started(m);
    await targets.resolve('clusters-a');
    const a = targets.clientOf('clusters-a');
    for (let i = 0; i < 50 && m.emit === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    changed.length = 0;
    m.emit?.('DELETED', hostedCluster('a', 'a-kc'));
    expect(a?.signal.aborted).toBe(true);
    expect(changed).toEqual(['clusters-a']);
    m.hostedClusters.length = 0;
    const r = await targets.resolve('clusters-a');
    expect(!r.ok && r.gone).toBe(true);
    targets.stop();
  });
});
