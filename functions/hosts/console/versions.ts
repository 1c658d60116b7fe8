/**
 * @module hosts/console/versions
 * The versions of the package a Package follows (PackageRevisions of its repository, in its namespace), for the
 * console's Versions table: one LIST per repository and package, kept 5 s (a page that changes often lists once).
 */
import { LRUCache } from 'lru-cache';
import { GANTRY_API_VERSION } from '../../../shared/api/constants.js';
import { isRecord } from '../../../shared/api/objects.js';
import { LABEL_PACKAGE_NAME, LABEL_REPOSITORY, parseFollow } from '../../../shared/catalog/model.js';
import { revisionSchema, type Revision } from '../../../shared/catalog/revision.js';
import { versionsView, type VersionsView } from '../../../shared/catalog/versions.js';
import type { KubeApi, KubeObject } from '../../../shared/ports.js';

export class VersionReader {
  private readonly lists = new LRUCache<string, Revision[]>({ max: 200, ttl: 5_000 });

  public constructor(private readonly kube: KubeApi) {}

  /** The Versions of a following Package; undefined when it follows nothing (or its annotations are wrong). */
  public async of(pkg: KubeObject): Promise<VersionsView | undefined> {
    const follow = parseFollow(pkg.metadata.annotations);
    if (follow === undefined || 'error' in follow) return undefined;
    const namespace = pkg.metadata.namespace ?? '';
    const selector = [
      `${LABEL_REPOSITORY}=${follow.repository}`,
      ...(follow.packageName !== undefined ? [`${LABEL_PACKAGE_NAME}=${follow.packageName}`] : []),
    ].join(',');
    const id = `${namespace}/${selector}`;
    let revisions = this.lists.get(id);
    if (revisions === undefined) {
      revisions = (
        await this.kube.list(GANTRY_API_VERSION, 'PackageRevision', namespace, { labelSelector: selector })
      ).flatMap((o) => {
        const r = revisionSchema.safeParse(o);
        return r.success ? [r.data] : [];
      });
      this.lists.set(id, revisions);
    }
    const spec = isRecord(pkg['spec']) ? pkg['spec'] : {};
    return versionsView(follow, typeof spec['image'] === 'string' ? spec['image'] : '', revisions);
  }
}
