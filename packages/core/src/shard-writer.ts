/**
 * The writer of one shard: claims the epoch, fences the previous writer, replays its log, then
 * appends batches through a batch store and a flusher (DESIGN.md section 4).
 *
 * Open, in order: claim epoch -> find the tip -> (epoch >= 2) write a fence sentinel at the first free
 * position, so the previous writer's next append collides -> replay `replay_after+1 ..` to the first
 * gap, handing the batches to the caller -> append from the first free position.
 *
 * Replayed batches are handed out, never appended again: a batch is in the log exactly once.
 *
 * Flush policy: a flush starts when buffered bytes reach `flushBytes`, when `flushIntervalMs` passes
 * with data pending, and at once when a producer waits on a batch while the pipeline has room. Up to
 * `pipelineDepth` entries (K) are in flight at once, each at its own position; batches arriving while
 * the pipeline is full accumulate and go in the next entry (group commit).
 *
 * Pipelining and failure (docs/PROTOCOL.md has the full argument): when entry k fails or is fenced
 * while k+1.. already landed, nothing from k on is acknowledged (the durable watermark only covers a
 * contiguous prefix) and the writer stops. The entries beyond the gap are orphans and must never be
 * replayed. The next opener neutralizes them: it writes its fence sentinel at the first free position
 * S (the gap), then claims positions S+1 .. S+K'-1 with further sentinels, where K' is the previous
 * writer's pipeline depth recorded in the manifest; a late write of the fenced writer can land only
 * there, and replay skips any entry whose epoch is below a sentinel it has passed. New entries start
 * at S+K'.
 */
import type { RecordBatch, Schema } from "apache-arrow";
import type { ObjectStore } from "./object-store.js";
import { AlreadyExistsError, InvalidArgumentError, WriterClosedError, WriterFencedError } from "./errors.js";
import { ShardPaths } from "./naming.js";
import { ManifestStore, nextManifest, defaultWarningHandler, type WarningHandler } from "./manifest.js";
import { claimEpoch, MAX_CLAIM_ATTEMPTS } from "./claim.js";
import { encodeFenceSentinel, sameSchema } from "./codec.js";
import { findTip, readEntryAt, replayPaths, type WalEntry } from "./replay.js";
import { FencedAppender } from "./appender.js";
import { BatchStore } from "./batch-store.js";
import { WalFlusher, type MemIndex, type WalFlushResult } from "./flusher.js";
import type { BatchDurableWatcher } from "./watcher.js";
import type { RetryOptions } from "./retry.js";
import { createObject } from "./create.js";

export interface ShardWriterOptions {
  /**
   * Receives each replayed entry (position order, sentinels skipped) before `open` resolves. The
   * batches are already durable; they are not appended again. A throw aborts the open.
   */
  readonly onReplay?: (entry: WalEntry) => void | Promise<void>;
  /** Flush when this many bytes of column data are buffered (default 10 MiB). */
  readonly flushBytes?: number;
  /** Flush when data has been pending this long (default 100 ms). */
  readonly flushIntervalMs?: number;
  /** Slots in the batch store; `append` waits for room when full (default 8192). */
  readonly maxBufferedBatches?: number;
  /**
   * `append` waits for room while the batches not yet durable plus the encoded copies of entries in
   * flight hold this many bytes (default 64 MiB). Batches admitted below the limit may then be encoded
   * into an entry, so the writer's data in memory stays under about twice this.
   */
  readonly maxBufferedBytes?: number;
  /** Retries of one entry write on transient errors (defaults: 3 retries, 50 ms base delay). */
  readonly retry?: RetryOptions;
  /** In-memory indexes updated with every flush, in parallel with the WAL write. */
  readonly indexes?: readonly MemIndex[];
  /** Attempts to claim the epoch before giving up (default 16). */
  readonly maxClaimAttempts?: number;
  /** Called after each acknowledged flush, in order. */
  readonly onFlushed?: (result: WalFlushResult) => void;
  /**
   * Entries in flight at once (K, 1..64; default 8, the best of the K sweep in BENCHMARKS.md). 1 writes
   * one entry at a time as Lance does; more overlaps round trips on high-latency stores. Recorded in
   * the manifest for the next opener.
   */
  readonly pipelineDepth?: number;
  /** Entries replay fetches ahead while decoding in order (default 8). */
  readonly replayPrefetch?: number;
  /** Bytes replay may hold fetched ahead (default 64 MiB). */
  readonly maxReplayPrefetchBytes?: number;
  /** Non-fatal conditions (a stale or corrupt hint that was worked around). Default: `process.emitWarning`. */
  readonly onWarning?: WarningHandler;
}

