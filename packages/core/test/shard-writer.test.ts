import { describe, expect, it } from "vitest";
import {
  MemoryStore, ShardWriter, ShardReader, ShardPaths, ClaimFailedError, WriterFencedError, WriterPoisonedError,
  WriterClosedError, InvalidArgumentError, CorruptEntryError, UnavailableError, encodeWalEntry, replay,
  decodeManifest, encodeManifest, type WalEntry,
} from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
import { batchOf, idsOf, otherSchemaBatch, SHARD, FIXTURE_DIR, loadTree } from "./helpers.js";

const BASE = "tbl";
const quiet = { onWarning: () => undefined };

async function replayedIds(store: MemoryStore | FaultyStore, after = 0n): Promise<number[]> {
  const out: number[] = [];
  for await (const e of replay(store, BASE, SHARD, { after })) out.push(...idsOf(e.batches));
  return out;
}

async function entryPositions(store: MemoryStore | FaultyStore): Promise<bigint[]> {
  const paths = new ShardPaths(BASE, SHARD);
  const out: bigint[] = [];
  for await (const m of store.list(paths.walPrefix)) {
    const p = paths.positionOfKey(m.key);
    if (p !== undefined) out.push(p);
  }
  return out.sort((a, b) => (a < b ? -1 : 1));
}

async function appendAll(w: ShardWriter, firsts: number[]): Promise<void> {
  const watchers = [];
  for (const f of firsts) watchers.push(await w.append(batchOf(f)));
  await Promise.all(watchers.map((x) => x.wait()));
}

describe("ShardWriter: open, append, replay", () => {
  it("a fresh shard claims epoch 1, replays nothing, and appends from position 1", async () => {
    const store = new MemoryStore();
    const replayed: WalEntry[] = [];
    const w = await ShardWriter.open(store, BASE, SHARD, { onReplay: (e) => void replayed.push(e), ...quiet });
    expect(w.epoch).toBe(1n);
    expect(replayed).toEqual([]);
    expect(w.replayed.entries).toBe(0);
    await appendAll(w, [1, 10]);
    expect(w.durableTip).toBeGreaterThanOrEqual(1n);
    await w.close();
    expect(await replayedIds(store)).toEqual([1, 2, 3, 10, 11, 12]);
    expect((await entryPositions(store))[0]).toBe(1n); // no sentinel at epoch 1
  });

  it("replays a crashed writer's entries in order, writes a sentinel, and never appends them again", async () => {
    const store = new MemoryStore();
    const quiet = { onWarning: () => undefined, pipelineDepth: 1 };
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1, 4, 7]);
    w1.abandon(); // crash: no close, no checkpoint
    const seen: number[] = [];
    const w2 = await ShardWriter.open(store, BASE, SHARD, { onReplay: (e) => void seen.push(...idsOf(e.batches)), ...quiet });
    expect(w2.epoch).toBe(2n);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w2.replayed.rows).toBe(9);
    const tipBefore = w2.durableTip;
    await appendAll(w2, [100]);
    w2.abandon();
    const w3seen: number[] = [];
    const w3 = await ShardWriter.open(store, BASE, SHARD, { onReplay: (e) => void w3seen.push(...idsOf(e.batches)), ...quiet });
    // Each batch exactly once: the replayed ones were not re-appended by w2.
    expect(w3seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102]);
    expect(tipBefore).toBeGreaterThan(0n);
    await w3.close();
    const reader = new ShardReader(store, BASE, SHARD, quiet.onWarning);
    const sentinels: bigint[] = [];
    for await (const e of reader.entriesAfter(0n, { includeSentinels: true })) if (e.isSentinel) sentinels.push(e.writerEpoch);
    expect(sentinels).toEqual([2n, 3n]);
  });

  it("refuses zero-row batches and batches of another schema with a typed error", async () => {
    const w = await ShardWriter.open(new MemoryStore(), BASE, SHARD, quiet);
    await expect(w.append(batchOf(1, 0))).rejects.toBeInstanceOf(InvalidArgumentError);
    await w.append(batchOf(1));
    await expect(w.append(otherSchemaBatch())).rejects.toThrow(/schema differs/);
    await w.close();
    await expect(w.append(batchOf(5))).rejects.toBeInstanceOf(WriterClosedError);
  });

  it("reads a shard written by Lance 8.0.0: replays positions 5 and 6 only, fences at 7", async () => {
    const store = new MemoryStore();
    await loadTree(store, FIXTURE_DIR);
    const ids: bigint[] = [];
    const w = await ShardWriter.open(store, "", SHARD, {
      onReplay: (e) => void ids.push(...e.batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as BigInt64Array))),
      ...quiet,
    });
    expect(w.epoch).toBe(3n);
    expect(w.replayed).toMatchObject({ entries: 2, rows: 10, after: 3n, upTo: 7n });
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(700 + i)));
    const sentinel = await new ShardReader(store, "", SHARD).entryAt(7n);
    expect(sentinel?.isSentinel).toBe(true);
    expect(sentinel?.writerEpoch).toBe(3n);
    await w.close();
  });
});

