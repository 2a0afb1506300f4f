import { describe, expect, it } from "vitest";
import {
  BatchStore, DurableWatermark, WalFlusher, WriteOnceCell, WriterClosedError, WriterPoisonedError,
  UnavailableError, decodeWalEntry, type EntryAppender, type MemIndex,
} from "../src/index.js";
import { batchOf, idsOf } from "./helpers.js";

/** An appender whose writes complete only when the test releases them. */
function gatedAppender() {
  const written: Uint8Array[] = [];
  const gates: Array<{ release: () => void; fail: (e: unknown) => void }> = [];
  const appender: EntryAppender = {
    appendEntry: (bytes) =>
      new Promise((resolve, reject) => {
        gates.push({
          release: () => {
            written.push(bytes);
            resolve({ position: BigInt(written.length), key: `k${written.length}` });
          },
          fail: reject,
        });
      }),
  };
  return { appender, written, gates };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("BatchStore", () => {
  it("returns positions, reports full, frees released slots", () => {
    const s = new BatchStore(2);
    expect(s.append(batchOf(1))).toEqual({ ok: true, position: 0 });
    expect(s.append(batchOf(2))).toEqual({ ok: true, position: 1 });
    expect(s.append(batchOf(3))).toEqual({ ok: false, reason: "full" });
    expect(s.bufferedBytes).toBeGreaterThan(0);
    s.release(1);
    expect(s.append(batchOf(3))).toEqual({ ok: true, position: 2 });
    expect(idsOf(s.slice(1, 3))).toEqual([2, 3, 4, 3, 4, 5]);
    expect(() => s.slice(0, 2)).toThrow(/not held/);
    s.release(3);
    expect(s.size).toBe(0);
    expect(s.bufferedBytes).toBe(0);
  });
  it("refuses a bad capacity", () => {
    expect(() => new BatchStore(0)).toThrow(/capacity/);
  });
});

describe("DurableWatermark and WriteOnceCell", () => {
  it("resolves waiters contiguously and only forward", async () => {
    const w = new DurableWatermark();
    const order: number[] = [];
    const waits = [0, 1, 2].map((p) => w.waitFor(p).then(() => order.push(p)));
    w.advance(2);
    await tick();
    expect(order).toEqual([0, 1]);
    w.advance(1);
    expect(w.value).toBe(2);
    w.advance(3);
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2]);
  });
  it("rejects pending and future waiters after a failure; honours abort", async () => {
    const w = new DurableWatermark();
    w.advance(1);
    const pending = w.waitFor(5);
    const err = new Error("boom");
    w.fail(err);
    await expect(pending).rejects.toBe(err);
    await expect(w.waitFor(9)).rejects.toBe(err);
    await expect(w.waitFor(0)).resolves.toBeUndefined();
    const w2 = new DurableWatermark();
    const ac = new AbortController();
    const p = w2.waitFor(0, ac.signal);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
  });
  it("write-once cell: first write wins, readers await it", async () => {
    const c = new WriteOnceCell<number>();
    const r = c.wait();
    expect(c.set(1)).toBe(true);
    expect(c.set(2)).toBe(false);
    await expect(r).resolves.toBe(1);
    expect(c.get()).toBe(1);
    const f = new WriteOnceCell<number>();
    f.fail(new Error("x"));
    await expect(f.wait()).rejects.toThrow("x");
  });
});

