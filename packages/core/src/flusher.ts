/**
 * The flusher turns buffered batches into WAL entries, one flush at a time.
 *
 * Ordering rules:
 * - Each flush covers `[first unflushed batch, end)` at the moment it starts and takes the next WAL
 *   position at that moment, so entries hold batches in append order.
 * - Up to `maxInFlight` flushes (K) run at once; their writes may complete in any order, but a flush
 *   is acknowledged (watermark advanced, trigger resolved) only when it and every earlier flush are
 *   written: the durable watermark moves over a contiguous prefix, never across a gap.
 * - The first failed write stops the flusher for good: every waiter not yet durable, and every later
 *   trigger, rejects with that error (fenced, or poisoned with the cause). Entries of later flushes
 *   that still land are never acknowledged; the next writer neutralizes them (see shard-writer.ts).
 *   No waiter hangs.
 */
import type { RecordBatch } from "apache-arrow";
import type { BatchStore } from "./batch-store.js";
import { encodeWalEntry, type EntryStamp } from "./codec.js";
import { InvalidArgumentError, WalError, WriterClosedError, WriterPoisonedError, describeError } from "./errors.js";
import { DurableWatermark } from "./watermark.js";
import { BatchDurableWatcher } from "./watcher.js";
import { WriteOnceCell } from "./once-cell.js";

/** Where the flusher writes entries. The shard writer's fenced appender implements it. */
export interface EntryAppender {
  /**
   * Writes one encoded entry at the next WAL position. The position must be taken synchronously,
   * before the first await, so that concurrent calls take positions in call order.
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
  /** Called after each acknowledged flush, in order (for metrics); a throw here is reported as an uncaught error, not swallowed. */
  readonly onFlushed?: (result: WalFlushResult) => void;
  /** Flushes (entries) in flight at once, K (default 1: one at a time). */
  readonly maxInFlight?: number;
}

interface InFlight {
  readonly trigger: Trigger;
  readonly from: number;
  readonly to: number;
  result?: WalFlushResult;
}

interface Trigger {
  readonly upTo: number | "all";
  readonly done: WriteOnceCell<WalFlushResult | undefined>;
}

export class WalFlusher {
  readonly durableWatermark = new DurableWatermark();
  private readonly queue: Trigger[] = [];
  /** Started flushes in start order; the head is the oldest not yet acknowledged. */
  private readonly inFlight: InFlight[] = [];
  private readonly maxInFlight: number;
  private flushedUpTo = 0;
  private inFlightBytes = 0;
  private failure: unknown;
  private closed = false;
  private backpressureCell = new WriteOnceCell<void>();
  private readonly onWaitHooks: Array<(position: number) => void> = [];

  /** @throws InvalidArgumentError when `maxInFlight` is not a positive integer. */
  constructor(private readonly options: WalFlusherOptions) {
    this.maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isSafeInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new InvalidArgumentError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
  }

  /** Batch position up to which batches have been handed to a flush (durable or in flight). */
  get flushedPosition(): number {
    return this.flushedUpTo;
  }

  /** Bytes of encoded entries written or being written and not yet acknowledged. */
  get encodedBytesInFlight(): number {
    return this.inFlightBytes;
  }

  /** True while a flush is running or queued. */
  get busy(): boolean {
    return this.inFlight.length > 0 || this.queue.length > 0;
  }

  /** True when another flush may start now without waiting for one in flight. */
  get hasRoom(): boolean {
    return this.queue.length === 0 && this.inFlight.length < this.maxInFlight;
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
   * Resolves with the flush result once it is acknowledged, or `undefined` when there was nothing to
   * flush when it started.
   * @throws the error that stopped the flusher (fenced, poisoned, closed).
   */
  triggerFlush(upTo: number | "all" = "all"): Promise<WalFlushResult | undefined> {
    const done = new WriteOnceCell<WalFlushResult | undefined>();
    if (this.failure !== undefined) {
      done.fail(this.failure);
    } else {
      this.queue.push({ upTo, done });
      this.pump();
    }
    return done.wait();
  }

  /**
   * Resolves when the next flush is acknowledged (or at once when nothing is buffered or in flight),
   * so a producer facing a full buffer can wait for room. @throws the flusher's error.
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
      if (this.failure === undefined) {
        // Everything appended so far, then wait until the whole window is acknowledged.
        await this.triggerFlush("all");
        const end = this.options.batchStore.end;
        if (end > 0) await this.durableWatermark.waitFor(end - 1);
      }
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
    for (const f of this.inFlight.splice(0)) f.trigger.done.fail(error);
    this.backpressureCell.fail(error);
  }

  /** Starts queued triggers while there is room in the window. */
  private pump(): void {
    while (this.failure === undefined && this.queue.length > 0 && this.inFlight.length < this.maxInFlight) {
      const trigger = this.queue.shift()!;
      const store = this.options.batchStore;
      const from = this.flushedUpTo;
      const to = trigger.upTo === "all" ? store.end : Math.min(trigger.upTo, store.end);
      if (to <= from) {
        trigger.done.set(undefined);
        continue;
      }
      this.flushedUpTo = to;
      const flight: InFlight = { trigger, from, to };
      this.inFlight.push(flight);
      this.write(flight).then(
        (result) => {
          flight.result = result;
          this.acknowledge();
        },
        (e: unknown) => {
          const error = e instanceof WalError ? e : new WriterPoisonedError(`WAL flush failed: ${describeError(e)}`, e);
          this.stop(error);
        },
      );
    }
  }

  /** Acknowledges the contiguous prefix of written flushes, in order. */
  private acknowledge(): void {
    while (this.failure === undefined && this.inFlight.length > 0 && this.inFlight[0]!.result) {
      const flight = this.inFlight.shift()!;
      const result = flight.result!;
      this.inFlightBytes -= result.bytes;
      this.durableWatermark.advance(flight.to);
      this.options.batchStore.release(flight.to);
      const cell = this.backpressureCell;
      this.backpressureCell = new WriteOnceCell<void>();
      cell.set();
      flight.trigger.done.set(result);
      this.options.onFlushed?.(result);
    }
    this.pump();
  }

  /** Encodes and writes one entry, updating the indexes in parallel. Takes the WAL position synchronously. */
  private async write(flight: InFlight): Promise<WalFlushResult> {
    const { from, to } = flight;
    const batches = this.options.batchStore.slice(from, to);
    const started = performance.now();
    const breakdown: Record<string, number> = {};
    // Encoding and the appender's position assignment happen before the first await, so entries take
    // positions in the order their flushes start.
    const bytes = encodeWalEntry(batches, this.options.stamp);
    this.inFlightBytes += bytes.byteLength;
    const write = this.options.appender.appendEntry(bytes).then((entry) => ({ entry, ioMs: performance.now() - started }));
    const indexes = Promise.all(
      (this.options.indexes ?? []).map(async (index) => {
        const t0 = performance.now();
        await index.insert(batches, from);
        breakdown[index.name] = performance.now() - t0;
      }),
    ).then(() => performance.now() - started);
    const [written, indexMs] = await Promise.all([write, indexes]);
    return {
      entry: written.entry,
      batches: { from, to },
      rows: batches.reduce((n, b) => n + b.numRows, 0),
      bytes: bytes.byteLength,
      ioMs: written.ioMs,
      indexMs,
      indexBreakdown: breakdown,
    };
  }
}

