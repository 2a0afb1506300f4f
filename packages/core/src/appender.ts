/**
 * Writes WAL entries at consecutive positions with create-if-absent; this is where fencing happens.
 *
 * - A taken position means either a newer writer fenced us (its manifest holds a higher epoch, or its
 *   sentinel sits at our position) or our own earlier attempt landed although its call failed (a lost
 *   acknowledgement). The two are told apart by reading the object back and comparing it byte for
 *   byte with the entry we sent, never by guessing. That is proof: the entry's metadata holds our
 *   epoch, which no other writer instance ever holds (epochs are claimed with create-if-absent), and
 *   each of our entries goes to one position only. (A writer-instance id in the schema metadata
 *   would say the same, but Lance 8.0.0 refuses to replay entries whose schema metadata holds more
 *   than `writer_epoch`, so the entry carries nothing of ours.)
 * - Transient failures are retried at the same position with exponential backoff and jitter. When
 *   retries run out the appender throws `WriterPoisonedError`; the flusher then stops for good.
 * - Each call takes the next position when it starts; with several calls in flight (pipelining) their
 *   writes may finish in any order. Entries stay contiguous as long as every call succeeds; the first
 *   failure stops the writer, and whatever lies beyond the gap is neutralized by the next opener.
 */
import type { ObjectStore } from "./object-store.js";
import { WriterFencedError, WriterPoisonedError, describeError } from "./errors.js";
import type { ShardPaths } from "./naming.js";
import type { ManifestStore } from "./manifest.js";
import type { EntryAppender } from "./flusher.js";
import { decodeWalEntry } from "./codec.js";
import { isTransient, type RetryOptions, DEFAULT_RETRY } from "./retry.js";
import { createObject, sameBytes } from "./create.js";

export interface FencedAppenderOptions {
  readonly store: ObjectStore;
  readonly paths: ShardPaths;
  readonly manifests: ManifestStore;
  readonly epoch: bigint;
  /** First position to write. */
  readonly nextPosition: bigint;
  readonly retry?: RetryOptions;
}

export class FencedAppender implements EntryAppender {
  private next: bigint;

  constructor(private readonly options: FencedAppenderOptions) {
    this.next = options.nextPosition;
  }

  /** The position the next call will take. */
  get nextPosition(): bigint {
    return this.next;
  }

  /**
   * @throws WriterFencedError when a newer writer holds the shard; WriterPoisonedError when retries ran
   * out or a non-transient error occurred (the cause is attached).
   */
  async appendEntry(bytes: Uint8Array): Promise<{ position: bigint; key: string }> {
    // Taken before the first await: concurrent (pipelined) calls get consecutive positions in call order.
    const position = this.next++;
    const key = this.options.paths.entryKey(position);
    let outcome;
    try {
      outcome = await createObject(this.options.store, key, bytes, this.options.retry);
    } catch (e) {
      const why = isTransient(e) ? `failed after ${(this.options.retry?.retries ?? DEFAULT_RETRY.retries) + 1} attempts` : "failed";
      throw new WriterPoisonedError(`writing WAL entry ${key} (position ${position}) ${why}: ${describeError(e)}`, e);
    }
    if (outcome === "taken") await this.explainTakenPosition(position, key, bytes);
    return { position, key };
  }

  /**
   * Returns when the object at a taken position is our own write of `bytes` (a first attempt whose
   * call failed before the store answered cannot be told from one that never left, so this checks
   * again); throws otherwise.
   * @throws WriterFencedError (a newer writer's entry or sentinel, or a higher epoch in the manifest);
   * WriterPoisonedError when it cannot be decided or the position holds something else.
   */
  private async explainTakenPosition(position: bigint, key: string, bytes: Uint8Array): Promise<void> {
    const { store, paths, epoch } = this.options;
    let stored: Uint8Array;
    try {
      stored = (await store.get(key)).bytes;
    } catch (e) {
      throw new WriterPoisonedError(`position ${position} (${key}) is taken and its entry cannot be read: ${describeError(e)}`, e);
    }
    if (sameBytes(stored, bytes)) return; // our own earlier attempt landed: acknowledge it, do not write it again
    let existing;
    try {
      existing = decodeWalEntry(stored, key, position);
    } catch (e) {
      throw new WriterPoisonedError(`position ${position} (${key}) is taken by an undecodable object: ${describeError(e)}`, e);
    }
    const latest = await this.options.manifests.readLatest().catch((e: unknown) => {
      throw new WriterPoisonedError(`position ${position} is taken and the manifest cannot be read: ${describeError(e)}`, e);
    });
    const manifestEpoch = latest?.manifest.writerEpoch ?? 0n;
    if (manifestEpoch > epoch || existing.writerEpoch > epoch) {
      throw new WriterFencedError(
        paths.shardId,
        epoch,
        manifestEpoch > existing.writerEpoch ? manifestEpoch : existing.writerEpoch,
        `position ${position} is taken by ${existing.isSentinel ? "a fence sentinel" : "another writer's entry"} of epoch ${existing.writerEpoch}`,
      );
    }
    throw new WriterPoisonedError(
      `position ${position} (${key}) holds an entry of epoch ${existing.writerEpoch} that this writer (epoch ${epoch}) did not write; refusing to go on`,
    );
  }
}


