/**
 * A read-only view of another writer's log: reads entries and tails the shard without claiming an
 * epoch or writing anything, so it never fences the writer it watches.
 */
import type { ObjectStore } from "./object-store.js";
import { ShardPaths } from "./naming.js";
import { ManifestStore, defaultWarningHandler, type ManifestVersion, type WarningHandler } from "./manifest.js";
import { OrphanRule, readEntryAt, replayPaths, type WalEntry } from "./replay.js";
import { abortable } from "./once-cell.js";

export interface FollowOptions {
  /** Start after this position (default 0). */
  readonly after?: bigint;
  /** Delay between polls once caught up (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Yield fence sentinels too (default false). */
  readonly includeSentinels?: boolean;
  /** Stops the iteration (it then ends without an error). */
  readonly signal?: AbortSignal;
}

export class ShardReader {
  readonly paths: ShardPaths;
  private readonly manifests: ManifestStore;

  /** @throws InvalidArgumentError for a bad shard id or base. */
  constructor(
    private readonly store: ObjectStore,
    base: string,
    shardId: string,
    onWarning: WarningHandler = defaultWarningHandler,
  ) {
    this.paths = new ShardPaths(base, shardId);
    this.manifests = new ManifestStore(store, this.paths, onWarning);
  }

  /** The latest manifest, or undefined for a shard without one. */
  manifest(): Promise<ManifestVersion | undefined> {
    return this.manifests.readLatest();
  }

  /** The entry at `position`, or undefined. @throws CorruptEntryError, StoreError. */
  entryAt(position: bigint): Promise<WalEntry | undefined> {
    return readEntryAt(this.store, this.paths, position);
  }

  /** Entries after `position` up to the first gap, in order, sentinels skipped. */
  entriesAfter(position: bigint, options: { includeSentinels?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<WalEntry> {
    return replayPaths(this.store, this.paths, { after: position, ...options });
  }

  /**
   * Entries after `options.after` as they appear, forever: reads to the first gap, then polls that
   * position. Ends when `options.signal` aborts.
   * @throws CorruptEntryError, StoreError.
   */
  async *follow(options: FollowOptions = {}): AsyncGenerator<WalEntry> {
    const interval = options.pollIntervalMs ?? 200;
    let next = (options.after ?? 0n) + 1n;
    const signal = options.signal;
    const rule = new OrphanRule();
    while (!signal?.aborted) {
      const entry = await readEntryAt(this.store, this.paths, next);
      if (entry) {
        next++;
        const role = rule.classify(entry);
        if (role === "entry" || (role === "sentinel" && options.includeSentinels)) yield entry;
        continue;
      }
      try {
        await abortable<void>(signal, (resolve) => {
          const t = setTimeout(resolve, interval);
          return () => clearTimeout(t);
        });
      } catch {
        // Aborted while waiting: that is how a follower is stopped, so end normally.
        return;
      }
    }
  }
}