/** What `open` replayed. */
export interface ReplaySummary {
  readonly entries: number;
  readonly batches: number;
  readonly rows: number;
  /** Replay covered positions `(after, upTo]`. */
  readonly after: bigint;
  readonly upTo: bigint;
}

export const MAX_PIPELINE_DEPTH = 64;
/** No fence sentinel is this large (an empty schema, `writer_epoch` of at most 20 digits, `fence_sentinel`). */
const SENTINEL_SIZE_BOUND = 1024;
export const DEFAULT_PIPELINE_DEPTH = 8;

export class ShardWriter {
  private readonly batchStore: BatchStore;
  private readonly flusher: WalFlusher;
  private readonly timer: NodeJS.Timeout;
  private schema: Schema | undefined;
  private closing: Promise<void> | undefined;
  /** Highest batch position a producer is waiting on; drives "flush now" when idle. */
  private waitedUpTo = -1;
  private durablePosition: bigint;
  private replayAfter: bigint;
  private readonly flushBytes: number;
  private readonly maxBufferedBytes: number;

  private constructor(
    private readonly store: ObjectStore,
    readonly paths: ShardPaths,
    readonly epoch: bigint,
    private readonly manifests: ManifestStore,
    private readonly appender: FencedAppender,
    replayAfter: bigint,
    readonly replayed: ReplaySummary,
    private readonly options: ShardWriterOptions,
  ) {
    this.durablePosition = appender.nextPosition - 1n;
    this.flushBytes = options.flushBytes ?? 10 * 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.replayAfter = replayAfter;
    this.batchStore = new BatchStore(options.maxBufferedBatches ?? 8192);
    this.flusher = new WalFlusher({
      batchStore: this.batchStore,
      appender,
      stamp: { writerEpoch: epoch },
      indexes: options.indexes ?? [],
      maxInFlight: options.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH,
      onFlushed: (r) => {
        // Acknowledged in order, so this is the durable tip.
        this.durablePosition = r.entry.position;
        options.onFlushed?.(r);
        this.afterFlush();
      },
    });
    this.flusher.onWait((p) => {
      if (p > this.waitedUpTo) this.waitedUpTo = p;
      this.flushIfRoom();
    });
    const interval = options.flushIntervalMs ?? 100;
    this.timer = setInterval(() => this.flushIfRoom(), interval);
    // The interval must not keep a process alive on its own; `close()` flushes what is left.
    this.timer.unref();
  }