describe("ShardWriter: fencing", () => {
  it("a fenced writer's append fails, and every later one", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    const w2 = await ShardWriter.open(store, BASE, SHARD, quiet);
    const watcher = await w1.append(batchOf(50));
    const err = await watcher.wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriterFencedError);
    expect((err as WriterFencedError).peerEpoch).toBe(2n);
    await expect(w1.append(batchOf(60))).rejects.toBeInstanceOf(WriterFencedError);
    await expect(w1.flush()).rejects.toBeInstanceOf(WriterFencedError);
    await appendAll(w2, [70]);
    await w2.close();
    expect(await replayedIds(store)).toEqual([1, 2, 3, 70, 71, 72]);
  });

  it("a sentinel fences a predecessor that has not yet written again", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    const w2 = await ShardWriter.open(store, BASE, SHARD, quiet); // w1 idle meanwhile
    const err = await (await w1.append(batchOf(9))).wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriterFencedError);
    expect(String((err as Error).message)).toMatch(/fence sentinel/);
    await w2.close();
  });

  it("a fenced waiter fails within a bounded time instead of hanging", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, { flushIntervalMs: 60_000, ...quiet });
    await ShardWriter.open(store, BASE, SHARD, quiet);
    const waits = [];
    for (let i = 0; i < 20; i++) waits.push((await w1.append(batchOf(i * 10))).wait());
    const outcome = await Promise.race([
      Promise.allSettled(waits),
      new Promise((r) => setTimeout(() => r("hung"), 5_000)),
    ]);
    expect(outcome).not.toBe("hung");
    for (const r of outcome as PromiseSettledResult<void>[]) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WriterFencedError);
    }
  });

  it("claim is refused when a peer holds a higher epoch (no epoch wars)", async () => {
    const store = new MemoryStore();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => ShardWriter.open(store, BASE, SHARD, quiet)));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const l of lost) expect(l.reason).toBeInstanceOf(ClaimFailedError);
    const epochs = won.map((r) => (r as PromiseFulfilledResult<ShardWriter>).value.epoch);
    expect(new Set(epochs).size).toBe(epochs.length); // no two writers share an epoch
  });

  it("an entry with a higher epoch aborts replay as fenced", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    w1.abandon();
    const paths = new ShardPaths(BASE, SHARD);
    await store.put(paths.entryKey(2n), encodeWalEntry([batchOf(5)], { writerEpoch: 9n }), { mode: { kind: "create" } });
    const err = await ShardWriter.open(store, BASE, SHARD, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriterFencedError);
    expect((err as WriterFencedError).peerEpoch).toBe(9n);
  });

  it("a corrupt entry fails the open, naming key and position", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    await appendAll(w1, [4]);
    w1.abandon();
    const key = new ShardPaths(BASE, SHARD).entryKey(2n);
    const { bytes } = await store.get(key);
    await store.put(key, bytes.slice(0, bytes.length - 8), { mode: { kind: "overwrite" } });
    const err = (await ShardWriter.open(store, BASE, SHARD, quiet).catch((e: unknown) => e)) as CorruptEntryError;
    expect(err).toBeInstanceOf(CorruptEntryError);
    expect(err.key).toBe(key);
    expect(err.position).toBe(2n);
  });
});

