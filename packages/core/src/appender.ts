/**
 * Writes WAL entries at consecutive positions with create-if-absent; this is where fencing happens.
 *
 * - A taken position means either a newer writer fenced us (its manifest holds a higher epoch, or its
 *   sentinel sits at our position) or our own earlier attempt landed although its call failed (a lost
 *   acknowledgement). The two are told apart by reading the object back and comparing the writer
 *   instance id in its metadata, never by guessing.
 * - Transient failures are retried at the same position with exponential backoff and jitter. When
 *   retries run out the appender throws `WriterPoisonedError`; the flusher then stops for good.
 * - Each call takes the next position when it starts; with several calls in flight (pipelining) their
 *   writes may finish in any order. Entries stay contiguous as long as every call succeeds; the first
 *   failure stops the writer, and whatever lies beyond the gap is neutralized by the next opener.
 */
import type { ObjectStore } from "./object-store.js";
import { PutModes } from "./object-store.js";
import { AlreadyExistsError, WriterFencedError, WriterPoisonedError } from "./errors.js";
import type { ShardPaths } from "./naming.js";
import type { ManifestStore } from "./manifest.js";
import type { EntryAppender } from "./flusher.js";
import { readEntryAt } from "./replay.js";
import { backoffDelay, isTransient, sleep, type RetryOptions, DEFAULT_RETRY } from "./retry.js";

export interface FencedAppenderOptions {
  readonly store: ObjectStore;
  readonly paths: ShardPaths;
  readonly manifests: ManifestStore;
  readonly epoch: bigint;
  readonly writerId: string;
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
    const { store, paths } = this.options;
    const retries = this.options.retry?.retries ?? DEFAULT_RETRY.retries;
    // Taken before the first await: concurrent (pipelined) calls get consecutive positions in call order.
    const position = this.next++;
    const key = paths.entryKey(position);
    for (let attempt = 0; ; attempt++) {
      try {
        await store.put(key, bytes, { mode: PutModes.create });
        return { position, key };
      } catch (e) {
        if (e instanceof AlreadyExistsError) {
          await this.resolveTakenPosition(position, key);
          return { position, key };
        }
        if (!isTransient(e)) {
          throw new WriterPoisonedError(`writing WAL entry ${key} (position ${position}) failed: ${describe(e)}`, e);
        }
        if (attempt >= retries) {
          throw new WriterPoisonedError(
            `writing WAL entry ${key} (position ${position}) failed after ${attempt + 1} attempts: ${describe(e)}`,
            e,
          );
        }
        await sleep(backoffDelay(attempt, this.options.retry));
      }
    }
  }

  /**
   * Returns when the object at a taken position is our own earlier write; throws otherwise.
   * @throws WriterFencedError (a peer's entry or a higher epoch); WriterPoisonedError when it cannot be decided.
   */
  private async resolveTakenPosition(position: bigint, key: string): Promise<void> {
    const { store, paths, epoch, writerId } = this.options;
    let existing;
    try {
      existing = await readEntryAt(store, paths, position);
    } catch (e) {
      throw new WriterPoisonedError(`position ${position} (${key}) is taken and its entry cannot be read: ${describe(e)}`, e);
    }
    if (existing && existing.writerId === writerId && existing.writerEpoch === epoch && !existing.isSentinel) return;
    const latest = await this.options.manifests.readLatest().catch((e: unknown) => {
      throw new WriterPoisonedError(`position ${position} is taken and the manifest cannot be read: ${describe(e)}`, e);
    });
    const peerEpoch = latest && latest.manifest.writerEpoch > epoch ? latest.manifest.writerEpoch : existing?.writerEpoch;
    throw new WriterFencedError(
      paths.shardId,
      epoch,
      peerEpoch,
      `position ${position} is taken by ${existing?.isSentinel ? "a fence sentinel" : "another writer's entry"}` +
        (existing ? ` of epoch ${existing.writerEpoch}` : ""),
    );
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
