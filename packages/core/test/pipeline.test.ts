import { describe, expect, it } from "vitest";
import {
  MemoryStore, ShardWriter, ShardPaths, WriterPoisonedError, replay, decodeManifest, InvalidArgumentError,
  encodeWalEntry, encodeFenceSentinel, findTip, ShardReader, type ObjectStore, type PutOptions, type PutResult,
} from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
import { batchOf, idsOf, SHARD } from "./helpers.js";

const BASE = "p";
const paths = new ShardPaths(BASE, SHARD);
const keyOf = (p: bigint): RegExp => new RegExp(paths.entryKey(p).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$");

/** Holds WAL puts until released, and records how many were in flight at once. */
class GatedStore extends FaultyStore {
  gates = new Map<string, () => void>();
  inFlight = 0;
  maxInFlight = 0;
  gated = true;
  override async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    if (this.gated && key.includes("/wal/")) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise<void>((r) => this.gates.set(key, r));
      this.inFlight--;
    }
    return super.put(key, bytes, options);
  }
  release(position: bigint): void {
    const k = paths.entryKey(position);
    const g = this.gates.get(k);
    if (!g) throw new Error(`no write waiting at position ${position}`);
    this.gates.delete(k);
    g();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

/** `inner` with some methods replaced (to count or slow down calls). */
function over(inner: ObjectStore, methods: Partial<Pick<ObjectStore, "put" | "get" | "head" | "list" | "delete">>): ObjectStore {
  return {
    name: `over(${inner.name})`,
    capabilities: inner.capabilities,
    put: (k, b, o) => inner.put(k, b, o),
    get: (k, o) => inner.get(k, o),
    head: (k) => inner.head(k),
    list: (p) => inner.list(p),
    delete: (k) => inner.delete(k),
    ...methods,
  };
}

async function replayedIds(store: ObjectStore): Promise<number[]> {
  const out: number[] = [];
  for await (const e of replay(store, BASE, SHARD)) out.push(...idsOf(e.batches));
  return out;
}

describe("pipelined appends (K entries in flight)", () => {
  it("keeps up to K entries in flight, each at its own position", async () => {
    const store = new GatedStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 3, onWarning: () => undefined });
    const waits = [];
    for (let i = 0; i < 5; i++) {
      const watcher = await w.append(batchOf(i * 10, 1));
      waits.push(watcher.wait());
      await settle();
    }
    expect(store.maxInFlight).toBe(3);
    expect([...store.gates.keys()].map((k) => paths.positionOfKey(k))).toEqual([1n, 2n, 3n]);
    for (const p of [1n, 2n, 3n]) store.release(p);
    await settle();
    // The two batches that queued behind the full pipeline went out as one entry at position 4.
    store.release(4n);
    await Promise.all(waits);
    expect(store.maxInFlight).toBe(3);
    store.gated = false;
    await w.close();
    expect(await replayedIds(store)).toEqual([0, 10, 20, 30, 40]);
  });

  it("acknowledges only a contiguous prefix: entry 2 written first waits for entry 1", async () => {
    const store = new GatedStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 2, onWarning: () => undefined });
    const a = await w.append(batchOf(1, 1));
    const aw = a.wait();
    await settle();
    const b = await w.append(batchOf(2, 1));
    const bw = b.wait();
    await settle();
    store.release(2n);
    await settle();
    expect(b.isDurable()).toBe(false);
    expect(w.durableTip).toBe(0n);
    store.release(1n);
    await Promise.all([aw, bw]);
    expect(a.isDurable() && b.isDurable()).toBe(true);
    expect(w.durableTip).toBe(2n);
    store.gated = false;
    await w.close();
  });

  it("when entry k fails after k+1 landed: nothing from k on is acknowledged, and the orphan is never replayed", async () => {
    const store = new GatedStore(new MemoryStore());
    const w1 = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 4, retry: { retries: 0 }, onWarning: () => undefined });
    const first = await w1.append(batchOf(1, 1));
    const fw = first.wait();
    await settle();
    store.release(1n);
    await fw;
    const k = await w1.append(batchOf(2, 1));
    const kw = k.wait().catch((e: unknown) => e);
    await settle();
    const k1 = await w1.append(batchOf(3, 1));
    const k1w = k1.wait().catch((e: unknown) => e);
    await settle();
    store.failNextPuts(1, keyOf(2n));
    store.release(3n); // k+1 lands at position 3
    await settle();
    store.release(2n); // k fails at position 2 (no retries)
    expect(await kw).toBeInstanceOf(WriterPoisonedError);
    expect(await k1w).toBeInstanceOf(WriterPoisonedError);
    expect(k1.isDurable()).toBe(false);
    store.gated = false;

    // Position 2 is a gap and 3 an orphan. The next writer fences at 2 and claims 3 (taken: orphan) and 4..
    const seen: number[] = [];
    const w2 = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 1, onReplay: (e) => void seen.push(...idsOf(e.batches)), onWarning: () => undefined });
    expect(seen).toEqual([1]);
    const m = decodeManifest((await store.get(paths.manifestKey(2n))).bytes, "m");
    expect(m.pipelineDepth).toBe(4); // the recorded depth never shrinks
    await (await w2.append(batchOf(100, 1))).wait();
    await w2.close();
    // Every later replay skips the orphan at 3 although the log is now contiguous through it.
    expect(await replayedIds(store)).toEqual([1, 100]);
    const w3 = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 1, onWarning: () => undefined });
    expect(w3.replayed.rows).toBe(2);
    await w3.close();
  });

  it("a late write of a fenced pipelined writer lands in a neutralized position or collides", async () => {
    const store = new GatedStore(new MemoryStore());
    const w1 = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 4, retry: { retries: 0 }, onWarning: () => undefined });
    const waits = [];
    for (let i = 0; i < 3; i++) {
      waits.push((await w1.append(batchOf(i * 10, 1))).wait().catch((e: unknown) => e));
      await settle();
    }
    // Writes at 1, 2, 3 are all in flight; 2 lands, 1 and 3 are delayed past the next open.
    store.release(2n);
    await settle();
    store.gated = false;
    const w2 = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 2, onWarning: () => undefined });
    // w2 fenced at 1 (the gap) and claimed 2..4 (w1's depth is 4): 2 held an orphan.
    store.gated = true;
    store.release(1n);
    store.release(3n);
    const outcomes = await Promise.all(waits);
    for (const o of outcomes) expect(o).toBeInstanceOf(Error); // none acknowledged
    store.gated = false;
    await (await w2.append(batchOf(500, 1))).wait();
    await w2.close();
    expect(await replayedIds(store)).toEqual([500]);
  });

  it("maxBufferedBytes bounds buffered batches plus encoded entries in flight", async () => {
    const store = new FaultyStore(new MemoryStore());
    store.addRule({ kind: "delay", delayMs: 3, keys: /\/wal\// });
    const max = 64 * 1024;
    const w = await ShardWriter.open(store, BASE, SHARD, { pipelineDepth: 4, maxBufferedBytes: max, flushIntervalMs: 1, onWarning: () => undefined });
    const one = batchOf(0, 500);
    const batchBytes = one.data.byteLength;
    let peak = 0;
    const watchers = [];
    for (let i = 0; i < 200; i++) {
      watchers.push(await w.append(batchOf(i * 500, 500)));
      peak = Math.max(peak, w.bufferedBytes);
    }
    await Promise.all(watchers.map((x) => x.wait()));
    // Appends waited for room. Admitted batches may still be encoded into an entry afterwards, so the
    // bound is the budget, the batch let in, and at most one encoded copy of what was pending.
    expect(peak).toBeLessThanOrEqual(2 * (max + batchBytes));
    expect(peak).toBeGreaterThan(max / 2); // and the budget was actually in use
    expect(w.bufferedBytes).toBe(0);
    await w.close();
    expect((await replayedIds(store)).length).toBe(100_000);
  });

  it("refuses a pipeline depth outside 1..64", async () => {
    await expect(ShardWriter.open(new MemoryStore(), BASE, SHARD, { pipelineDepth: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(ShardWriter.open(new MemoryStore(), BASE, SHARD, { pipelineDepth: 65 })).rejects.toThrow(/pipelineDepth/);
  });
});

describe("prefetching replay", () => {
  it("fetches up to K entries ahead, stays in order, and stops at the first gap", async () => {
    const inner = new MemoryStore();
    const w = await ShardWriter.open(inner, BASE, SHARD, { pipelineDepth: 1, onWarning: () => undefined });
    for (let i = 0; i < 12; i++) await (await w.append(batchOf(i, 1))).wait();
    await w.close();
    let inFlight = 0;
    let peak = 0;
    const slow = over(inner, {
      get: async (k, o) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        inFlight--;
        return inner.get(k, o);
      },
    });
    for (const prefetch of [1, 4, 8]) {
      peak = 0;
      const ids: number[] = [];
      for await (const e of replay(slow, BASE, SHARD, { prefetch })) ids.push(...idsOf(e.batches));
      expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(peak).toBe(prefetch);
      await new Promise((r) => setTimeout(r, 30)); // fetches past the end drain before the next run
    }
    // Memory bound: with a tiny byte budget only one entry is held ahead at a time.
    peak = 0;
    let entries = 0;
    for await (const e of replay(slow, BASE, SHARD, { prefetch: 8, maxPrefetchBytes: 1 })) entries += e.batches.length;
    expect(entries).toBe(12);
    expect(peak).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    await inner.delete(paths.entryKey(6n));
    const upToGap: number[] = [];
    for await (const e of replay(slow, BASE, SHARD, { prefetch: 8 })) upToGap.push(...idsOf(e.batches));
    expect(upToGap).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("finding the tip", () => {
  it("follows the contiguous run with one listing instead of a HEAD per entry, never past a gap", async () => {
    const inner = new MemoryStore();
    let heads = 0;
    let lists = 0;
    const counting = over(inner, {
      head: (k) => (heads++, inner.head(k)),
      list: (p) => (lists++, inner.list(p)),
    });
    const bytes = encodeWalEntry([batchOf(1, 1)], { writerEpoch: 1n });
    for (let p = 1n; p <= 60n; p++) await inner.put(paths.entryKey(p), bytes, { mode: { kind: "create" } });
    // A gap at 61 with orphans beyond it, as a crashed pipelined writer leaves them.
    for (const p of [62n, 63n, 65n]) await inner.put(paths.entryKey(p), bytes, { mode: { kind: "create" } });
    expect(await findTip(counting, paths, 0n, 0n)).toBe(60n);
    expect(lists).toBe(1);
    expect(heads).toBeLessThan(15);
    // A hint inside the run is a shortcut; a hint that does not exist is ignored.
    expect(await findTip(counting, paths, 0n, 40n)).toBe(60n);
    expect(await findTip(counting, paths, 0n, 64n)).toBe(60n);
    await inner.delete(paths.entryKey(10n)); // garbage-collected below replay_after = 20
    expect(await findTip(counting, paths, 20n, 10n)).toBe(60n);
    expect(await findTip(counting, paths, 70n, 0n)).toBe(70n); // nothing after replay_after
  });
});

describe("ShardReader.follow and orphans", () => {
  it("skips a fenced writer's orphans while tailing, as replay does", async () => {
    const store = new MemoryStore();
    const old = encodeWalEntry([batchOf(1, 1)], { writerEpoch: 1n });
    const orphan = encodeWalEntry([batchOf(2, 1)], { writerEpoch: 1n });
    const fresh = encodeWalEntry([batchOf(3, 1)], { writerEpoch: 2n });
    await store.put(paths.entryKey(1n), old, { mode: { kind: "create" } });
    await store.put(paths.entryKey(3n), orphan, { mode: { kind: "create" } }); // beyond the gap at 2
    const reader = new ShardReader(store, BASE, SHARD);
    const ac = new AbortController();
    const got: number[] = [];
    const following = (async () => {
      for await (const e of reader.follow({ pollIntervalMs: 2, signal: ac.signal })) {
        got.push(...idsOf(e.batches));
        if (got.includes(3)) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([1]); // waiting at the gap
    await store.put(paths.entryKey(2n), encodeFenceSentinel({ writerEpoch: 2n }), { mode: { kind: "create" } });
    await store.put(paths.entryKey(4n), fresh, { mode: { kind: "create" } });
    await following;
    expect(got).toEqual([1, 3]); // the orphan (id 2) behind the epoch-2 sentinel is skipped
  });
});
