/**
 * The WAL end to end on the store under test: the same fencing and recovery cases as core's own
 * tests, but through the real backend (its conditional puts, listings and error mapping).
 */
import { describe, expect, it } from "vitest";
import { Field, Int32, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from "apache-arrow";
import {
  ClaimFailedError, InvalidArgumentError, ShardPaths, ShardReader, ShardWriter, WriterFencedError, WriterPoisonedError,
  encodeWalEntry, findTip, replay, type ObjectStore,
} from "@wal/core";
import { FaultyStore } from "@wal/core/testing";
import type { ConformanceOptions } from "./run-conformance.js";
import { SLOW_TIMEOUT_MS } from "./helpers.js";

const SHARD = "6f0c1a52-3b7e-4d1a-9c2e-8b5a4f3e2d1c";
const BASE = "dataset";
const quiet = { onWarning: () => undefined, retry: { retries: 3, baseDelayMs: 5 } };

const schema = new Schema([new Field("id", new Int32(), false), new Field("note", new Utf8(), true)]);

function batch(first: number, rows = 4): RecordBatch {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const children = [
    vectorFromArray(ids, new Int32()).data[0]!,
    vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : `note ${i} – ünïcode`)), new Utf8()).data[0]!,
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

function ids(batches: readonly RecordBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as Int32Array));
}

async function replayed(store: ObjectStore): Promise<number[]> {
  const out: number[] = [];
  for await (const e of replay(store, BASE, SHARD)) out.push(...ids(e.batches));
  return out;
}

async function durably(w: ShardWriter, firsts: number[]): Promise<void> {
  const watchers = [];
  for (const f of firsts) watchers.push(await w.append(batch(f)));
  await Promise.all(watchers.map((x) => x.wait()));
}