describe("WalFlusher", () => {
  it("a watcher does not resolve before its flush, and does after", async () => {
    const store = new BatchStore(16);
    const { appender, gates, written } = gatedAppender();
    const f = new WalFlusher({ batchStore: store, appender, stamp: { writerEpoch: 1n } });
    const p0 = store.append(batchOf(1));
    const w = f.trackBatch(p0.ok ? p0.position : -1);
    let resolved = false;
    void w.wait().then(() => (resolved = true));
    const flushed = f.triggerFlush("all");
    await tick();
    expect(resolved).toBe(false);
    expect(w.isDurable()).toBe(false);
    gates[0]!.release();
    const result = await flushed;
    await tick();
    expect(resolved).toBe(true);
    expect(w.isDurable()).toBe(true);
    expect(result!.batches).toEqual({ from: 0, to: 1 });
    expect(result!.rows).toBe(3);
    expect(idsOf(decodeWalEntry(written[0]!, "k").batches)).toEqual([1, 2, 3]);
  });

  it("handles one trigger at a time, each covering [first unflushed, end)", async () => {
    const store = new BatchStore(16);
    const { appender, gates, written } = gatedAppender();
    const f = new WalFlusher({ batchStore: store, appender, stamp: { writerEpoch: 1n } });
    store.append(batchOf(1));
    const first = f.triggerFlush("all");
    store.append(batchOf(10));
    store.append(batchOf(20));
    const second = f.triggerFlush(2);
    const third = f.triggerFlush("all");
    await tick();
    expect(gates.length).toBe(1); // the second flush waits for the first
    gates[0]!.release();
    await first;
    await tick();
    gates[1]!.release();
    expect((await second)!.batches).toEqual({ from: 1, to: 2 });
    await tick();
    gates[2]!.release();
    expect((await third)!.batches).toEqual({ from: 2, to: 3 });
    expect(written.map((b) => idsOf(decodeWalEntry(b, "k").batches))).toEqual([[1, 2, 3], [10, 11, 12], [20, 21, 22]]);
    expect(await f.triggerFlush()).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("a failed write rejects every waiter with the error; later triggers reject too; nothing hangs", async () => {
    const store = new BatchStore(16);
    const { appender, gates } = gatedAppender();
    const f = new WalFlusher({ batchStore: store, appender, stamp: { writerEpoch: 1n } });
    const ws = [1, 2, 3].map((i) => {
      const r = store.append(batchOf(i));
      return f.trackBatch(r.ok ? r.position : -1);
    });
    const waits = ws.map((w) => w.wait());
    const flush = f.triggerFlush(1);
    const queued = f.triggerFlush("all");
    await tick();
    gates[0]!.fail(new UnavailableError("disk on fire", { backend: "test" }));
    await expect(flush).rejects.toBeInstanceOf(WriterPoisonedError);
    await expect(queued).rejects.toBeInstanceOf(WriterPoisonedError);
    for (const w of waits) await expect(w).rejects.toBeInstanceOf(WriterPoisonedError);
    const err = (await flush.catch((e: unknown) => e)) as WriterPoisonedError;
    expect(err.cause).toBeInstanceOf(UnavailableError);
    await expect(f.triggerFlush()).rejects.toBeInstanceOf(WriterPoisonedError);
    await expect(f.backpressure()).rejects.toBeInstanceOf(WriterPoisonedError);
  });

  it("updates indexes in parallel with the write and reports per-index timings", async () => {
    const store = new BatchStore(16);
    const seen: Array<[string, number[], number, boolean]> = [];
    let writeInFlight = false;
    const slow: MemIndex = {
      name: "slow",
      insert: async (b, first) => {
        seen.push(["slow", idsOf(b), first, writeInFlight]);
        await new Promise((r) => setTimeout(r, 20));
      },
    };
    const fast: MemIndex = { name: "fast", insert: (b, first) => void seen.push(["fast", idsOf(b), first, writeInFlight]) };
    const appender: EntryAppender = {
      appendEntry: async () => {
        writeInFlight = true;
        await new Promise((r) => setTimeout(r, 20));
        writeInFlight = false;
        return { position: 1n, key: "k" };
      },
    };
    const f = new WalFlusher({ batchStore: store, appender, stamp: { writerEpoch: 1n }, indexes: [slow, fast] });
    store.append(batchOf(1, 2));
    const r = await f.triggerFlush();
    // Both indexes started while the WAL write was still in flight.
    expect(seen).toEqual([["slow", [1, 2], 0, true], ["fast", [1, 2], 0, true]]);
    expect(Object.keys(r!.indexBreakdown).sort()).toEqual(["fast", "slow"]);
    expect(r!.indexBreakdown.slow).toBeGreaterThan(r!.indexBreakdown.fast!);
    expect(r!.ioMs).toBeGreaterThan(0);
  });

  it("a failing index fails the flush like a write error", async () => {
    const store = new BatchStore(4);
    const bad: MemIndex = { name: "bad", insert: () => { throw new Error("index broke"); } };
    const f = new WalFlusher({ batchStore: store, appender: { appendEntry: async () => ({ position: 1n, key: "k" }) }, stamp: { writerEpoch: 1n }, indexes: [bad] });
    const r = store.append(batchOf(1));
    const w = f.trackBatch(r.ok ? r.position : -1).wait();
    await expect(f.triggerFlush()).rejects.toThrow(/index broke/);
    await expect(w).rejects.toBeInstanceOf(WriterPoisonedError);
  });

  it("backpressure resolves on the next completed flush; close flushes then refuses", async () => {
    const store = new BatchStore(4);
    const { appender, gates } = gatedAppender();
    const f = new WalFlusher({ batchStore: store, appender, stamp: { writerEpoch: 1n } });
    const r = store.append(batchOf(1));
    const w = f.trackBatch(r.ok ? r.position : -1);
    void f.triggerFlush();
    let relieved = false;
    const bp = f.backpressure().then(() => (relieved = true));
    await tick();
    expect(relieved).toBe(false);
    gates[0]!.release();
    await bp;
    expect(relieved).toBe(true);
    store.append(batchOf(2));
    const closing = f.close();
    await tick();
    gates[1]!.release();
    await closing;
    await expect(w.wait()).resolves.toBeUndefined();
    await expect(f.triggerFlush()).rejects.toBeInstanceOf(WriterClosedError);
    const w2 = f.trackBatch(5);
    await expect(w2.wait()).rejects.toBeInstanceOf(WriterClosedError);
  });
});
