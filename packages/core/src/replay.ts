/**
 * Reading a shard's log in position order. Replay walks positions `after+1, after+2, ...` and stops at
 * the first missing one: the log is the contiguous run of entries, and listing (unordered, because of
 * bit-reversed names) is only ever a fallback for finding the tip, never the order of replay.
 */
import type { ObjectStore } from "./object-store.js";
import { InvalidArgumentError } from "./errors.js";
import { getIfExists, objectExists } from "./absent.js";
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
  const bytes = await getIfExists(store, key);
  return bytes && { ...decodeWalEntry(bytes, key, position), position, key };
}

export interface ReplayOptions {
  /** Replay starts at `after + 1` (default 0: from the first entry). */
  readonly after?: bigint;
  /** Yield fence sentinels too (default false: replay skips them). */
  readonly includeSentinels?: boolean;
  /** Entries fetched ahead of the one being decoded (default 8; 1 fetches one at a time). */
  readonly prefetch?: number;
  /**
   * Stop fetching ahead while this many fetched bytes wait to be consumed (default 64 MiB). The entry
   * being consumed is always fetched, so memory stays within this bound plus one entry.
   */
  readonly maxPrefetchBytes?: number;
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

/** What an entry met in position order is, under the orphan rule (docs/PROTOCOL.md, rule 7). */
export type EntryRole = "entry" | "sentinel" | "orphan";

/**
 * Applies the orphan rule to entries met in position order: once a fence sentinel of epoch E has been
 * passed, an entry of an epoch below E is an orphan of the fenced writer.
 */
export class OrphanRule {
  private fenceEpoch = 0n;

  classify(entry: { readonly writerEpoch: bigint; readonly isSentinel: boolean }): EntryRole {
    if (entry.isSentinel) {
      if (entry.writerEpoch > this.fenceEpoch) this.fenceEpoch = entry.writerEpoch;
      return "sentinel";
    }
    return entry.writerEpoch < this.fenceEpoch ? "orphan" : "entry";
  }
}

/**
 * The replay walk. Besides stopping at the first gap it applies the orphan rule: once a fence sentinel
 * of epoch E has been passed, an entry of an epoch below E is an orphan of the fenced writer (a
 * pipelined write that landed beyond a gap or behind the fence, never acknowledged) and is skipped.
 * No acknowledged entry can sit there: its writer would have needed the sentinel's position itself.
 */
export async function* replayPaths(store: ObjectStore, paths: ShardPaths, options: ReplayOptions = {}): AsyncGenerator<WalEntry> {
  const depth = options.prefetch ?? 8;
  if (!Number.isSafeInteger(depth) || depth < 1) throw new InvalidArgumentError(`prefetch must be a positive integer, got ${options.prefetch}`);
  const maxBytes = options.maxPrefetchBytes ?? 64 * 1024 * 1024;
  const window: Array<{ position: bigint; bytes: Promise<Uint8Array | undefined>; size: number; done: boolean }> = [];
  let issued = (options.after ?? 0n) + 1n;
  let buffered = 0; // bytes fetched and not yet consumed
  let largest = 0; // largest entry seen: the size assumed for fetches still in flight
  const rule = new OrphanRule();
  const fetchAt = (position: bigint): Promise<Uint8Array | undefined> =>
    getIfExists(store, paths.entryKey(position), { signal: options.signal });
  const expectedBytes = (): number => {
    const inFlight = window.filter((s) => !s.done).length;
    return buffered + inFlight * largest;
  };
  const fill = (): void => {
    // Until one entry's size is known, fetch one at a time; then only while the bytes held and
    // expected stay under the budget. The entry about to be consumed is always fetched.
    while (window.length < depth && (window.length === 0 || (largest > 0 && expectedBytes() + largest <= maxBytes))) {
      const slot = { position: issued++, bytes: fetchAt(issued - 1n), size: 0, done: false };
      // Accounting only; a failure surfaces when the slot is consumed (or is dropped with the window).
      slot.bytes.then(
        (b) => {
          slot.done = true;
          slot.size = b?.byteLength ?? 0;
          buffered += slot.size;
          if (slot.size > largest) largest = slot.size;
        },
        () => {
          slot.done = true;
        },
      );
      window.push(slot);
    }
  };
  for (;;) {
    options.signal?.throwIfAborted();
    fill();
    const slot = window.shift()!;
    const bytes = await slot.bytes;
    buffered -= slot.size;
    if (!bytes) return; // the first gap ends the log; fetches beyond it are dropped
    const key = paths.entryKey(slot.position);
    const entry: WalEntry = { ...decodeWalEntry(bytes, key, slot.position), position: slot.position, key };
    const role = rule.classify(entry);
    if (role === "entry" || (role === "sentinel" && options.includeSentinels)) yield entry;
  }
}

/** Sequential HEAD probes before `findTip` asks for one listing instead. */
const PROBES_BEFORE_LISTING = 8;

/**
 * The last position of the contiguous log: the run of entries starting at `replayAfter + 1`.
 * `lastSeen` (the manifest's hint) is where the walk starts when it lies inside that run: entries
 * above `replay_after` are never deleted, and everything up to a durable tip was contiguous when it
 * was recorded. A hint that does not exist is ignored.
 *
 * The walk probes by HEAD; after a few probes it reads one listing and follows the run through the
 * listed positions (a long log costs one LIST, not one HEAD per entry), then probes again for entries
 * written since. The listing only ever extends the run position by position from a known entry, so an
 * entry beyond a gap (an orphan of a crashed pipelined writer) is never taken for the tip.
 */
export async function findTip(store: ObjectStore, paths: ShardPaths, replayAfter: bigint, lastSeen: bigint): Promise<bigint> {
  let tip = replayAfter;
  if (lastSeen > replayAfter && (await objectExists(store, paths.entryKey(lastSeen)))) tip = lastSeen;
  let listed = false;
  for (let probes = 0; ; probes++) {
    if (probes === PROBES_BEFORE_LISTING && !listed) {
      listed = true;
      const present = new Set<bigint>();
      for await (const meta of store.list(paths.walPrefix)) {
        const p = paths.positionOfKey(meta.key);
        if (p !== undefined && p > tip) present.add(p);
      }
      while (present.has(tip + 1n)) tip++;
    }
    if (!(await objectExists(store, paths.entryKey(tip + 1n)))) return tip;
    tip++;
  }
}