export function walCases(options: ConformanceOptions): void {
  describe("WAL end to end", () => {
    it("open, append, durable, crash, reopen, replay: every acknowledged row once, in order", async () => {
      const store = await options.create();
      const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
      expect(w1.epoch).toBe(1n);
      await durably(w1, [0, 4, 8]);
      await durably(w1, [12]);
      w1.abandon(); // crash: dropped without close or checkpoint
      const seen: number[] = [];
      const w2 = await ShardWriter.open(store, BASE, SHARD, { ...quiet, onReplay: (e) => void seen.push(...ids(e.batches)) });
      expect(w2.epoch).toBe(2n);
      expect(seen).toEqual(Array.from({ length: 16 }, (_, i) => i));
      await durably(w2, [100]);
      await w2.close();
      expect(await replayed(store)).toEqual([...seen, 100, 101, 102, 103]);
    }, SLOW_TIMEOUT_MS);

    it("fence: of two writers on one shard the older fails and nothing acknowledged is lost", async () => {
      const store = await options.create();
      const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
      await durably(w1, [0]);
      const w2 = await ShardWriter.open(store, BASE, SHARD, quiet);
      const late = await (await w1.append(batch(50))).wait().catch((e: unknown) => e);
      expect(late).toBeInstanceOf(WriterFencedError);
      await expect(w1.append(batch(60))).rejects.toBeInstanceOf(WriterFencedError);
      await expect(w1.commitReplayAfter(1n)).rejects.toBeInstanceOf(WriterFencedError);
      await durably(w2, [10]);
      await w2.close();
      expect(await replayed(store)).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    }, SLOW_TIMEOUT_MS);

    it("a fresh shard replays nothing; a sentinel fences an idle predecessor; its waiters fail instead of hanging", async () => {
      const store = await options.create();
      let replayedEntries = 0;
      const w1 = await ShardWriter.open(store, BASE, SHARD, { ...quiet, onReplay: () => void replayedEntries++ });
      expect(replayedEntries).toBe(0);
      await durably(w1, [0]);
      const w2 = await ShardWriter.open(store, BASE, SHARD, quiet); // w1 stays idle meanwhile
      const waits = [];
      for (let i = 1; i <= 5; i++) waits.push((await w1.append(batch(i * 10))).wait());
      const settled = await Promise.race([
        Promise.allSettled(waits),
        new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000)),
      ]);
      expect(settled).not.toBe("hung");
      for (const r of settled as PromiseSettledResult<void>[]) {
        expect(r.status).toBe("rejected");
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WriterFencedError);
      }
      await w2.close();
      expect(await replayed(store)).toEqual([0, 1, 2, 3]);
    }, SLOW_TIMEOUT_MS);

    it("replay does not append again, and an entry of a higher epoch aborts an open as fenced", async () => {
      const store = await options.create();
      const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
      await durably(w1, [0]);
      w1.abandon();
      for (let i = 0; i < 3; i++) {
        const w = await ShardWriter.open(store, BASE, SHARD, quiet);
        expect(w.replayed.rows).toBe(4); // the same 4 rows each time, never doubled
        await w.close();
      }
      const paths = new ShardPaths(BASE, SHARD);
      const tip = await findTip(store, paths, 0n, 0n);
      await store.put(paths.entryKey(tip + 1n), encodeWalEntry([batch(99)], { writerEpoch: 1000n }), { mode: { kind: "create" } });
      const err = await ShardWriter.open(store, BASE, SHARD, quiet).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriterFencedError);
      expect((err as WriterFencedError).peerEpoch).toBe(1000n);
    }, SLOW_TIMEOUT_MS);

    it("pipelined appends (K = 8) keep order; a reopen replays them once", async () => {
      const store = await options.create();
      const w = await ShardWriter.open(store, BASE, SHARD, { ...quiet, pipelineDepth: 8 });
      const watchers = [];
      for (let i = 0; i < 24; i++) {
        const watcher = await w.append(batch(i * 4));
        watchers.push(watcher);
        void watcher.wait().catch(() => undefined); // ask for durability now, as a producer would
      }
      await Promise.all(watchers.map((x) => x.wait()));
      w.abandon();
      const again = await ShardWriter.open(store, BASE, SHARD, { ...quiet, replayPrefetch: 8 });
      expect(again.replayed.rows).toBe(96);
      await again.close();
      expect(await replayed(store)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    }, SLOW_TIMEOUT_MS);

    it("concurrent opens: one epoch per winner, losers get ClaimFailed", async () => {
      const store = await options.create();
      const results = await Promise.allSettled([0, 1, 2].map(() => ShardWriter.open(store, BASE, SHARD, quiet)));
      const winners = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(winners.length).toBeGreaterThanOrEqual(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ClaimFailedError);
      expect(new Set(winners.map((w) => w.epoch)).size).toBe(winners.length);
      for (const w of winners) w.abandon();
    }, SLOW_TIMEOUT_MS);

    it("transient put failures are retried at the same position; lost acknowledgements make no duplicate", async () => {
      const store = new FaultyStore(await options.create());
      const w = await ShardWriter.open(store, BASE, SHARD, quiet);
      store.failNextPuts(2, /\/wal\//);
      await durably(w, [0]);
      store.loseNextAcks(1, /\/wal\//);
      await durably(w, [4]);
      await w.close();
      const paths = new ShardPaths(BASE, SHARD);
      const positions: bigint[] = [];
      for await (const m of store.list(paths.walPrefix)) {
        const p = paths.positionOfKey(m.key);
        if (p !== undefined) positions.push(p);
      }
      expect(positions.sort()).toEqual([1n, 2n]);
      expect(await replayed(store)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }, SLOW_TIMEOUT_MS);

    it("poisoned after retries run out; a reopen replays what was acknowledged", async () => {
      const store = new FaultyStore(await options.create());
      const w = await ShardWriter.open(store, BASE, SHARD, quiet);
      await durably(w, [0]);
      store.failNextPuts(4, /\/wal\//);
      const err = await (await w.append(batch(4))).wait().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriterPoisonedError);
      store.clearRules();
      const again = await ShardWriter.open(store, BASE, SHARD, quiet);
      expect(again.replayed.rows).toBe(4);
      await again.close();
    }, SLOW_TIMEOUT_MS);

    it("checkpoint never passes the tip; gc keeps the tip; a reader tails without fencing", async () => {
      const store = await options.create();
      const w = await ShardWriter.open(store, BASE, SHARD, quiet);
      await durably(w, [0]);
      await durably(w, [4]);
      await expect(w.commitReplayAfter(3n)).rejects.toBeInstanceOf(InvalidArgumentError);
      await w.commitReplayAfter(2n);
      expect(await w.gc()).toEqual([1n]);
      const reader = new ShardReader(store, BASE, SHARD);
      const after: number[] = [];
      for await (const e of reader.entriesAfter(1n)) after.push(...ids(e.batches));
      expect(after).toEqual([4, 5, 6, 7]);
      await durably(w, [8]); // not fenced by the reader
      await w.close();
      const w2 = await ShardWriter.open(store, BASE, SHARD, quiet);
      expect(w2.replayed.rows).toBe(4); // only position 3 is after replay_after = 2
      await w2.close();
    }, SLOW_TIMEOUT_MS);
  });
}
