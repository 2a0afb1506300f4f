/**
 * Scenario 2: pipelining over a high-latency store. For each pipeline depth K (entries in flight per
 * writer) and each number of concurrent producers, producers loop "append a batch, await its
 * watcher" for a fixed time against `LatencyStore` over `MemoryStore`.
 *
 * Two producer loops are measured. "closed": the next append follows the previous watcher at once.
 * Producers released by one acknowledgement then append in the same tick and all land in one entry,
 * so they stay in lockstep and only one entry is ever in flight, whatever K is. "think": a random
 * 0-2 ms pause between iterations, as independent clients have; producers drift apart and K entries
 * can be in flight.
 */
import { randomUUID } from "node:crypto";
import type { RecordBatch } from "apache-arrow";
import { MemoryStore, ShardWriter, sleep } from "@wal/core";
import type { BenchContext } from "../context.js";
import { rowsToBatch, sensorRows } from "../data.js";
import { DEFAULT_PUT_LATENCY, DEFAULT_READ_LATENCY, LatencyStore } from "../latency-store.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { quantile, seededRandom } from "../stats.js";

export type KSweepRow = {
  readonly loop: string;
  readonly K: number;
  readonly producers: number;
  readonly "WAL entries/s": number;
  readonly "batches/s": number;
  readonly "batches/entry": number;
  readonly "durable p50 ms": number;
  readonly "durable p99 ms": number;
  readonly "injected PUT p99 ms": number;
};

export async function kSweep(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const depths = ctx.smoke ? [1, 8] : [1, 2, 4, 8, 16];
  const producerCounts = ctx.smoke ? [8] : [1, 8, 64];
  const durationMs = ctx.smoke ? 250 : 2000;
  const loops = ["closed", "think"] as const;
  const batch = rowsToBatch(sensorRows(0, 10));
  const rows: KSweepRow[] = [];
  let seed = 1;
  for (const loop of loops) {
    for (const producers of producerCounts) {
      for (const k of depths) {
        const row = await measure(loop, k, producers, durationMs, batch, seed++);
        rows.push(row);
        ctx.log(`  k-sweep ${loop} K=${k} producers=${producers}: ${row["WAL entries/s"].toFixed(1)} entries/s`);
      }
    }
  }
  const ratios: Ratio[] = [];
  const most = producerCounts[producerCounts.length - 1]!;
  const at = (loop: string, k: number, p: number): KSweepRow => rows.find((r) => r.loop === loop && r.K === k && r.producers === p)!;
  for (const loop of loops) {
    for (const p of producerCounts) {
      ratios.push(
        ratio(
          `${loop} loop: WAL entries/s K=8 / K=1, ${p} producer(s)`,
          at(loop, 8, p)["WAL entries/s"],
          at(loop, 1, p)["WAL entries/s"],
          p === most ? { atLeast: 6 } : undefined,
        ),
      );
    }
    ratios.push(
      ratio(
        `${loop} loop: durable p99 K=8, ${most} producers / injected PUT p99 (${DEFAULT_PUT_LATENCY.p99Ms} ms)`,
        at(loop, 8, most)["durable p99 ms"],
        DEFAULT_PUT_LATENCY.p99Ms,
        { atMost: 2 },
      ),
    );
  }
  return {
    scenario: "k-sweep",
    title: "2. Latency-injecting store: throughput and time-to-durable against pipeline depth K",
    smoke: ctx.smoke,
    columns: ["loop", "K", "producers", "WAL entries/s", "batches/s", "batches/entry", "durable p50 ms", "durable p99 ms", "injected PUT p99 ms"],
    rows,
    ratios,
    notes: [
      `Injected delays are log-normal: PUT p50 ${DEFAULT_PUT_LATENCY.p50Ms} ms / p99 ${DEFAULT_PUT_LATENCY.p99Ms} ms; GET, HEAD, LIST, DELETE p50 ${DEFAULT_READ_LATENCY.p50Ms} ms / p99 ${DEFAULT_READ_LATENCY.p99Ms} ms. The store underneath is MemoryStore.`,
      `Each producer loops for ${durationMs} ms: append a 10-row batch, await its watcher ("think" loop: then sleep a uniform 0-2 ms). "Durable" = the watcher resolved (the entry's PUT returned and every earlier entry is durable).`,
      "closed loop: producers released together append together, so their batches share one entry and K cannot help; think loop: producers drift apart and each waiting producer can start an entry while the pipeline has room.",
      "WAL entries/s counts PUTs of entries (what K multiplies); batches/s is what producers see. With few producers, batches/s is bounded by producers / latency whatever K is.",
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

async function measure(loop: "closed" | "think", k: number, producers: number, durationMs: number, batch: RecordBatch, seed: number): Promise<KSweepRow> {
  const store = new LatencyStore(new MemoryStore(), { seed });
  const random = seededRandom(seed * 7919);
  let entries = 0;
  let batches = 0;
  const writer = await ShardWriter.open(store, "", randomUUID(), {
    pipelineDepth: k,
    onFlushed: (r) => {
      entries++;
      batches += r.batches.to - r.batches.from;
    },
  });
  const putsBefore = store.putDelays.length;
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (performance.now() < deadline) {
        const a = performance.now();
        const watcher = await writer.append(batch);
        await watcher.wait();
        latencies.push(performance.now() - a);
        if (loop === "think") await sleep(random() * 2);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const doneEntries = entries;
  const doneBatches = batches;
  await writer.close();
  const injected = store.putDelays.slice(putsBefore);
  return {
    loop,
    K: k,
    producers,
    "WAL entries/s": doneEntries / seconds,
    "batches/s": doneBatches / seconds,
    "batches/entry": doneBatches / doneEntries,
    "durable p50 ms": quantile(latencies, 0.5),
    "durable p99 ms": quantile(latencies, 0.99),
    "injected PUT p99 ms": quantile(injected, 0.99),
  };
}
