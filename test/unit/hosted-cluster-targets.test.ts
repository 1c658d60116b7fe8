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
  public resource(): ReturnType<ManagementClient['resource']> {
    return Promise.resolve({ plural: 'hostedclusters', namespaced: true });
  }

  /** Every request: `LIST`, `GET <kind> <namespace>/<name>`, `WATCH`. */
  public readonly requests: string[] = [];

  public list(): Promise<KubeObject[]> {
    this.requests.push('LIST');
    return Promise.resolve([...this.hostedClusters]);
  }

  public get(ref: ObjectRef): Promise<KubeObject> {
    this.requests.push(`GET ${ref.kind} ${ref.namespace}/${ref.name}`);
    if (ref.kind === 'HostedCluster') {
      const hc = this.hostedClusters.find(
        (h) => h.metadata.namespace === ref.namespace && h.metadata.name === ref.name,
      );
      return hc !== undefined
        ? Promise.resolve(hc)
        : Promise.reject(new KubeApiError('not found', 404, 'NotFound'));
    }
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

  public collectionPath(_apiVersion: string, kind: string, namespace: string): Promise<string> {
    return Promise.resolve(`${kind}:${namespace}`);
  }

  /** The Secret watches' field selectors, and whether each still runs. */
  public readonly secretWatches: { fieldSelector: string | undefined; open: boolean }[] = [];
  /** The event callback of each watch, by path (`<kind>:<namespace>`). */
  public readonly emitters = new Map<string, (type: string, object: unknown) => void>();

  /** The HostedClusters' watch's event callback, once watching. */
  public get emit(): ((type: string, object: unknown) => void) | undefined {
    return this.emitters.get('HostedCluster:');
  }

  public listWithVersion(
    path: string,
    _labelSelector?: string,
    fieldSelector?: string,
  ): Promise<{ items: unknown[]; resourceVersion: string }> {
    if (path.startsWith('Secret:')) {
      const name = fieldSelector?.replace('metadata.name=', '') ?? '';
      if (name === 'no-watch-kc')
        return Promise.reject(new KubeApiError('secrets is forbidden', 403, 'Forbidden'));
      const text = this.secrets.get(name);
      const items =
        text === undefined
          ? []
          : [{ metadata: { name }, data: { kubeconfig: Buffer.from(text).toString('base64') } }];
      return Promise.resolve({ items, resourceVersion: '1' });
    }
    return Promise.resolve({ items: [...this.hostedClusters], resourceVersion: '1' });
  }

  public watch(
    w: { readonly path: string; readonly fieldSelector?: string; readonly signal?: AbortSignal },
    onEvent: (type: string, object: unknown) => void,
  ): Promise<void> {
    this.requests.push(`WATCH ${w.path}`);
    this.emitters.set(w.path, onEvent);
    const secretWatch = w.path.startsWith('Secret:')
      ? { fieldSelector: w.fieldSelector, open: true }
      : undefined;
    if (secretWatch !== undefined) this.secretWatches.push(secretWatch);
    return new Promise((resolve) => {
      w.signal?.addEventListener('abort', () => {
        if (secretWatch !== undefined) secretWatch.open = false;
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

describe("a many-clusters runner's watch of each open client's Secret", () => {
  const secretObject = (name: string, text: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'clusters' },
    data: { kubeconfig: Buffer.from(text).toString('base64') },
  });

  it('watches only that Secret, runs the phases at once when its kubeconfig changes, and ends with the client', async () => {
    const m = new FakeManagement();
    for (const n of ['a', 'b']) {
      m.hostedClusters.push(hostedCluster(n, `${n}-kc`));
      m.secrets.set(`${n}-kc`, kubeconfig(`https://${n}.example:6443`));
    }
    const logs: string[] = [];
    const targets = new HostedClusterTargets({
      client: m,
      maxClusters: 1,
      log: (line) => logs.push(line),
    });
    const changed: string[] = [];
    targets.onChange((ns) => changed.push(ns));
    await targets.start();
    await targets.resolve('clusters-a');
    const first = targets.clientOf('clusters-a');
    await new Promise((r) => setTimeout(r, 10));
    expect(m.secretWatches).toEqual([{ fieldSelector: 'metadata.name=a-kc', open: true }]);
    changed.length = 0;
    const emit = m.emitters.get('Secret:clusters');
    // Another write of the same kubeconfig (a label, a resync): nothing to do.
    emit?.('MODIFIED', secretObject('a-kc', kubeconfig('https://a.example:6443')));
    expect(changed).toEqual([]);
    // A new kubeconfig: the phases run at once; their step makes the new client, whose Secret is watched anew.
    m.secrets.set('a-kc', kubeconfig('https://a2.example:6443'));
    emit?.('MODIFIED', secretObject('a-kc', kubeconfig('https://a2.example:6443')));
    expect(changed).toEqual(['clusters-a']);
    expect(logs).toContain('hosted cluster clusters/a: its admin kubeconfig Secret clusters/a-kc changed');
    await targets.resolve('clusters-a');
    expect(first?.signal.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(m.secretWatches).toEqual([
      { fieldSelector: 'metadata.name=a-kc', open: false },
      { fieldSelector: 'metadata.name=a-kc', open: true },
    ]);
    // Deleted: the phases run at once (and are told the Secret is not found).
    changed.length = 0;
    m.emitters.get('Secret:clusters')?.('DELETED', secretObject('a-kc', ''));
    expect(changed).toEqual(['clusters-a']);
    // At most one watch per kept client: the least recently used client's watch ends with it.
    await targets.resolve('clusters-b');
    await new Promise((r) => setTimeout(r, 10));
    expect(m.secretWatches.filter((w) => w.open)).toEqual([
      { fieldSelector: 'metadata.name=b-kc', open: true },
    ]);
    expect(logs.join('\n')).not.toContain(MARKER);
    targets.stop();
    expect(m.secretWatches.filter((w) => w.open)).toEqual([]);
  });

  it('stops watching, once logged, when it may not watch the Secret', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('n', 'no-watch-kc'));
    m.secrets.set('no-watch-kc', kubeconfig('https://n.example:6443'));
    const logs: string[] = [];
    const targets = new HostedClusterTargets({ client: m, log: (line) => logs.push(line) });
    await targets.start();
    expect((await targets.resolve('clusters-n')).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(logs).toEqual(['not watching Secret:clusters: secrets is forbidden']);
    targets.stop();
  });
});

describe('the hosted clusters of a watch-less host (gantry serve, the Lambda)', () => {
  async function lookingUp(management: FakeManagement, ttlMs = 60_000): Promise<HostedClusterTargets> {
    const targets = new HostedClusterTargets({
      client: management,
      maxClusters: 8,
      log: () => undefined,
      lookup: { ttlMs },
    });
    await targets.start();
    return targets;
  }

  it('lists and watches nothing; finds a HostedCluster by GET when a phase needs it, and remembers it', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('a', 'a-kc'));
    m.secrets.set('a-kc', kubeconfig('https://a.example:6443'));
    const targets = await lookingUp(m);
    expect(m.requests).toEqual([]);
    const first = await targets.resolve('clusters-a');
    expect(first.ok && first.cluster).toBe('clusters/a');
    expect(m.requests).toEqual(['GET HostedCluster clusters/a', 'GET Secret clusters/a-kc']);
    m.requests.length = 0;
    // The HostedCluster remembered; the Secret read at every step, the same kubeconfig the same client.
    const again = await targets.resolve('clusters-a');
    expect(again.ok && first.ok && again.target.kube === first.target.kube).toBe(true);
    expect(m.requests).toEqual(['GET Secret clusters/a-kc']);
    // A changed Secret: a new client at the next step.
    m.secrets.set('a-kc', kubeconfig('https://a2.example:6443'));
    const changed = await targets.resolve('clusters-a');
    expect(changed.ok && first.ok && changed.target.kube !== first.target.kube).toBe(true);
    targets.stop();
  });

  it('tries each split of the namespace, then (a name with dots) one LIST; a namespace of none is remembered', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('b.c', 'bc-kc'));
    m.secrets.set('bc-kc', kubeconfig('https://bc.example:6443'));
    const targets = await lookingUp(m);
    const dotted = await targets.resolve('clusters-b-c');
    expect(dotted.ok && dotted.cluster).toBe('clusters/b.c');
    expect(m.requests).toEqual([
      'GET HostedCluster clusters/b-c',
      'GET HostedCluster clusters-b/c',
      'LIST',
      'GET Secret clusters/bc-kc',
    ]);
    m.requests.length = 0;
    const none = await targets.resolve('clusters-x');
    expect(none).toEqual({
      ok: false,
      gone: true,
      message: 'namespace clusters-x is not the control-plane namespace of any HostedCluster',
    });
    // The LIST is at most every 5 s; the answer is remembered for the TTL.
    expect(m.requests).toEqual(['GET HostedCluster clusters/x']);
    m.requests.length = 0;
    await targets.resolve('clusters-x');
    expect(m.requests).toEqual([]);
    targets.stop();
  });

  it('a deleted HostedCluster is no target once the remembered lookup expires; its bad Secret is reported without content', async () => {
    const m = new FakeManagement();
    m.hostedClusters.push(hostedCluster('a', 'a-kc'), hostedCluster('bad', 'bad-kc'));
    m.secrets.set('a-kc', kubeconfig('https://a.example:6443'));
    m.secrets.set('bad-kc', `users: [{name: u, user: {token: ${MARKER}}}]\n`);
    const targets = await lookingUp(m, 1_000);
    const bad = await targets.resolve('clusters-bad');
    expect(bad).toEqual({
      ok: false,
      message:
        'hosted cluster clusters/bad: Secret clusters/bad-kc: key "kubeconfig" is not a usable kubeconfig: kubeconfig: clusters: Invalid input: expected array, received undefined',
    });
    expect((await targets.resolve('clusters-a')).ok).toBe(true);
    m.hostedClusters.splice(0, 1, {
      ...hostedCluster('a', 'a-kc'),
      metadata: { name: 'a', namespace: 'clusters', uid: 'a-uid', deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect((await targets.resolve('clusters-a')).ok).toBe(true); // remembered
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await targets.resolve('clusters-a')).toEqual({
      ok: false,
      gone: true,
      message: 'namespace clusters-a is not the control-plane namespace of any HostedCluster',
    });
    targets.stop();
  });

  it('says so while the HostedCluster API is not served, without a GET', async () => {
    const m = new FakeManagement();
    m.resource = (): ReturnType<ManagementClient['resource']> => Promise.resolve(undefined);
    const targets = await lookingUp(m);
    expect(await targets.resolve('clusters-a')).toEqual({
      ok: false,
      message: 'the HostedCluster API (hypershift.openshift.io/v1beta1) is not served',
    });
    expect(m.requests).toEqual([]);
    targets.stop();
  });
});
