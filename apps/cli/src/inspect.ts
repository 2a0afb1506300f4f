/**
 * `wal inspect PATH`: the entries of a shard directory on the local filesystem in position order
 * (position, epoch, kind, batches, rows, bytes), plus its latest manifest. PATH may be a shard
 * directory (`…/_mem_wal/<uuid>`), its `wal/` folder, a `_mem_wal` folder or a dataset root.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CorruptEntryError, InvalidArgumentError, isShardId, OrphanRule, ShardReader, type ObjectStore, type ShardPaths } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import { formatBytes, table } from "./stats.js";

export interface InspectedEntry {
  readonly position: bigint;
  readonly epoch: bigint | undefined;
  /** `orphan`: an entry below the epoch of a sentinel before it, which replay skips (docs/PROTOCOL.md). */
  readonly kind: "entry" | "sentinel" | "orphan" | "corrupt";
  readonly batches: number;
  readonly rows: number;
  readonly bytes: number;
  readonly problem?: string;
}

export interface InspectedShard {
  readonly shardId: string;
  readonly dir: string;
  readonly manifest?: { version: bigint; writerEpoch: bigint; replayAfter: bigint; lastSeen: bigint };
  readonly entries: InspectedEntry[];
}

/** The shards PATH names, as (store root, shard id) pairs. @throws InvalidArgumentError when PATH holds no shard. */
export function locateShards(path: string): Array<{ root: string; shardId: string; dir: string }> {
  let p = resolve(path);
  if (!existsSync(p) || !statSync(p).isDirectory()) throw new InvalidArgumentError(`not a directory: ${path}`);
  if (basename(p) === "wal" || basename(p) === "manifest") p = dirname(p);
  if (isShardId(basename(p)) && basename(dirname(p)) === "_mem_wal") {
    return [{ root: dirname(dirname(p)), shardId: basename(p), dir: p }];
  }
  const memWal = basename(p) === "_mem_wal" ? p : join(p, "_mem_wal");
  if (existsSync(memWal) && statSync(memWal).isDirectory()) {
    const shards = readdirSync(memWal).filter((n) => isShardId(n)).sort();
    if (shards.length > 0) return shards.map((id) => ({ root: dirname(memWal), shardId: id, dir: join(memWal, id) }));
  }
  throw new InvalidArgumentError(`no MemWAL shard under ${path} (expected …/_mem_wal/<shard uuid>)`);
}

/** Positions of the entry objects a listing of the shard's `wal/` folder finds, in listing order. */
export async function listedPositions(store: ObjectStore, paths: ShardPaths): Promise<bigint[]> {
  const positions: bigint[] = [];
  for await (const meta of store.list(paths.walPrefix)) {
    const p = paths.positionOfKey(meta.key);
    if (p !== undefined) positions.push(p);
  }
  return positions;
}

export async function inspectShard(store: ObjectStore, shardId: string, dir: string): Promise<InspectedShard> {
  const reader = new ShardReader(store, "", shardId, () => undefined);
  const positions = await listedPositions(store, reader.paths);
  positions.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries: InspectedEntry[] = [];
  const rule = new OrphanRule();
  for (const position of positions) {
    try {
      const e = await reader.entryAt(position);
      if (!e) continue; // deleted since the listing
      entries.push({
        position,
        epoch: e.writerEpoch,
        kind: rule.classify(e),
        batches: e.batches.length,
        rows: e.rows,
        bytes: e.bytes,
      });
    } catch (err) {
      if (!(err instanceof CorruptEntryError)) throw err;
      entries.push({ position, epoch: undefined, kind: "corrupt", batches: 0, rows: 0, bytes: 0, problem: err.reason });
    }
  }
  const latest = await reader.manifest();
  const manifest = latest && {
    version: latest.version,
    writerEpoch: latest.manifest.writerEpoch,
    replayAfter: latest.manifest.replayAfterWalEntryPosition,
    lastSeen: latest.manifest.walEntryPositionLastSeen,
  };
  return { shardId, dir, manifest, entries };
}

export async function runInspect(path: string, log: (line: string) => void = console.log): Promise<InspectedShard[]> {
  const out: InspectedShard[] = [];
  for (const { root, shardId, dir } of locateShards(path)) {
    const shard = await inspectShard(new FsStore({ root, fsync: false }), shardId, dir);
    out.push(shard);
    log(`shard ${shardId} (${dir})`);
    const m = shard.manifest;
    log(m ? `manifest v${m.version}: writer_epoch ${m.writerEpoch}, replay_after ${m.replayAfter}, last_seen ${m.lastSeen}` : "manifest: none");
    const rows = shard.entries.map((e) => [
      String(e.position),
      e.epoch === undefined ? "?" : String(e.epoch),
      e.kind,
      String(e.batches),
      String(e.rows),
      formatBytes(e.bytes),
    ]);
    log(table(["position", "epoch", "kind", "batches", "rows", "bytes"], rows));
    for (const e of shard.entries) if (e.problem) log(`position ${e.position}: ${e.problem}`);
    const totalRows = shard.entries.reduce((n, e) => n + e.rows, 0);
    log(`${shard.entries.length} entries, ${totalRows} rows`);
  }
  return out;
}
