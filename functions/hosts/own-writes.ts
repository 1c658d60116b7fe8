/**
 * @module hosts/own-writes
 * Which watch events are the runner's own writes coming back, and which are changes by someone else.
 *
 * A step's writes race their watch events: the API server may deliver the event of a write (on the watch's
 * connection) before the write's own response arrives (on another connection). An event about an object whose
 * key is running is therefore not judged at once: it is held until the step is done, and the key runs again
 * only if the object is then not at a resourceVersion the step wrote. Without this, a failing step's own status
 * write made it run again at once, and every extra run doubled its back-off.
 */

/** resourceVersions kept per object: a step may write the same object more than once. */
const VERSIONS_PER_OBJECT = 4;

export interface OwnWritesOptions {
  /** At most this many objects remembered; beyond it, the memory is dropped (events then count as changes). */
  readonly maxObjects?: number;
}

/** The runner's memory of its own writes, and the events held while a key runs. */
export class OwnWrites {
  private readonly written = new Map<string, string[]>();
  private readonly held = new Map<string, Map<string, string | undefined>>();
  private readonly maxObjects: number;

  public constructor(options: OwnWritesOptions = {}) {
    this.maxObjects = options.maxObjects ?? 100_000;
  }

  /** Objects remembered now (for tests of the bound). */
  public get size(): number {
    return this.written.size;
  }

  /** This process wrote `objectKey`, and the API server answered with `resourceVersion`. */
  public remember(objectKey: string, resourceVersion: string): void {
    const versions = this.written.get(objectKey);
    if (versions === undefined) {
      if (this.written.size >= this.maxObjects) this.written.clear();
      this.written.set(objectKey, [resourceVersion]);
      return;
    }
    if (versions.includes(resourceVersion)) return;
    versions.push(resourceVersion);
    if (versions.length > VERSIONS_PER_OBJECT) versions.shift();
  }

  /** Whether an object at this resourceVersion is as this process wrote it. */
  public isOwn(objectKey: string, resourceVersion: string | undefined): boolean {
    return resourceVersion !== undefined && (this.written.get(objectKey)?.includes(resourceVersion) ?? false);
  }

  /** Hold an event of `objectKey` until the step of `runKey` is done. */
  public hold(runKey: string, objectKey: string, resourceVersion: string | undefined): void {
    const seen = this.held.get(runKey) ?? new Map<string, string | undefined>();
    seen.set(objectKey, resourceVersion);
    this.held.set(runKey, seen);
  }

  /**
   * The step of `runKey` is done: whether any event held for it shows an object that is not as this process
   * wrote it (then the key must run again). Forgets what was held.
   */
  public settle(runKey: string): boolean {
    const seen = this.held.get(runKey);
    if (seen === undefined) return false;
    this.held.delete(runKey);
    // Events arrive in order, so the version held last per object is the newest one seen.
    for (const [objectKey, rv] of seen) if (!this.isOwn(objectKey, rv)) return true;
    return false;
  }
}