describe("ShardWriter: faults", () => {
  it("transient failure then success at the same position", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, ...quiet });
    store.failNextPuts(2, /\/wal\//);
    await appendAll(w, [1]);
    expect(store.injected.fail).toBe(2);
    expect(await entryPositions(store)).toEqual([1n]);
    await w.close();
    expect(await replayedIds(store)).toEqual([1, 2, 3]);
  });

  it("poisons after retries run out: every waiter rejects with the cause, nothing more is appended", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 2, baseDelayMs: 1 }, flushIntervalMs: 60_000, ...quiet });
    await appendAll(w, [1]);
    store.failNextPuts(3, /\/wal\//);
    const a = await w.append(batchOf(10));
    const b = await w.append(batchOf(20));
    const errs = await Promise.all([a.wait(), b.wait()].map((p) => p.catch((e: unknown) => e)));
    for (const e of errs) {
      expect(e).toBeInstanceOf(WriterPoisonedError);
      expect((e as Error).cause).toBeInstanceOf(UnavailableError);
    }
    expect(store.injected.fail).toBe(3);
    await expect(w.append(batchOf(30))).rejects.toBeInstanceOf(WriterPoisonedError);
    expect(await entryPositions(store)).toEqual([1n]);
    const again = await ShardWriter.open(store, BASE, SHARD, quiet);
    expect(again.replayed.rows).toBe(3); // the acknowledged batch survived
    await again.close();
  });

  it("lost acknowledgements while opening (manifest claim, sentinel) are resolved by reading back", async () => {
    const store = new FaultyStore(new MemoryStore());
    const first = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, pipelineDepth: 1, ...quiet });
    await appendAll(first, [1]);
    first.abandon();
    store.loseNextAcks(1, /\/manifest\/[01]+\.binpb$/);
    store.loseNextAcks(1, /\/wal\//);
    const w = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, pipelineDepth: 1, ...quiet });
    expect(store.injected.lostAck).toBe(2);
    expect(w.epoch).toBe(2n); // our own claim, not a "peer" that won
    expect(w.replayed.rows).toBe(3);
    await appendAll(w, [4]);
    await w.close();
    expect(await entryPositions(store)).toEqual([1n, 2n, 3n]); // entry, one sentinel, entry: nothing doubled
  });

  it("a lost acknowledgement is resolved by reading back, without a duplicate", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, ...quiet });
    store.loseNextAcks(1, /\/wal\//);
    await appendAll(w, [1]);
    await appendAll(w, [4]);
    expect(store.injected.lostAck).toBe(1);
    expect(await entryPositions(store)).toEqual([1n, 2n]);
    await w.close();
    expect(await replayedIds(store)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("an entry of our own epoch that we did not write is never taken for ours", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, flushIntervalMs: 60_000, pipelineDepth: 1, ...quiet });
    await appendAll(w, [1]);
    // Someone forges an entry at our next position, stamped with our epoch; our write then times out.
    const paths = new ShardPaths(BASE, SHARD);
    await store.put(paths.entryKey(2n), encodeWalEntry([batchOf(999)], { writerEpoch: w.epoch }), { mode: { kind: "create" } });
    store.failNextPuts(1, /\/wal\//);
    const err = await (await w.append(batchOf(10))).wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriterPoisonedError);
    expect((err as Error).message).toMatch(/did not write/);
  });

  it("a peer's entry at our position after an ambiguous write is a fence, not ours", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w1 = await ShardWriter.open(store, BASE, SHARD, { retry: { retries: 3, baseDelayMs: 1 }, flushIntervalMs: 60_000, ...quiet });
    await appendAll(w1, [1]);
    // w1's next write fails; before it retries, a new writer fences and takes the position.
    store.addRule({ kind: "delay", delayMs: 50, times: 1, keys: /\/wal\// });
    const pending = (await w1.append(batchOf(10))).wait().catch((e: unknown) => e);
    const w2 = await ShardWriter.open(store, BASE, SHARD, quiet);
    expect(await pending).toBeInstanceOf(WriterFencedError);
    await w2.close();
  });
});