  /**
   * Opens the shard for writing (see the module comment for the order of steps).
   * @throws ClaimFailedError when a peer holds the shard at an equal or higher epoch;
   * WriterFencedError when replay meets an entry of a higher epoch; CorruptEntryError (naming key and
   * position) on an undecodable entry; CorruptManifestError; InvalidArgumentError for a bad shard id
   * or base; StoreError on I/O failure.
   */
  static async open(store: ObjectStore, base: string, shardId: string, options: ShardWriterOptions = {}): Promise<ShardWriter> {
    const paths = new ShardPaths(base, shardId);
    const depth = options.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH;
    if (!Number.isSafeInteger(depth) || depth < 1 || depth > MAX_PIPELINE_DEPTH) {
      throw new InvalidArgumentError(`pipelineDepth must be an integer in [1, ${MAX_PIPELINE_DEPTH}], got ${options.pipelineDepth}`);
    }
    const manifests = new ManifestStore(store, paths, options.onWarning ?? defaultWarningHandler, options.retry);
    const claimed = await claimEpoch(manifests, shardId, options.maxClaimAttempts ?? MAX_CLAIM_ATTEMPTS, depth);
    const epoch = claimed.manifest.writerEpoch;
    const replayAfter = claimed.manifest.replayAfterWalEntryPosition;
    const lastSeen = claimed.manifest.walEntryPositionLastSeen;
    let tip = await findTip(store, paths, replayAfter, lastSeen);
    if (epoch >= 2n) {
      const sentinel = await writeSentinel(store, paths, manifests, epoch, tip, options.retry);
      tip = await neutralizeOrphans(store, paths, epoch, sentinel, claimed.previousPipelineDepth, options.retry);
    }

    let entries = 0;
    let batches = 0;
    let rows = 0;
    let upTo = replayAfter;
    const replayOptions = { after: replayAfter, includeSentinels: true, prefetch: options.replayPrefetch, maxPrefetchBytes: options.maxReplayPrefetchBytes };
    for await (const entry of replayPaths(store, paths, replayOptions)) {
      if (entry.writerEpoch > epoch) {
        throw new WriterFencedError(shardId, epoch, entry.writerEpoch, `replay met entry ${entry.key} (position ${entry.position})`);
      }
      upTo = entry.position;
      if (entry.isSentinel) continue;
      entries++;
      batches += entry.batches.length;
      rows += entry.rows;
      await options.onReplay?.(entry);
    }
    // Replay cannot normally pass the tip (our sentinel, or for epoch 1 the first gap, stops it), but
    // appending after whatever it saw keeps a surprise from becoming a collision.
    const next = (upTo > tip ? upTo : tip) + 1n;
    const appender = new FencedAppender({ store, paths, manifests, epoch, nextPosition: next, retry: options.retry });
    const summary: ReplaySummary = { entries, batches, rows, after: replayAfter, upTo };
    return new ShardWriter(store, paths, epoch, manifests, appender, replayAfter, summary, options);
  }

  /** Position of the last entry known durable (the tip of the log as this writer sees it). */
  get durableTip(): bigint {
    return this.durablePosition;
  }

  /** Bytes the writer holds: batches not yet durable plus encoded entries in flight (what `maxBufferedBytes` bounds). */
  get bufferedBytes(): number {
    return this.batchStore.bufferedBytes + this.flusher.encodedBytesInFlight;
  }

  /** The `replay_after` of the last manifest this writer read or wrote. */
  get replayAfterPosition(): bigint {
    return this.replayAfter;
  }

  /** The error that stopped this writer (fenced, poisoned, closed), if any. */
  get error(): unknown {
    return this.flusher.error;
  }

  /**
   * Buffers `batch` and returns a watcher that resolves when it is durable. Waits for room when the
   * buffer is full (backpressure).
   * @throws InvalidArgumentError for a zero-row batch or one whose schema differs from the first
   * batch's; WriterFencedError / WriterPoisonedError / WriterClosedError once the writer has stopped;
   * `signal.reason` when aborted while waiting for room.
   */
  async append(batch: RecordBatch, signal?: AbortSignal): Promise<BatchDurableWatcher> {
    if (this.flusher.error !== undefined) throw this.flusher.error;
    if (this.closing) throw new WriterClosedError(`writer of shard ${this.paths.shardId} is closed`);
    if (batch.numRows === 0) throw new InvalidArgumentError("cannot append a batch with zero rows");
    if (this.schema === undefined) this.schema = batch.schema;
    else if (!sameSchema(this.schema, batch.schema)) {
      throw new InvalidArgumentError(
        `batch schema differs from this writer's schema (fields ${describeFields(batch.schema)} vs ${describeFields(this.schema)})`,
      );
    }
    for (;;) {
      if (this.flusher.error !== undefined) throw this.flusher.error;
      if (this.bufferedBytes < this.maxBufferedBytes || this.batchStore.size === 0) {
        const appended = this.batchStore.append(batch);
        if (appended.ok) {
          if (this.pendingBytes() >= this.flushBytes) this.flushIfRoom();
          return this.flusher.trackBatch(appended.position);
        }
      }
      this.flushIfRoom();
      await this.flusher.backpressure(signal);
    }
  }

