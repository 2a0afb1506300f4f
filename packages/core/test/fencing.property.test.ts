/**
 * Property: over random schedules of writers (pipeline depth K = 1..4) opening, crashing, appending
 * and checkpointing (with garbage collection) on a store that fails, delays and loses
 * acknowledgements, everything ever made durable (what checkpoints covered, then what a final reopen
 * replays) holds exactly the acknowledged batches, each once, in acknowledgement order, plus possibly
 * batches whose outcome was an error; per writer a prefix of what it appended, in order; never a
 * batch appended by a writer after it saw itself fenced; and no waiter hangs.
 *
 * Runs: FC_RUNS (default 500), schedules of up to FC_MAX_COMMANDS commands (default 30). Reproduce a failure with FC_SEED=<seed> FC_PATH=<path> from its report.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MemoryStore, ShardReader, ShardWriter, WriterFencedError, replay } from "../src/index.js";
import { FaultyStore } from "../src/testing/index.js";
import { batchOf, idsOf, SHARD } from "./helpers.js";

type Command =
  | { op: "open"; slot: number; depth: number }
  | { op: "crash"; slot: number }
  | { op: "append"; slot: number; count: number }
  | { op: "fault"; kind: "fail" | "lostAck"; times: number; manifest: boolean }
  | { op: "flaky"; probability: number }
  | { op: "settle"; ms: number }
  | { op: "slow"; times: number; ms: number }
  | { op: "checkpoint"; slot: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant("open" as const), slot: fc.integer({ min: 0, max: 2 }), depth: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("crash" as const), slot: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("append" as const), slot: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 1, max: 4 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("fault" as const),
      kind: fc.constantFrom("fail" as const, "lostAck" as const),
      times: fc.integer({ min: 1, max: 5 }),
      // Faults on manifest versions make claims and checkpoints ambiguous too.
      manifest: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("flaky" as const), probability: fc.double({ min: 0, max: 0.5, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("settle" as const), ms: fc.integer({ min: 0, max: 3 }) }) },
  // A checkpoint at the writer's durable tip, then garbage collection.
  { weight: 1, arbitrary: fc.record({ op: fc.constant("checkpoint" as const), slot: fc.integer({ min: 0, max: 2 }) }) },
  // Delayed puts make pipelined writes complete out of order.
  { weight: 1, arbitrary: fc.record({ op: fc.constant("slow" as const), times: fc.integer({ min: 1, max: 4 }), ms: fc.integer({ min: 1, max: 4 }) }) },
);

interface Attempt {
  id: number;
  instance: number;
  outcome: "pending" | "acked" | "error";
  /** Event order: when append was called and when its acknowledgement arrived. */
  appendSeq: number;
  ackSeq?: number;
}

