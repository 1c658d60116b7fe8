/**
 * @module adapters/pko-metrics
 * PKO v1.19.0's Prometheus metrics, with its names, labels and meaning, beside Gantry's own on the same registry:
 * `package_operator_package_availability`, `_package_created_timestamp_seconds`, `_package_load_duration_seconds`,
 * `_package_revision`, `_object_set_created_timestamp_seconds`, `_object_set_succeeded_timestamp_seconds`, and the
 * managed-cache gauges (per ObjectSet: the kinds and objects it manages). Fed with every object the engine writes.
 */
import { Gauge, type Registry } from 'prom-client';
import { objectSetSeries, packageSeries } from '../../shared/metrics/pko.js';
import type { KubeObject } from '../../shared/ports.js';

const PACKAGE_KINDS = new Set(['Package', 'ClusterPackage']);
const SET_KINDS = new Set(['ObjectSet', 'ClusterObjectSet']);

export class PkoMetrics {
  private readonly availability: Gauge;
  private readonly created: Gauge;
  private readonly loadDuration: Gauge;
  private readonly revision: Gauge;
  private readonly setCreated: Gauge;
  private readonly setSucceeded: Gauge;
  private readonly informers: Gauge;
  private readonly cachedObjects: Gauge;
  /** The image label each package's availability series has now (one series per package). */
  private readonly imageOf = new Map<string, string>();
  /** The kinds each ObjectSet's managed-object series has now. */
  private readonly kindsOf = new Map<string, readonly string[]>();

  public constructor(registry: Registry) {
    const gauge = (name: string, help: string, labelNames: string[]): Gauge =>
      new Gauge({ name, help, labelNames, registers: [registry] });
    const pkg = ['pko_name', 'pko_namespace'];
    this.availability = gauge(
      'package_operator_package_availability',
      'Package availability 0=Unavailable,1=Available,2=Unknown.',
      [...pkg, 'image'],
    );
    this.created = gauge(
      'package_operator_package_created_timestamp_seconds',
      'Package Unix creation timestamp.',
      pkg,
    );
    this.loadDuration = gauge(
      'package_operator_package_load_duration_seconds',
      'Duration for the last package load operation, including download and parsing.',
      pkg,
    );
    this.revision = gauge('package_operator_package_revision', 'Package revision.', pkg);
    this.setCreated = gauge(
      'package_operator_object_set_created_timestamp_seconds',
      'ObjectSet Unix creation timestamp.',
      [...pkg, 'pko_package_instance'],
    );
    this.setSucceeded = gauge(
      'package_operator_object_set_succeeded_timestamp_seconds',
      'ObjectSet Unix success timestamp.',
      [...pkg, 'pko_package_instance', 'image'],
    );
    this.informers = gauge(
      'package_operator_managed_cache_informers_total',
      'Number of active informers per owner running for the managed cache.',
      ['owner'],
    );
    this.cachedObjects = gauge(
      'package_operator_managed_cache_objects_total',
      'Number of objects per GVK and owner in the managed cache.',
      ['owner', 'gvk'],
    );
  }

  /** An object the engine wrote: update the series of Packages and ObjectSets. */
  public observe(object: KubeObject): void {
    if (PACKAGE_KINDS.has(object.kind)) this.observePackage(object);
    else if (SET_KINDS.has(object.kind)) this.observeObjectSet(object);
  }

  /** A package was pulled and parsed in this many seconds. */
  public packageLoaded(name: string, namespace: string, seconds: number): void {
    this.loadDuration.set({ pko_name: name, pko_namespace: namespace }, seconds);
  }

  private observePackage(object: KubeObject): void {
    const s = packageSeries(object);
    const labels = { pko_name: s.name, pko_namespace: s.namespace };
    // One availability series per package: a changed image label replaces the old one (as PKO does).
    const key = `${s.namespace}/${s.name}`;
    const image = this.imageOf.get(key);
    if (image !== undefined) this.availability.remove({ ...labels, image });
    this.imageOf.delete(key);
    if (s.deleted) {
      this.created.remove(labels);
      this.loadDuration.remove(labels);
      this.revision.remove(labels);
      return;
    }
    this.availability.set({ ...labels, image: s.image }, s.availability);
    this.imageOf.set(key, s.image);
    this.created.set(labels, s.createdSeconds);
    this.revision.set(labels, s.revision);
  }

  private observeObjectSet(object: KubeObject): void {
    const s = objectSetSeries(object);
    const labels = { pko_name: s.name, pko_namespace: s.namespace, pko_package_instance: s.instance };
    if (s.createdSeconds === undefined) this.setCreated.remove(labels);
    else this.setCreated.set(labels, s.createdSeconds);
    if (s.succeeded === 'delete') this.setSucceeded.remove({ ...labels, image: s.image });
    else if (s.succeeded !== undefined) this.setSucceeded.set({ ...labels, image: s.image }, s.succeeded);
    for (const gvk of this.kindsOf.get(s.uid) ?? []) this.cachedObjects.remove({ owner: s.uid, gvk });
    this.informers.remove({ owner: s.uid });
    this.kindsOf.delete(s.uid);
    const kinds = Object.entries(s.objectsPerGvk);
    if (kinds.length === 0) return;
    this.informers.set({ owner: s.uid }, kinds.length);
    for (const [gvk, count] of kinds) this.cachedObjects.set({ owner: s.uid, gvk }, count);
    this.kindsOf.set(
      s.uid,
      kinds.map(([gvk]) => gvk),
    );
  }
}