  /**
   * Makes every batch appended so far durable.
   * @throws the writer's error (fenced, poisoned, closed) when that fails.
   */
  async flush(): Promise<void> {
    const end = this.batchStore.end;
    if (end === 0) {
      if (this.flusher.error !== undefined) throw this.flusher.error;
      return;
    }
    await this.flusher.trackBatch(end - 1).wait();
  }

  /**
   * Commits a manifest with `replay_after = position`: entries up to it are persisted elsewhere and
   * need no replay. Fence-checked, compare-and-swap on the manifest version, retried on a peer's commit.
   * @throws InvalidArgumentError when `position` is beyond the durable tip or behind the current
   * `replay_after`; WriterFencedError when a newer writer holds the shard; StoreError on I/O failure.
   * After a StoreError the checkpoint may or may not have been committed (its answer may have been
   * lost); both are safe, since the data up to `position` is persisted elsewhere, and calling again
   * with the same position is allowed.
   */
  async commitReplayAfter(position: bigint): Promise<void> {
    if (position > this.durablePosition) {
      throw new InvalidArgumentError(`cannot checkpoint position ${position}: the durable tip is ${this.durablePosition}`);
    }
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const latest = await this.manifests.readLatest();
      if (!latest) throw new WriterFencedError(this.paths.shardId, this.epoch, undefined, "the shard manifest disappeared");
      if (latest.manifest.writerEpoch > this.epoch) {
        throw new WriterFencedError(this.paths.shardId, this.epoch, latest.manifest.writerEpoch, "while committing a checkpoint");
      }
      if (position < latest.manifest.replayAfterWalEntryPosition) {
        throw new InvalidArgumentError(
          `cannot checkpoint position ${position}: replay_after is already ${latest.manifest.replayAfterWalEntryPosition}`,
        );
      }
      const next = nextManifest(latest.manifest, {
        version: latest.version + 1n,
        replayAfterWalEntryPosition: position,
        walEntryPositionLastSeen: this.durablePosition,
      });
      try {
        await this.manifests.write(next);
        this.replayAfter = position;
        return;
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
      }
    }
    throw new WriterFencedError(this.paths.shardId, this.epoch, undefined, `checkpoint lost ${MAX_CLAIM_ATTEMPTS} manifest races`);
  }

  /**
   * Deletes entries at or below the committed `replay_after`. It never deletes the highest entry of the
   * log (it anchors the tip for the next opener), anything above `replay_after`, or any fence sentinel
   * at all: a fenced writer that has not noticed yet will write next exactly at the position of the
   * sentinel that fenced it (docs/PROTOCOL.md), and if that position were free again its write would
   * succeed and be acknowledged below `replay_after`, where no replay ever looks.
   * @returns the deleted positions, ascending.
   */
  async gc(): Promise<bigint[]> {
    const latest = await this.manifests.readLatest();
    const replayAfter = latest?.manifest.replayAfterWalEntryPosition ?? 0n;
    const found: Array<{ position: bigint; size: number }> = [];
    let highest = 0n;
    for await (const meta of this.store.list(this.paths.walPrefix)) {
      const position = this.paths.positionOfKey(meta.key);
      if (position === undefined) continue;
      if (position > highest) highest = position;
      if (position <= replayAfter) found.push({ position, size: meta.size });
    }
    const doomed: bigint[] = [];
    for (const { position, size } of found.sort((a, b) => (a.position < b.position ? -1 : 1))) {
      if (position >= highest) continue;
      // A sentinel holds no fields and two short metadata values, so it is always small: only small
      // objects need reading to tell.
      if (size < SENTINEL_SIZE_BOUND) {
        const entry = await readEntryAt(this.store, this.paths, position);
        if (!entry || entry.isSentinel) continue;
      }
      await this.store.delete(this.paths.entryKey(position));
      doomed.push(position);
    }
    return doomed;
  }

  /**
   * Flushes what is buffered, then stops. Waiters of flushed batches resolve; anything appended later
   * is refused with `WriterClosedError`. Idempotent.
   * @throws the writer's error when the final flush fails (fenced, poisoned).
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        clearInterval(this.timer);
        await this.flusher.close();
      })();
    }
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Stops at once without flushing, as a crash would (tests and simulations). Pending waiters reject. */
  abandon(): void {
    clearInterval(this.timer);
    this.closing ??= Promise.resolve();
    this.flusher.stop(new WriterClosedError(`writer of shard ${this.paths.shardId} was abandoned`));
  }

  private pendingBytes(): number {
    const from = Math.max(this.flusher.flushedPosition, this.batchStore.start);
    return this.batchStore.bytesBetween(from, this.batchStore.end);
  }

  private flushIfRoom(): void {
    if (!this.flusher.hasRoom || this.flusher.error !== undefined) return;
    if (this.batchStore.end <= this.flusher.flushedPosition) return;
    // The result reaches producers through their watchers (the flusher fails the watermark with the
    // same error), so this promise only needs a handler, not a consumer.
    this.flusher.triggerFlush("all").catch(() => undefined);
  }

  private afterFlush(): void {
    // Group commit: batches that arrived while the pipeline was full go out at once if anyone waits on
    // them or they already exceed the size threshold; otherwise the interval picks them up.
    queueMicrotask(() => {
      if (this.waitedUpTo >= this.flusher.flushedPosition || this.pendingBytes() >= this.flushBytes) this.flushIfRoom();
    });
  }
}