async function runSchedule(commands: Command[], seed: number): Promise<void> {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const store = new FaultyStore(new MemoryStore(), { random });
  const slots: Array<{ writer: ShardWriter; instance: number } | undefined> = [];
  const attempts = new Map<number, Attempt>();
  // instance -> the first batch id appended after that writer saw itself fenced
  const fencedAt = new Map<number, number>();
  const settles: Promise<unknown>[] = [];
  // What each checkpoint attempt covered, by log position, read before it tried to commit. A
  // checkpoint that reported an error may still have landed (a lost acknowledgement), so which
  // positions were checkpointed is decided at the end from the final manifest's replay_after.
  const coveredByPosition = new Map<bigint, number[]>();
  let nextId = 1;
  let instances = 0;
  let eventSeq = 0;
  const options = { retry: { retries: 2, baseDelayMs: 0.2 }, flushIntervalMs: 1, onWarning: () => undefined };

  for (const c of commands) {
    switch (c.op) {
      case "open": {
        const previous = slots[c.slot];
        if (previous) previous.writer.abandon();
        slots[c.slot] = undefined;
        try {
          const writer = await ShardWriter.open(store, "t", SHARD, { ...options, pipelineDepth: c.depth });
          slots[c.slot] = { writer, instance: ++instances };
        } catch {
          // A failed open (injected fault, lost claim race) leaves the slot empty; nothing was acknowledged by it.
        }
        break;
      }
      case "crash":
        slots[c.slot]?.writer.abandon();
        slots[c.slot] = undefined;
        break;
      case "append": {
        const s = slots[c.slot];
        if (!s) break;
        for (let i = 0; i < c.count; i++) {
          const id = nextId++;
          const attempt: Attempt = { id, instance: s.instance, outcome: "pending", appendSeq: eventSeq++ };
          attempts.set(id, attempt);
          const sawFence = fencedAt.has(s.instance);
          try {
            const watcher = await s.writer.append(batchOf(id * 10, 1));
            settles.push(
              watcher.wait().then(
                () => {
                  attempt.outcome = "acked";
                  attempt.ackSeq = eventSeq++;
                  if (sawFence) throw new Error(`batch ${id} acknowledged after its writer saw the fence`);
                },
                (e: unknown) => {
                  attempt.outcome = "error";
                  if (e instanceof WriterFencedError && !fencedAt.has(s.instance)) fencedAt.set(s.instance, nextId);
                },
              ),
            );
          } catch (e) {
            attempt.outcome = "error";
            if (e instanceof WriterFencedError && !fencedAt.has(s.instance)) fencedAt.set(s.instance, id + 1);
          }
        }
        break;
      }
      case "fault":
        store.addRule({ kind: c.kind, times: c.times, keys: c.manifest ? /\/manifest\/[01]{64}\.binpb$/ : /\/wal\// });
        break;
      case "flaky":
        store.addRule({ kind: "fail", probability: c.probability, times: 10, ops: ["put", "get", "head"] });
        break;
      case "checkpoint": {
        const s = slots[c.slot];
        if (!s) break;
        try {
          const before = (await new ShardReader(store, "t", SHARD, () => undefined).manifest())?.manifest.replayAfterWalEntryPosition ?? 0n;
          const tip = s.writer.durableTip;
          if (tip <= before) break;
          // What the checkpoint covers, read before it commits (gc deletes it afterwards).
          for await (const e of replay(store, "t", SHARD, { after: before })) {
            if (e.position > tip) break;
            coveredByPosition.set(e.position, idsOf(e.batches).map((x) => x / 10));
          }
          await s.writer.commitReplayAfter(tip);
        } catch {
          // Fenced, or a fault: the checkpoint may or may not have landed; the final manifest says.
          break;
        }
        // A failed gc deletes less; it never changes what replay must yield.
        await s.writer.gc().catch(() => undefined);
        break;
      }
      case "slow":
        store.addRule({ kind: "delay", times: c.times, delayMs: c.ms, keys: /\/wal\// });
        break;
      case "settle":
        await new Promise((r) => setTimeout(r, c.ms));
        break;
    }
  }

  // Crash everyone, then every waiter must settle: no hangs.
  for (const s of slots) s?.writer.abandon();
  const hung = await Promise.race([
    Promise.all(settles).then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), 5_000)),
  ]);
  expect(hung, "a waiter hung").toBe(false);
  for (const a of attempts.values()) expect(a.outcome, `batch ${a.id}`).not.toBe("pending");

  store.clearRules();
  // Everything ever made durable: what checkpoints covered, then what the final opener replays.
  const replayAfter = (await new ShardReader(store, "t", SHARD, () => undefined).manifest())?.manifest.replayAfterWalEntryPosition ?? 0n;
  // Every position up to replay_after that holds batches was read by some checkpoint attempt.
  const checkpointedPositions = [...coveredByPosition.keys()].filter((p) => p <= replayAfter).sort((a, b) => (a < b ? -1 : 1));
  const logged: number[] = checkpointedPositions.flatMap((p) => coveredByPosition.get(p)!);
  const final = await ShardWriter.open(store, "t", SHARD, { ...options, onReplay: (e) => void logged.push(...idsOf(e.batches).map((x) => x / 10)) });
  await final.close();

  const seen = new Set<number>();
  for (const id of logged) {
    expect(seen.has(id), `batch ${id} replayed twice`).toBe(false);
    seen.add(id);
    const a = attempts.get(id);
    expect(a, `batch ${id} in the log was never appended`).toBeDefined();
    expect(a!.outcome, `batch ${id} in the log but reported ${a!.outcome}`).not.toBe("pending");
    const fence = fencedAt.get(a!.instance);
    if (fence !== undefined) expect(id < fence, `batch ${id} appended after its writer saw the fence`).toBe(true);
  }
  // Per writer instance (ids grow in append order), the logged batches are a prefix of what it appended: nothing beyond a gap.
  const byInstance = new Map<number, number[]>();
  for (const a of [...attempts.values()].sort((x, y) => x.id - y.id)) {
    const list = byInstance.get(a.instance) ?? [];
    list.push(a.id);
    byInstance.set(a.instance, list);
  }
  for (const [instance, ids] of byInstance) {
    const present = ids.map((id) => seen.has(id));
    const firstMissing = present.indexOf(false);
    if (firstMissing >= 0) {
      expect(present.slice(firstMissing).includes(true), `writer ${instance}: a batch after missing batch ${ids[firstMissing]} was replayed`).toBe(false);
    }
  }
  // Acknowledgement order: a batch acknowledged before another was even appended comes first in the
  // log. (Acknowledgements of different writers that overlap in time have no order to keep: a lost
  // acknowledgement may be resolved after a newer writer has acknowledged its own batches.)
  const acked = [...attempts.values()].filter((a) => a.outcome === "acked");
  for (const a of acked) expect(seen.has(a.id), `acknowledged batch ${a.id} lost`).toBe(true);
  const index = new Map(logged.map((id, i) => [id, i]));
  for (const x of acked) {
    for (const y of acked) {
      if (x.ackSeq! < y.appendSeq) {
        expect(index.get(x.id)! < index.get(y.id)!, `batch ${x.id} was acknowledged before ${y.id} was appended, but comes after it`).toBe(true);
      }
    }
  }
  // Per writer, the log keeps append order.
  for (const [instance, ids] of byInstance) {
    const positions = ids.filter((id) => seen.has(id)).map((id) => index.get(id)!);
    expect(positions, `writer ${instance}: batches out of append order`).toEqual([...positions].sort((p, q) => p - q));
  }
}

describe("fencing and recovery (property)", () => {
  it("replay yields exactly the acknowledged batches, once each, in order; no hangs", async () => {
    const runs = Number(process.env.FC_RUNS ?? 500);
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: Number(process.env.FC_MAX_COMMANDS ?? 30) }), fc.integer(), async (cmds, seed) => {
        await runSchedule([{ op: "open", slot: 0, depth: 2 }, ...cmds], seed);
      }),
      {
        numRuns: runs,
        seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined,
        path: process.env.FC_PATH,
        endOnFailure: true,
        verbose: 1,
      },
    );
  }, 600_000);
});
