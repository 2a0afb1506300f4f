/**
 * Reading a shard's log in position order. Replay walks positions `after+1, after+2, ...` and stops at
 * the first missing one: the log is the contiguous run of entries, and listing (unordered, because of
 * bit-reversed names) is only ever a fallback for finding the tip, never the order of replay.
 */
import type { ObjectStore } from "./object-store.js";
import { NotFoundError } from "./errors.js";
import { decodeWalEntry, type DecodedWalEntry } from "./codec.js";
import { ShardPaths } from "./naming.js";

export interface WalEntry extends DecodedWalEntry {
  readonly position: bigint;
  readonly key: string;
}

/**
 * Reads and decodes the WAL entry at `key`.
 * @throws NotFoundError when absent; CorruptEntryError naming the key when undecodable.
 */
export async function readWalEntry(store: ObjectStore, key: string, position?: bigint): Promise<DecodedWalEntry> {
  const { bytes } = await store.get(key);
  return decodeWalEntry(bytes, key, position);
}

/** The entry at `position`, or undefined when it does not exist. @throws CorruptEntryError, StoreError. */
export async function readEntryAt(store: ObjectStore, paths: ShardPaths, position: bigint): Promise<WalEntry | undefined> {
  const key = paths.entryKey(position);
  try {
    const entry = await readWalEntry(store, key, position);
    return { ...entry, position, key };
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

export interface ReplayOptions {
  /** Replay starts at `after + 1` (default 0: from the first entry). */
  readonly after?: bigint;
  /** Yield fence sentinels too (default false: replay skips them). */
  readonly includeSentinels?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Entries of a shard in position order from `after + 1` up to the first missing position, sentinels
 * skipped. Read-only: claims nothing.
 * @throws CorruptEntryError (naming key and position) on an undecodable entry; it is never skipped.
 */
export async function* replay(store: ObjectStore, base: string, shardId: string, options: ReplayOptions = {}): AsyncGenerator<WalEntry> {
  yield* replayPaths(store, new ShardPaths(base, shardId), options);
}

export async function* replayPaths(store: ObjectStore, paths: ShardPaths, options: ReplayOptions = {}): AsyncGenerator<WalEntry> {
  for (let position = (options.after ?? 0n) + 1n; ; position++) {
    options.signal?.throwIfAborted();
    const entry = await readEntryAt(store, paths, position);
    if (!entry) return;
    if (entry.isSentinel && !options.includeSentinels) continue;
    yield entry;
  }
}

async function exists(store: ObjectStore, key: string): Promise<boolean> {
  try {
    await store.head(key);
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
}

/**
 * The last position of the contiguous log (0 for an empty shard). Starts from `hint` (a position
 * believed to exist, e.g. the manifest's last-seen position), falls back to a listing when the hint
 * does not exist, then probes forward by HEAD until a position is missing.
 */
export async function findTip(store: ObjectStore, paths: ShardPaths, hint: bigint): Promise<bigint> {
  let tip = hint;
  if (tip > 0n && !(await exists(store, paths.entryKey(tip)))) {
    // The hint may point at an entry that garbage collection removed; the listing knows what is left.
    tip = 0n;
    for await (const meta of store.list(paths.walPrefix)) {
      const p = paths.positionOfKey(meta.key);
      if (p !== undefined && p > tip) tip = p;
    }
  }
  while (await exists(store, paths.entryKey(tip + 1n))) tip++;
  return tip;
}