describe("ShardWriter: flush policy", () => {
  it("flushes on the interval with data pending and nobody waiting", async () => {
    const store = new MemoryStore();
    const w = await ShardWriter.open(store, BASE, SHARD, { flushIntervalMs: 20, ...quiet });
    const watcher = await w.append(batchOf(1));
    for (let i = 0; i < 200 && !watcher.isDurable(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(watcher.isDurable()).toBe(true);
    await w.close();
  });

  it("flushes when buffered bytes reach the size threshold", async () => {
    const store = new MemoryStore();
    const w = await ShardWriter.open(store, BASE, SHARD, { flushIntervalMs: 3_600_000, flushBytes: 1, ...quiet });
    const watcher = await w.append(batchOf(1));
    for (let i = 0; i < 200 && !watcher.isDurable(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(watcher.isDurable()).toBe(true);
    await w.close();
  });

  it("flushes at once when a producer asks for durability on an idle writer", async () => {
    const store = new MemoryStore();
    const w = await ShardWriter.open(store, BASE, SHARD, { flushIntervalMs: 3_600_000, ...quiet });
    const watcher = await w.append(batchOf(1));
    await new Promise((r) => setTimeout(r, 30));
    expect(watcher.isDurable()).toBe(false); // nothing flushed without a reason
    await watcher.wait(); // would take an hour if it waited for the tick
    expect(watcher.isDurable()).toBe(true);
    await w.close();
  });

  it("applies backpressure when the batch store is full instead of growing", async () => {
    const store = new FaultyStore(new MemoryStore());
    const w = await ShardWriter.open(store, BASE, SHARD, { maxBufferedBatches: 4, flushIntervalMs: 5, ...quiet });
    store.addRule({ kind: "delay", delayMs: 20, keys: /\/wal\// });
    const watchers = [];
    for (let i = 0; i < 40; i++) watchers.push(await w.append(batchOf(i * 3)));
    await Promise.all(watchers.map((x) => x.wait()));
    await w.close();
    expect((await replayedIds(store)).length).toBe(120);
  });
});

describe("ShardWriter: checkpoint and gc", () => {
  it("checkpoint never passes the tip; gc keeps the tip and anything above replay_after", async () => {
    const store = new MemoryStore();
    const quiet = { onWarning: () => undefined, pipelineDepth: 1 };
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    await appendAll(w1, [4]);
    await appendAll(w1, [7]);
    const tip = w1.durableTip;
    expect(tip).toBe(3n);
    await expect(w1.commitReplayAfter(tip + 1n)).rejects.toBeInstanceOf(InvalidArgumentError);
    await w1.commitReplayAfter(2n);
    await expect(w1.commitReplayAfter(1n)).rejects.toThrow(/replay_after is already 2/);
    expect(await w1.gc()).toEqual([1n, 2n]);
    await w1.commitReplayAfter(3n);
    expect(await w1.gc()).toEqual([]); // 3 is the tip: kept
    w1.abandon();
    const w2 = await ShardWriter.open(store, BASE, SHARD, quiet); // sentinel at 4
    expect(w2.replayed.entries).toBe(0);
    await appendAll(w2, [10]);
    expect(await entryPositions(store)).toEqual([3n, 4n, 5n]);
    // 3 is at replay_after and no longer the tip; the sentinel 4 and entry 5 are above replay_after.
    expect(await w2.gc()).toEqual([3n]);
    await w2.commitReplayAfter(5n);
    expect(await w2.gc()).toEqual([]); // 4 is a sentinel and 5 the tip: both kept
    await w2.close();
    expect(await entryPositions(store)).toEqual([4n, 5n]);
    const w3 = await ShardWriter.open(store, BASE, SHARD, quiet);
    expect(w3.replayed.entries).toBe(0);
    expect(w3.durableTip).toBe(6n); // found the tip at the remaining entry 5; its sentinel went to 6
    await w3.close();
  });

  it("gc keeps every sentinel: an idle fenced writer still collides after a checkpoint", async () => {
    const store = new MemoryStore();
    const zombie = await ShardWriter.open(store, BASE, SHARD, { ...quiet, pipelineDepth: 1 }); // will write next at 1
    const w2 = await ShardWriter.open(store, BASE, SHARD, { ...quiet, pipelineDepth: 1 }); // sentinel at 1
    await appendAll(w2, [10]);
    await appendAll(w2, [20]);
    await w2.commitReplayAfter(w2.durableTip);
    expect(await w2.gc()).toEqual([2n]); // the entry at 2 goes; the sentinel at 1 stays
    const err = await (await zombie.append(batchOf(99))).wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriterFencedError);
    await w2.close();
  });

  it("a fenced writer cannot commit a checkpoint", async () => {
    const store = new MemoryStore();
    const w1 = await ShardWriter.open(store, BASE, SHARD, quiet);
    await appendAll(w1, [1]);
    await ShardWriter.open(store, BASE, SHARD, quiet);
    await expect(w1.commitReplayAfter(1n)).rejects.toBeInstanceOf(WriterFencedError);
  });
});

describe("shard manifest", () => {
  it("keeps unknown fields when read and written back", async () => {
    const store = new MemoryStore();
    const paths = new ShardPaths(BASE, SHARD);
    await ShardWriter.open(store, BASE, SHARD, quiet).then((w) => w.close());
    const key = paths.manifestKey(1n);
    const original = (await store.get(key)).bytes;
    // Field 99, varint 42: a field this library does not know.
    const withUnknown = new Uint8Array([...original, 0x98, 0x06, 42]);
    await store.put(key, withUnknown, { mode: { kind: "overwrite" } });
    const w = await ShardWriter.open(store, BASE, SHARD, quiet);
    await w.close();
    const rewritten = (await store.get(paths.manifestKey(2n))).bytes;
    const tail = Array.from(rewritten.slice(-3));
    expect(tail).toEqual([0x98, 0x06, 42]);
    expect(decodeManifest(rewritten, "k").writerEpoch).toBe(2n);
  });

  it("keeps Lance's own fields from the fixture manifest", async () => {
    const store = new MemoryStore();
    await loadTree(store, FIXTURE_DIR);
    const w = await ShardWriter.open(store, "", SHARD, quiet);
    await w.close();
    const paths = new ShardPaths("", SHARD);
    const m = decodeManifest((await store.get(paths.manifestKey(5n))).bytes, "k");
    expect(m.writerEpoch).toBe(3n);
    expect(m.replayAfterWalEntryPosition).toBe(3n);
    expect(m.flushedGenerations.map((g) => g.path)).toEqual(["32c7534b_gen_1"]);
    expect(m.shardSpecId).toBe(1);
    expect(Buffer.from(m.shardId!.uuid).toString("hex")).toBe(SHARD.replace(/-/g, ""));
    expect(encodeManifest(m).length).toBeGreaterThan(0);
  });

  it("copes with a stale, missing or corrupt hint", async () => {
    for (const hint of ["stale", "missing", "corrupt", "too-high"] as const) {
      const store = new MemoryStore();
      const paths = new ShardPaths(BASE, SHARD);
      for (let i = 0; i < 3; i++) await ShardWriter.open(store, BASE, SHARD, quiet).then((w) => w.close());
      const warnings: string[] = [];
      if (hint === "stale") await store.put(paths.versionHintKey, new TextEncoder().encode('{"version":1}'), { mode: { kind: "overwrite" } });
      if (hint === "missing") await store.delete(paths.versionHintKey);
      if (hint === "corrupt") await store.put(paths.versionHintKey, new TextEncoder().encode("{not json"), { mode: { kind: "overwrite" } });
      if (hint === "too-high") await store.put(paths.versionHintKey, new TextEncoder().encode('{"version":99}'), { mode: { kind: "overwrite" } });
      const w = await ShardWriter.open(store, BASE, SHARD, { onWarning: (m) => void warnings.push(m) });
      expect(w.epoch, hint).toBe(4n);
      await w.close();
      if (hint === "corrupt") expect(warnings.join()).toMatch(/corrupt manifest hint/);
    }
  });
});

describe("ShardReader", () => {
  it("tails a shard without claiming it", async () => {
    const store = new MemoryStore();
    const w = await ShardWriter.open(store, BASE, SHARD, quiet);
    const reader = new ShardReader(store, BASE, SHARD);
    const ac = new AbortController();
    const got: number[] = [];
    const following = (async () => {
      for await (const e of reader.follow({ pollIntervalMs: 5, signal: ac.signal })) {
        got.push(...idsOf(e.batches));
        if (got.length >= 6) ac.abort();
      }
    })();
    await appendAll(w, [1]);
    await appendAll(w, [4]);
    await following;
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    const after1: number[] = [];
    for await (const e of reader.entriesAfter(1n)) after1.push(...idsOf(e.batches));
    expect(after1).toEqual([4, 5, 6]);
    expect((await reader.manifest())!.manifest.writerEpoch).toBe(1n); // the reader claimed nothing
    await appendAll(w, [7]); // and the writer is not fenced
    await w.close();
  });
});
