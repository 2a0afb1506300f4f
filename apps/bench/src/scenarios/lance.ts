/**
 * Scenario 3: the same rows and batch sizes appended durably through Lance (`@lancedb/lancedb`
 * 0.31.0, Lance 8.0.0 MemWAL via `mergeInsert` on an unsharded LSM table) and through our writer on
 * the filesystem store. Both sides start from plain rows: Lance converts them to Arrow inside
 * `mergeInsert`, ours converts them with `rowsToBatch` inside the timed loop.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { appendWithLance, type LanceRow } from "@wal/bench-lance";
import { ShardWriter } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import type { BenchContext } from "../context.js";
import { rowsToBatch, sensorRows } from "../data.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { quantile } from "../stats.js";

interface SideResult {
  readonly seconds: number;
  readonly latenciesMs: readonly number[];
  readonly entries: number;
}

const ROWS_PER_BATCH = 100;

export async function lanceComparison(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const batchCount = ctx.smoke ? 10 : 1000;
  const producerCounts = ctx.smoke ? [1, 4] : [1, 8];
  const batches = Array.from({ length: batchCount }, (_, b) => sensorRows(b * ROWS_PER_BATCH, ROWS_PER_BATCH));
  const rows: Array<Record<string, number | string>> = [];
  const ratios: Ratio[] = [];
  let run = 0;
  for (const producers of producerCounts) {
    const sides: Array<[string, string, SideResult]> = [];
    const lanceDir = join(ctx.scratch, `lance-${run++}`);
    const lance = await appendWithLance({ dir: lanceDir, batches, producers });
    sides.push(["Lance 8.0.0 mergeInsert (LSM unsharded)", "WAL entry written, no fsync", { ...lance, entries: lance.walEntries }]);
    const oursSync = await appendWithOurs(join(ctx.scratch, `ours-${run++}`), batches, producers, true);
    sides.push(["ours, FsStore fsync on", "entry fsynced + dir fsynced", oursSync]);
    const oursNoSync = await appendWithOurs(join(ctx.scratch, `ours-${run++}`), batches, producers, false);
    sides.push(["ours, FsStore fsync off", "WAL entry written, no fsync", oursNoSync]);
    for (const [side, durability, r] of sides) {
      rows.push({
        side,
        producers,
        durability,
        "batches/s": batchCount / r.seconds,
        "WAL entries": r.entries,
        "durable p50 ms": quantile(r.latenciesMs, 0.5),
        "durable p99 ms": quantile(r.latenciesMs, 0.99),
      });
    }
    const lanceRate = batchCount / lance.seconds;
    ratios.push(ratio(`batches/s ours (fsync on) / Lance (no fsync), ${producers} producer(s)`, batchCount / oursSync.seconds, lanceRate, { atLeast: 3 }));
    ratios.push(ratio(`batches/s ours (fsync off) / Lance (no fsync), ${producers} producer(s)`, batchCount / oursNoSync.seconds, lanceRate));
  }
  return {
    scenario: "lance",
    title: `3. Against Lance: ${ROWS_PER_BATCH}-row batches appended durably`,
    smoke: ctx.smoke,
    columns: ["side", "producers", "durability", "batches/s", "WAL entries", "durable p50 ms", "durable p99 ms"],
    rows,
    ratios,
    notes: [
      `${batchCount} batches of ${ROWS_PER_BATCH} rows (id Int64 primary key, sensor Utf8, reading Float64), the same plain rows for every side; each producer takes the next batch when its previous one is durable.`,
      "Lance: one mergeInsert(id).whenMatchedUpdateAll().whenNotMatchedInsertAll() per batch on a table with setUnenforcedPrimaryKey('id') + setLsmWriteSpec({specType: 'unsharded'}); the call returns once its MemWAL entry file exists (hard link + rename, no fsync: durable against a process crash, not a power loss). The run checks that _mem_wal/<shard>/wal holds entries.",
      "Ours: rows -> Arrow batch -> ShardWriter.append -> await watcher. fsync on: the entry file and its directory are fsynced before the watcher resolves (survives power loss). fsync off: the same as Lance's level. Concurrent producers' batches are grouped into one entry (group commit), so ours writes fewer entries than batches.",
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

async function appendWithOurs(dir: string, batches: ReadonlyArray<readonly LanceRow[]>, producers: number, fsync: boolean): Promise<SideResult> {
  mkdirSync(dir, { recursive: true });
  const store = new FsStore({ root: dir, fsync });
  let entries = 0;
  const writer = await ShardWriter.open(store, "", randomUUID(), { onFlushed: () => entries++ });
  const latenciesMs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        const a = performance.now();
        const watcher = await writer.append(rowsToBatch(batches[b]!));
        await watcher.wait();
        latenciesMs.push(performance.now() - a);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await writer.close();
  return { seconds, latenciesMs, entries };
}
