/**
 * Scenario 6: memory under sustained load with backpressure on. Producers build fresh batches and
 * append them as fast as `append` lets them (no waiting for durability), while a slow store drains;
 * `process.memoryUsage()` is sampled throughout and the peak above the idle baseline is divided by the
 * configured `maxBufferedBytes`.
 */
import { randomUUID } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ENTRY_EXTENSION, MemoryStore, ShardWriter, sleep, type PutOptions, type PutResult } from "@wal/core";
import type { BenchContext } from "../context.js";
import { payloadBatch } from "../data.js";
import { LatencyStore } from "../latency-store.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { mbPerSecond, MiB } from "../stats.js";

/**
 * Keeps only the size of WAL entries (`.arrow` keys), so what the store holds does not count as the
 * writer's memory. Nothing in this scenario reads an entry back; manifests are kept whole.
 */
class EntryDiscardingStore extends MemoryStore {
  override put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    return super.put(key, key.endsWith(ENTRY_EXTENSION) ? new Uint8Array(0) : bytes, options);
  }
}

/** A full collection, so baselines do not include garbage from the scenarios that ran before. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

export async function memoryPerBufferedMb(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const buffers = ctx.smoke ? [2 * MiB] : [8 * MiB, 32 * MiB];
  const durationMs = ctx.smoke ? 300 : 4000;
  const batchBytes = ctx.smoke ? 64 * 1024 : 256 * 1024;
  const producers = 4;
  const liveEveryMs = ctx.smoke ? 20 : 50;
  const drainBytesPerSecond = 100e6;
  const rows: Array<Record<string, number | string>> = [];
  const ratios: Ratio[] = [];
  for (const maxBufferedBytes of buffers) {
    const store = new LatencyStore(new EntryDiscardingStore(), { bytesPerSecond: drainBytesPerSecond, seed: 11 });
    const writer = await ShardWriter.open(store, "", randomUUID(), { maxBufferedBytes, flushBytes: maxBufferedBytes / 4 });
    collectGarbage();
    const base = process.memoryUsage().arrayBuffers;
    let peakRaw = base;
    let peakLive = base;
    const sample = (): void => {
      const now = process.memoryUsage().arrayBuffers;
      if (now > peakRaw) peakRaw = now;
    };
    const sampler = setInterval(sample, 5);
    // A full collection before reading leaves only what is still referenced: the batches the writer
    // buffers, the entries being written, and the batch each producer is building.
    const liveSampler = setInterval(() => {
      collectGarbage();
      const now = process.memoryUsage().arrayBuffers;
      if (now > peakLive) peakLive = now;
    }, liveEveryMs);
    let appendedBytes = 0;
    let seed = 0;
    const t0 = performance.now();
    const deadline = t0 + durationMs;
    try {
      await Promise.all(
        Array.from({ length: producers }, async () => {
          while (performance.now() < deadline) {
            const batch = payloadBatch(batchBytes, seed++);
            await writer.append(batch);
            appendedBytes += batch.data.byteLength;
            sample();
          }
        }),
      );
      await writer.flush();
    } finally {
      clearInterval(sampler);
      clearInterval(liveSampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    await writer.close();
    // Let the timers of the latency store settle before the next configuration measures its baseline.
    await sleep(10);
    const extraRaw = peakRaw - base;
    const extraLive = peakLive - base;
    rows.push({
      "maxBufferedBytes MiB": maxBufferedBytes / MiB,
      "appended MB/s": mbPerSecond(appendedBytes, seconds),
      "peak live MiB": extraLive / MiB,
      "live / buffer": extraLive / maxBufferedBytes,
      "peak incl. garbage MiB": extraRaw / MiB,
      "incl. garbage / buffer": extraRaw / maxBufferedBytes,
    });
    ratios.push(ratio(`${maxBufferedBytes / MiB} MiB buffer: peak live arrayBuffers / maxBufferedBytes`, extraLive, maxBufferedBytes));
    ratios.push(ratio(`${maxBufferedBytes / MiB} MiB buffer: peak arrayBuffers incl. garbage / maxBufferedBytes`, extraRaw, maxBufferedBytes));
  }
  return {
    scenario: "memory",
    title: "6. Peak memory per buffered MB under sustained load (backpressure on)",
    smoke: ctx.smoke,
    columns: ["maxBufferedBytes MiB", "appended MB/s", "peak live MiB", "live / buffer", "peak incl. garbage MiB", "incl. garbage / buffer"],
    rows,
    ratios,
    notes: [
      `${producers} producers each build a fresh ${(batchBytes / 1024).toFixed(0)} KiB batch and append it without awaiting durability, for ${durationMs} ms; append waits for room once maxBufferedBytes is buffered. flushBytes = maxBufferedBytes / 4.`,
      `The store drains slowly: log-normal PUT latency (p50 28 ms, p99 67 ms) plus size / ${drainBytesPerSecond / 1e6} MB/s, and it keeps only the size of each entry, so stored data is not counted.`,
      `Memory is process.memoryUsage().arrayBuffers (where Arrow column data and encoded entries live) above a baseline taken after a full GC. "live": sampled right after a forced full GC every ${liveEveryMs} ms, so only referenced buffers count (buffered batches, entries in flight with their pipeline, each producer's batch under construction). "incl. garbage": sampled every 5 ms and after every append without forcing GC, so it also holds buffers the collector has not reclaimed yet. RSS is not used: the heap grown by earlier scenarios is not returned to the OS, which hides the increase.`,
    ],
    seconds: (performance.now() - started) / 1000,
  };
}
