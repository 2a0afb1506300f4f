/**
 * `wal demo`: the main job on the embedded default. Producers append batches through a shard writer
 * into a filesystem store (fsync on), each awaiting durability; then the writer closes, a new writer
 * opens and replays, and every row is checked to have come back exactly once, in order.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newShardId, ShardWriter, type WalFlushResult } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import { demoBatch, expectedReading } from "./demo-data.js";
import { formatBytes, quantile } from "./stats.js";

export interface DemoOptions {
  /** Directory of the filesystem store (default: a new temporary directory). */
  readonly dir?: string;
  readonly batches?: number;
  readonly rowsPerBatch?: number;
  readonly producers?: number;
  readonly fsync?: boolean;
  readonly log?: (line: string) => void;
}

export interface DemoResult {
  readonly dir: string;
  readonly shardId: string;
  readonly entries: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly replayedRows: number;
  readonly ok: boolean;
  readonly problems: string[];
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), "wal-demo-")));
  const batches = options.batches ?? 4000;
  const rowsPerBatch = options.rowsPerBatch ?? 50;
  const producers = options.producers ?? 8;
  const fsync = options.fsync ?? true;
  const store = new FsStore({ root: dir, fsync });
  const shardId = newShardId();
  const base = "";

  log(`wal demo: ${batches} batches x ${rowsPerBatch} rows from ${producers} producers into ${dir} (shard ${shardId}, fsync ${fsync ? "on" : "off"})`);
  let entries = 0;
  let bytes = 0;
  const writer = await ShardWriter.open(store, base, shardId, {
    onFlushed: (r: WalFlushResult) => {
      entries++;
      bytes += r.bytes;
    },
  });

  // Ids are taken at append time, so the append order is the id order and replay must match it.
  let nextBatch = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const t0 = performance.now();
        const watcher = await writer.append(demoBatch(b * rowsPerBatch, rowsPerBatch));
        await watcher.wait();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await writer.close();

  const problems: string[] = [];
  let expected = 0;
  let replayedRows = 0;
  const reopened = await ShardWriter.open(store, base, shardId, {
    onReplay: (entry) => {
      for (const batch of entry.batches) {
        const ids = batch.getChild("id")!.toArray() as BigInt64Array;
        const readings = batch.getChild("reading")!.toArray() as Float64Array;
        for (let i = 0; i < ids.length; i++) {
          const id = Number(ids[i]);
          if (id !== expected && problems.length < 10) problems.push(`row ${replayedRows}: expected id ${expected}, got ${id}`);
          if (readings[i] !== expectedReading(id) && problems.length < 10) problems.push(`row id ${id}: wrong reading`);
          expected = id + 1;
          replayedRows++;
        }
      }
    },
  });
  await reopened.close();
  const rows = batches * rowsPerBatch;
  if (replayedRows !== rows) problems.push(`replayed ${replayedRows} rows, appended ${rows}`);

  const p50Ms = quantile(latencies, 0.5);
  const p99Ms = quantile(latencies, 0.99);
  log(`  entries written     ${entries}`);
  log(`  rows                ${rows} (${batches} batches)`);
  log(`  bytes written       ${formatBytes(bytes)}`);
  log(`  throughput          ${(rows / seconds).toFixed(0)} rows/s, ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s, ${(batches / seconds).toFixed(0)} batches/s`);
  log(`  time to durable     p50 ${p50Ms.toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms`);
  log(`  replay              ${reopened.replayed.entries} entries, ${replayedRows} rows by writer epoch ${reopened.epoch}`);
  if (problems.length === 0) log(`  check               OK: all ${rows} rows replayed exactly once, in order`);
  else for (const p of problems) log(`  check FAILED        ${p}`);
  log(`  look at it with     wal inspect ${dir}`);
  return { dir, shardId, entries, rows, bytes, seconds, p50Ms, p99Ms, replayedRows, ok: problems.length === 0, problems };
}
