/**
 * Events for condition transitions (issue 11 §4, Gantry's own): an install leaves the story of the Package and its
 * ObjectSet in core/v1 Events (reportingComponent `package-operator.run/gantry`; the ObjectDeployment's conditions
 * are the Package's, recorded there once), and a package of hundreds of objects makes no more Events than a small
 * one.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../shared/api/constants.js';
import type { KubeObject } from '../../shared/ports.js';
import {
  configMap,
  conditions,
  eventually,
  manifest,
  pkgRef,
  pushPackage,
  useEngine,
} from './setup/engine.js';

const suite = useEngine();

interface EventView {
  readonly kind: string;
  readonly name: string;
  readonly reason: string;
  readonly type: string;
  readonly message: string;
  readonly count: number;
}

function view(e: KubeObject): EventView {
  const involved = e['involvedObject'] as { kind: string; name: string };
  return {
    kind: involved.kind,
    name: involved.name,
    reason: String(e['reason']),
    type: String(e['type']),
    message: String(e['message']),
    count: Number(e['count']),
  };
}

async function gantryEvents(ns: string): Promise<EventView[]> {
  const events = await suite.kube().list('v1', 'Event', ns);
  return events.filter((e) => e['reportingComponent'] === 'package-operator.run/gantry').map(view);
}

async function installAndWait(ns: string, image: string): Promise<void> {
  await suite.kube().create({
    apiVersion: API_VERSION,
    kind: 'Package',
    metadata: { name: 'app', namespace: ns },
    spec: { image },
  });
  await eventually(
    'Available',
    async () => {
      const c = conditions(await suite.kube().get(pkgRef(ns, 'app')));
      return c['Available']?.status === 'True' && c['Progressing']?.status === 'False' ? true : undefined;
    },
    170_000,
  );
}

describe('events', () => {
  it('an install records its condition transitions as Events with their reasons', async () => {
    const ns = await suite.namespace('day2-events');
    const image = await pushPackage('day2-events', {
      'manifest.yaml': manifest('evt', ['one', 'two']),
      'a.yaml': configMap('a', 'one', { k: 'v' }),
      'b.yaml': configMap('b', 'two', { k: 'v' }),
    });
    await installAndWait(ns, image);
    const set = (await suite.kube().list(API_VERSION, 'ObjectSet', ns))[0];
    if (set === undefined) throw new Error('no ObjectSet');
    const events = await eventually('the Events of the install', async () => {
      const list = await gantryEvents(ns);
      return list.some((e) => e.kind === 'Package' && e.reason === 'Available') ? list : undefined;
    });
    const has = (kind: string, name: string, reason: string, message: string): void => {
      expect(events).toContainEqual({ kind, name, reason, type: 'Normal', message, count: 1 });
    };
    has(
      'Package',
      'app',
      'LatestRevisionPendingSuccess',
      'Progressing is now True: Latest Revision Status Unknown',
    );
    has('Package', 'app', 'Available', 'Available is now True: Latest Revision is Available.');
    // Each news told once: the first unpack by the Progressing that follows it, the update's end (Idle, in the
    // same status write) by Available. Events are written behind the steps: a second look after they settled.
    await new Promise((r) => setTimeout(r, 1_000));
    const settled = await gantryEvents(ns);
    expect(settled.filter((e) => e.reason === 'UnpackSuccess' || e.reason === 'Idle')).toEqual([]);
    // The Package mirrors its ObjectDeployment's conditions: their transitions are recorded once, on the Package.
    expect(events.filter((e) => e.kind === 'ObjectDeployment')).toEqual([]);
    // The Package's revision records only Warnings: its good news is the Package's Available.
    expect(events.filter((e) => e.kind === 'ObjectSet' && e.name === set.metadata.name)).toEqual([]);
    // Every install starts without an available ObjectSet: that is no news, so no Event says it.
    expect(events.filter((e) => e.reason === 'ObjectSetUnready')).toEqual([]);
    // the whole story of a good install is Normal
    expect(events.filter((e) => e.type !== 'Normal')).toEqual([]);
  });

  it('a failure is a Warning', async () => {
    const ns = await suite.namespace('day2-events-warn');
    await suite.kube().create({
      apiVersion: API_VERSION,
      kind: 'Package',
      metadata: { name: 'broken', namespace: ns },
      spec: { image: 'localhost:1/nowhere/nothing:v1' },
    });
    const warning = await eventually('the pull failure Event', async () =>
      (await gantryEvents(ns)).find((e) => e.reason === 'ImagePullBackOff'),
    );
    expect(warning.type).toBe('Warning');
    expect(warning.kind).toBe('Package');
    expect(warning.message.startsWith('Unpacked is now False: ')).toBe(true);
  });

  it('a package of 500 objects makes no more Events than a small one', async () => {
    const ns = await suite.namespace('day2-events-many');
    const files: Record<string, string> = { 'manifest.yaml': manifest('many', ['one', 'two', 'three']) };
    for (let i = 0; i < 500; i++)
      files[`cm${i}.yaml`] = configMap(`cm-${i}`, ['one', 'two', 'three'][i % 3] ?? 'one', { i: String(i) });
    const image = await pushPackage('day2-events-many', files);
    await installAndWait(ns, image);
    // the same transitions as a two-object install: a handful per object, none per managed object
    const events = await eventually('the Events of the install', async () => {
      const list = await gantryEvents(ns);
      return list.filter((e) => e.kind === 'Package').length === 2 ? list : undefined;
    });
    expect(
      events
        .filter((e) => e.kind === 'Package')
        .map((e) => e.reason)
        .sort(),
    ).toEqual(['Available', 'LatestRevisionPendingSuccess']);
    expect(events.filter((e) => e.kind === 'ObjectSet')).toEqual([]);
    expect(events.length).toBeLessThanOrEqual(16);
    expect(Math.max(...events.map((e) => e.count))).toBeLessThanOrEqual(2);
  });
});
