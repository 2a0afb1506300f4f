/**
 * Scenario 5: replay throughput with prefetch depth K = 1 (one GET at a time) and K = 8, on the
 * filesystem store and on the latency-injecting store.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { MemoryStore, replay, ShardWriter, type ObjectStore } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import type { BenchContext } from "../context.js";
import { payloadBatch } from "../data.js";
import { DEFAULT_READ_LATENCY, LatencyStore } from "../latency-store.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { mbPerSecond, MiB } from "../stats.js";

export async function replayThroughput(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const entryBytes = ctx.smoke ? 16 * 1024 : 256 * 1024;
  const entryCount = ctx.smoke ? 6 : 64;
  const depths = [1, 8];
  const rows: Array<Record<string, number | string>> = [];
  const ratios: Ratio[] = [];

  const fs = new FsStore({ root: join(ctx.scratch, "replay-fs"), fsync: false });
  const fsShard = await writeShard(fs, entryCount, entryBytes);
  const memory = new MemoryStore();
  const memShard = await writeShard(memory, entryCount, entryBytes);
  const stores: Array<[string, ObjectStore, string]> = [
    ["FsStore (page cache warm)", fs, fsShard],
    ["LatencyStore over MemoryStore", new LatencyStore(memory, { seed: 5 }), memShard],
  ];
  for (const [name, store, shardId] of stores) {
    const mbps: number[] = [];
    for (const k of depths) {
      let bytes = 0;
      let entries = 0;
      const t0 = performance.now();
      for await (const entry of replay(store, "", shardId, { prefetch: k })) {
        bytes += entry.bytes;
        entries++;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (entries !== entryCount) throw new Error(`replay of ${name} returned ${entries} entries, expected ${entryCount}`);
      const rate = mbPerSecond(bytes, seconds);
      mbps.push(rate);
      rows.push({ store: name, K: k, entries, "MiB read": bytes / MiB, seconds, "MB/s": rate, "entries/s": entries / seconds });
    }
    ratios.push(ratio(`${name}: replay MB/s K=8 / K=1`, mbps[1]!, mbps[0]!, store instanceof LatencyStore ? { atLeast: 5 } : undefined));
  }
  return {
    scenario: "replay",
    title: "5. Replay throughput against prefetch depth K",
    smoke: ctx.smoke,
    columns: ["store", "K", "entries", "MiB read", "seconds", "MB/s", "entries/s"],
    rows,
    ratios,
    notes: [
      `A shard of ${entryCount} entries of about ${(entryBytes / 1024).toFixed(0)} KiB each (written before timing), replayed from position 1 to the first missing position; MB/s counts entry bytes decoded.`,
      `LatencyStore delays each GET by p50 ${DEFAULT_READ_LATENCY.p50Ms} ms / p99 ${DEFAULT_READ_LATENCY.p99Ms} ms (log-normal). The FsStore run reads files the OS has just written, so it measures decoding and syscalls, not the disk.`,
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

/** Writes `count` entries of one batch each and returns the shard id. */
async function writeShard(store: ObjectStore, count: number, bytes: number): Promise<string> {
  const shardId = randomUUID();
  const writer = await ShardWriter.open(store, "", shardId);
  for (let i = 0; i < count; i++) await (await writer.append(payloadBatch(bytes, i))).wait();
  await writer.close();
  return shardId;
}