function describeFields(schema: Schema): string {
  return `[${schema.fields.map((f) => `${f.name}: ${String(f.type)}`).join(", ")}]`;
}

/**
 * Occupies positions `sentinel+1 .. sentinel+previousDepth-1` with sentinels: the fenced writer may
 * still have writes in flight there (at most its pipeline depth beyond the gap our sentinel filled).
 * A position already taken holds an orphan of a lower epoch, skipped by replay. Returns the last
 * position occupied, the tip from which new entries follow.
 * @throws WriterFencedError when a taken position holds an entry of a higher epoch.
 */
async function neutralizeOrphans(
  store: ObjectStore,
  paths: ShardPaths,
  epoch: bigint,
  sentinel: bigint,
  previousDepth: number,
  retry: RetryOptions | undefined,
): Promise<bigint> {
  const bytes = encodeFenceSentinel({ writerEpoch: epoch });
  const positions = Array.from({ length: Math.max(0, previousDepth - 1) }, (_, i) => sentinel + 1n + BigInt(i));
  await Promise.all(
    positions.map(async (position) => {
      if ((await createObject(store, paths.entryKey(position), bytes, retry)) === "created") return;
      const existing = await readEntryAt(store, paths, position);
      if (existing && existing.writerEpoch > epoch) {
        throw new WriterFencedError(paths.shardId, epoch, existing.writerEpoch, `position ${position} holds a newer writer's entry`);
      }
    }),
  );
  return sentinel + BigInt(positions.length);
}

/**
 * Writes the fence sentinel at the first free position after `tip`, moving past entries a
 * predecessor manages to write meanwhile. Returns the sentinel's position.
 */
async function writeSentinel(
  store: ObjectStore,
  paths: ShardPaths,
  manifests: ManifestStore,
  epoch: bigint,
  tip: bigint,
  retry: RetryOptions | undefined,
): Promise<bigint> {
  const bytes = encodeFenceSentinel({ writerEpoch: epoch });
  for (let position = tip + 1n; ; position++) {
    if ((await createObject(store, paths.entryKey(position), bytes, retry)) === "created") return position;
    const latest = await manifests.readLatest();
    if (latest && latest.manifest.writerEpoch > epoch) {
      throw new WriterFencedError(paths.shardId, epoch, latest.manifest.writerEpoch, "while writing the fence sentinel");
    }
  }
}

