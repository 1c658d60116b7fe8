/**
 * @module hosts/console/stream
 * One server-sent-events stream of the console: the Package list as changes (upserts and deletions, coalesced by
 * key), and, when the page shows one Package, its detail again whenever something it shows changed. Bounded: at
 * most {@link MAX_PENDING} changes wait per stream (beyond that they are dropped for one `snapshot`), nothing is
 * written while the socket's buffer is full, and changes are sent at most every {@link FLUSH_MS}.
 */
import type { ServerResponse } from 'node:http';
import type { PackageSummary } from '../../../shared/console/view.js';

/** Most changes one stream keeps while it cannot send; beyond, it sends a snapshot instead. */
export const MAX_PENDING = 2000;
/** Changes within this many ms go out together. */
export const FLUSH_MS = 50;
/** A comment line this often keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 25_000;

/** What a stream sends, computed by the server when the stream flushes. */
export interface StreamSource {
  /** The list as the viewer may see it. */
  snapshot(): Promise<{ packages: readonly PackageSummary[]; warnings: readonly string[] }>;
  /** Whether the viewer may see the Package of a key (a change of one it may not see is not sent). */
  visible(key: string): Promise<boolean>;
  /** What the stream follows besides the list: one Package or template (null: it is gone), or the templates. */
  detail(): Promise<unknown>;
}

export class ConsoleStream {
  private readonly pending = new Map<string, PackageSummary | null>();
  private resync = false;
  private detailDirty = false;
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  public constructor(
    private readonly res: ServerResponse,
    private readonly source: StreamSource,
    /**
     * The event that carries what the stream follows besides the list (`detail`: one Package, `template`: one
     * ObjectTemplate, `templates`: the ObjectTemplates); undefined: the list only.
     */
    private readonly follows: 'detail' | 'template' | 'templates' | undefined,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.resync = true;
    this.detailDirty = follows !== undefined;
    this.heartbeat = setInterval(() => {
      this.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    res.on('drain', () => {
      this.blocked = false;
      this.schedule();
    });
    // The first snapshot goes out at once: it is what the page waits for to show anything.
    void this.flush();
  }

  /** A Package changed (null: deleted). */
  public packageChanged(key: string, summary: PackageSummary | null): void {
    if (this.resync) return;
    this.pending.set(key, summary);
    if (this.pending.size > MAX_PENDING) {
      this.pending.clear();
      this.resync = true;
    }
    this.schedule();
  }

  /** Something the followed Package's page shows changed. */
  public detailChanged(): void {
    if (this.follows === undefined) return;
    this.detailDirty = true;
    this.schedule();
  }

  /** A kind was listed again: the next flush sends the whole list. */
  public relisted(): void {
    this.pending.clear();
    this.resync = true;
    this.detailDirty = this.follows !== undefined;
    this.schedule();
  }

  public close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed || this.blocked || this.timer !== undefined || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  private write(text: string): void {
    if (this.closed) return;
    if (!this.res.write(text)) this.blocked = true;
  }

  private send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private async flush(): Promise<void> {
    if (this.closed) return;
    this.flushing = true;
    try {
      if (this.resync) {
        this.resync = false;
        this.send('snapshot', await this.source.snapshot());
      } else if (this.pending.size > 0) {
        const changes = [...this.pending.entries()];
        this.pending.clear();
        const seen: [string, PackageSummary | null][] = [];
        for (const change of changes) if (await this.source.visible(change[0])) seen.push(change);
        if (seen.length > 0)
          this.send('packages', {
            upserts: seen.flatMap(([, s]) => (s === null ? [] : [s])),
            deletes: seen.flatMap(([k, s]) => (s === null ? [k] : [])),
          });
      }
      if (this.detailDirty && !this.blocked) {
        this.detailDirty = false;
        this.send(this.follows ?? 'detail', await this.source.detail());
      }
    } catch {
      // Sent again on the next change of what the page shows, not in a loop.
      this.send('problem', {
        message: 'the console could not read the package; it tries again on its next change',
      });
    } finally {
      this.flushing = false;
    }
    if (this.resync || this.pending.size > 0 || this.detailDirty) this.schedule();
  }
}
