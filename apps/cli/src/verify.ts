/**
 * `wal verify PATH`: reads a shard the way the next writer would replay it, without claiming anything,
 * and reports what replay would see: entries and rows after `replay_after`, sentinels, orphans
 * (entries a fenced pipelined writer left behind, which replay skips), entries lying beyond the first
 * gap, and any entry that cannot be decoded. Exit code 1 when something is corrupt.
 */
import { CorruptEntryError, OrphanRule, ShardReader } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import { listedPositions, locateShards } from "./inspect.js";

export interface VerifyReport {
  readonly shardId: string;
  readonly replayAfter: bigint;
  readonly entries: number;
  readonly rows: number;
  readonly sentinels: number;
  readonly orphans: number;
  /** The last position of the contiguous log. */
  readonly tip: bigint;
  /** Entries that exist past the first missing position (never replayed). */
  readonly beyondGap: bigint[];
  readonly corrupt: Array<{ position: bigint; key: string; reason: string }>;
}

export async function verifyShard(root: string, shardId: string): Promise<VerifyReport> {
  const store = new FsStore({ root, fsync: false });
  const reader = new ShardReader(store, "", shardId, () => undefined);
  const replayAfter = (await reader.manifest())?.manifest.replayAfterWalEntryPosition ?? 0n;
  const listed = await listedPositions(store, reader.paths);
  const present = new Set(listed);
  let tip = replayAfter;
  while (present.has(tip + 1n)) tip++;
  let entries = 0;
  let rows = 0;
  let sentinels = 0;
  let orphans = 0;
  const rule = new OrphanRule();
  const corrupt: VerifyReport["corrupt"] = [];
  for (let p = replayAfter + 1n; p <= tip; p++) {
    try {
      const e = await reader.entryAt(p);
      if (!e) break;
      const role = rule.classify(e);
      if (role === "sentinel") sentinels++;
      else if (role === "orphan") orphans++;
      else {
        entries++;
        rows += e.rows;
      }
    } catch (err) {
      if (!(err instanceof CorruptEntryError)) throw err;
      corrupt.push({ position: p, key: err.key, reason: err.reason });
    }
  }
  const beyondGap = listed.filter((p) => p > tip + 1n).sort((a, b) => (a < b ? -1 : 1));
  return { shardId, replayAfter, entries, rows, sentinels, orphans, tip, beyondGap, corrupt };
}

export async function runVerify(path: string, log: (line: string) => void = console.log): Promise<VerifyReport[]> {
  const reports: VerifyReport[] = [];
  for (const { root, shardId } of locateShards(path)) {
    const r = await verifyShard(root, shardId);
    reports.push(r);
    log(`shard ${shardId}: replay after ${r.replayAfter} up to ${r.tip}: ${r.entries} entries, ${r.rows} rows, ${r.sentinels} sentinels, ${r.orphans} orphans skipped`);
    if (r.beyondGap.length > 0) log(`  ${r.beyondGap.length} entries lie beyond the first gap and are never replayed: ${r.beyondGap.join(", ")}`);
    for (const c of r.corrupt) log(`  CORRUPT position ${c.position} (${c.key}): ${c.reason}`);
    log(r.corrupt.length === 0 ? "  OK" : `  FAILED: ${r.corrupt.length} corrupt entries`);
  }
  return reports;
}
