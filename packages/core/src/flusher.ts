/**
 * The flusher turns buffered batches into WAL entries, one flush at a time.
 *
 * Ordering rules:
 * - Flushes run strictly one after another, each covering `[first unflushed batch, end)` at the time it
 *   starts; so entries hold batches in append order and the durable watermark moves contiguously.
 * - A batch is acknowledged (watermark advanced) only after the entry holding it is written.
 * - The first failed write stops the flusher for good: every waiter not yet durable, and every later
 *   trigger, rejects with that error (fenced, or poisoned with the cause). No waiter hangs.
 */
import type { RecordBatch } from "apache-arrow";
import type { BatchStore } from "./batch-store.js";
import { encodeWalEntry, type EntryStamp } from "./codec.js";
import { WalError, WriterClosedError, WriterPoisonedError } from "./errors.js";
import { DurableWatermark } from "./watermark.js";
import { BatchDurableWatcher } from "./watcher.js";
import { WriteOnceCell } from "./once-cell.js";

/** Where the flusher writes entries. The shard writer's fenced appender implements it. */
export interface EntryAppender {
  /**
   * Writes one encoded entry at the next WAL position.
   * @throws WriterFencedError, WriterPoisonedError or another error; the flusher stops on any throw.
   */
  appendEntry(bytes: Uint8Array): Promise<{ readonly position: bigint; readonly key: string }>;
}

/** An in-memory index updated with each flushed range, in parallel with the WAL write. */
export interface MemIndex {
  readonly name: string;
  /** `firstPosition` is the batch position of `batches[0]`. A throw fails the flush like a write error. */
  insert(batches: readonly RecordBatch[], firstPosition: number): void | Promise<void>;
}

export interface WalFlushResult {
  /** The entry written. */
  readonly entry: { readonly position: bigint; readonly key: string };
  /** Batch positions `[from, to)` the entry holds. */
  readonly batches: { readonly from: number; readonly to: number };
  readonly rows: number;
  /** Encoded entry size. */
  readonly bytes: number;
  /** Milliseconds spent encoding + writing the entry. */
  readonly ioMs: number;
  /** Milliseconds until every index was updated (they run in parallel with the write). */
  readonly indexMs: number;
  readonly indexBreakdown: Readonly<Record<string, number>>;
}

export interface WalFlusherOptions {
  readonly batchStore: BatchStore;
  readonly appender: EntryAppender;
  readonly stamp: EntryStamp;
  readonly indexes?: readonly MemIndex[];
  /** Called after each successful flush (for metrics); a throw here is reported as an uncaught error, not swallowed. */
  readonly onFlushed?: (result: WalFlushResult) => void;
}

interface Trigger {
  readonly upTo: number | "all";
  readonly done: WriteOnceCell<WalFlushResult | undefined>;
}

export class WalFlusher {
  readonly durableWatermark = new DurableWatermark();
  private readonly queue: Trigger[] = [];
  private running = false;
  private flushedUpTo = 0;
  private failure: unknown;
  private closed = false;
  private backpressureCell = new WriteOnceCell<void>();
  private readonly onWaitHooks: Array<(position: number) => void> = [];

  constructor(private readonly options: WalFlusherOptions) {}

  /** Batch position up to which batches have been handed to a flush (durable or in flight). */
  get flushedPosition(): number {
    return this.flushedUpTo;
  }

  /** True while a flush is running or queued. */
  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** The error that stopped the flusher, if any. */
  get error(): unknown {
    return this.failure;
  }

  /** Registers a hook called when a producer starts waiting on a batch (the writer uses it to flush at once). */
  onWait(hook: (position: number) => void): void {
    this.onWaitHooks.push(hook);
  }

  /** A watcher for the batch at `position` (already appended to the batch store). */
  trackBatch(position: number): BatchDurableWatcher {
    return new BatchDurableWatcher(this.durableWatermark, position, (p) => {
      for (const hook of this.onWaitHooks) hook(p);
    });
  }

  /**
   * Queues a flush of every batch up to `upTo` (exclusive batch position) or all buffered batches.
   * Resolves with the flush result, or `undefined` when there was nothing to flush.
   * @throws the error that stopped the flusher (fenced, poisoned, closed).
   */
  triggerFlush(upTo: number | "all" = "all"): Promise<WalFlushResult | undefined> {
    const done = new WriteOnceCell<WalFlushResult | undefined>();
    if (this.failure !== undefined) {
      done.fail(this.failure);
    } else {
      this.queue.push({ upTo, done });
      if (!this.running) void this.loop();
    }
    return done.wait();
  }

  /**
   * Resolves when the next flush completes (or at once when nothing is buffered or in flight), so a
   * producer facing a full buffer can wait for room. @throws the flusher's error.
   */
  backpressure(signal?: AbortSignal): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.busy && this.options.batchStore.size === 0) return Promise.resolve();
    return this.backpressureCell.wait(signal);
  }

  /**
   * Flushes everything buffered, then stops: later triggers reject with `WriterClosedError`. Idempotent.
   * @throws the flusher's error when the final flush fails.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.failure === undefined) await this.triggerFlush("all");
    } finally {
      this.stop(new WriterClosedError("the WAL flusher is closed"));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Stops the flusher with `error`: every pending and future waiter and trigger rejects with it. */
  stop(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.durableWatermark.fail(error);
    for (const t of this.queue.splice(0)) t.done.fail(error);
    this.backpressureCell.fail(error);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      for (let t = this.queue.shift(); t; t = this.queue.shift()) {
        if (this.failure !== undefined) {
          t.done.fail(this.failure);
          continue;
        }
        try {
          t.done.set(await this.flushOnce(t.upTo));
        } catch (e) {
          const error = e instanceof WalError ? e : new WriterPoisonedError(`WAL flush failed: ${describe(e)}`, e);
          this.stop(error);
          t.done.fail(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async flushOnce(upTo: number | "all"): Promise<WalFlushResult | undefined> {
    const store = this.options.batchStore;
    const from = this.flushedUpTo;
    const to = upTo === "all" ? store.end : Math.min(upTo, store.end);
    if (to <= from) return undefined;
    const batches = store.slice(from, to);
    this.flushedUpTo = to;
    const started = performance.now();
    const breakdown: Record<string, number> = {};
    const write = (async () => {
      const bytes = encodeWalEntry(batches, this.options.stamp);
      const entry = await this.options.appender.appendEntry(bytes);
      return { entry, bytes: bytes.byteLength, ioMs: performance.now() - started };
    })();
    const indexes = Promise.all(
      (this.options.indexes ?? []).map(async (index) => {
        const t0 = performance.now();
        await index.insert(batches, from);
        breakdown[index.name] = performance.now() - t0;
      }),
    ).then(() => performance.now() - started);
    const [written, indexMs] = await Promise.all([write, indexes]);
    const result: WalFlushResult = {
      entry: written.entry,
      batches: { from, to },
      rows: batches.reduce((n, b) => n + b.numRows, 0),
      bytes: written.bytes,
      ioMs: written.ioMs,
      indexMs,
      indexBreakdown: breakdown,
    };
    this.durableWatermark.advance(to);
    store.release(to);
    const cell = this.backpressureCell;
    this.backpressureCell = new WriteOnceCell<void>();
    cell.set();
    this.options.onFlushed?.(result);
    return result;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
