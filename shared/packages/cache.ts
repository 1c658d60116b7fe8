/**
 * @module packages/cache
 * A per-process cache of pulled packages keyed by content digest, bounded in bytes (least recently used
 * entries go first), with concurrent loads of the same key de-duplicated. It is only an optimisation: a
 * failed load is never cached, and every caller works with it empty.
 */

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly shared: number;
}

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
}

export class BoundedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<V>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private shared = 0;

  public constructor(private readonly maxBytes: number) {}

  /** The cached value, marked most recently used. */
  public get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The cached value, or the running load of the same key, or a new load (stored when it succeeds). */
  public async getOrLoad(key: string, load: () => Promise<{ value: V; bytes: number }>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) {
      this.hits += 1;
      return hit;
    }
    const running = this.inflight.get(key);
    if (running !== undefined) {
      this.shared += 1;
      return running;
    }
    this.misses += 1;
    const promise = load().then(({ value, bytes }) => {
      this.set(key, value, bytes);
      return value;
    });
    this.inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  /** Store a value; one larger than the whole cache is not stored. */
  public set(key: string, value: V, bytes: number): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  public stats(): CacheStats {
    return {
      entries: this.entries.size,
      bytes: this.bytes,
      hits: this.hits,
      misses: this.misses,
      shared: this.shared,
    };
  }

  public clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
