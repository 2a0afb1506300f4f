/**
 * Crash test: a child process appends to a filesystem store and is killed with SIGKILL at random
 * moments; after each kill the log must hold every batch the child saw acknowledged, exactly once,
 * and nothing twice. CRASH_KILLS sets the number of kills (default 50).
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { replay } from "@wal/core";
import { FsStore } from "../src/index.js";

const CHILD = new URL("./crash-child.mjs", import.meta.url).pathname;

/**
 * Runs the child and kills it `killAfterMs` after it reported ready (its writer is open), or, when
 * `duringOpen`, that long after it started, so some kills land while it opens and replays. Timing
 * from readiness keeps the kills landing among appends however slow the machine is.
 */
function runAndKill(root: string, shardId: string, firstId: number, killAfterMs: number, duringOpen: boolean): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, root, shardId, String(firstId)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    };
    if (duringOpen) arm();
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.startsWith("ready\n")) arm();
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") return reject(new Error(`child exited by itself (code ${code}): ${err}`));
      // Only complete lines count: a line cut by the kill was never fully reported.
      const lines = out.split("\n").slice(0, -1);
      resolve(lines.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4))));
    });
  });
}

describe("crash safety on the filesystem store (SIGKILL)", () => {
  it("every acknowledged batch survives each kill, exactly once", async () => {
    const kills = Number(process.env.CRASH_KILLS ?? 50);
    const root = mkdtempSync(join(tmpdir(), "wal-crash-"));
    const store = new FsStore({ root });
    // A fresh shard every 10 kills keeps each log short: every open replays the whole log.
    let shardId = randomUUID();
    let acked = new Set<number>();
    let nextId = 0;
    let totalAcked = 0;
    for (let k = 0; k < kills; k++) {
      if (k > 0 && k % 10 === 0) {
        shardId = randomUUID();
        acked = new Set<number>();
      }
      const duringOpen = k % 5 === 4; // one kill in five lands while the child opens and replays
      const got = await runAndKill(root, shardId, nextId, Math.floor(Math.random() * (duringOpen ? 250 : 120)), duringOpen);
      for (const id of got) acked.add(id);
      totalAcked += got.length;
      nextId += 100_000; // each child its own id range
      const seen = new Map<number, number>();
      for await (const entry of replay(store, "", shardId)) {
        for (const b of entry.batches) for (const id of b.getChild("id")!.toArray() as Int32Array) seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      for (const [id, n] of seen) expect(n, `batch ${id} appears ${n} times after kill ${k + 1}`).toBe(1);
      for (const id of acked) expect(seen.has(id), `acknowledged batch ${id} lost after kill ${k + 1}`).toBe(true);
    }
    // The kills must have landed while work was acknowledged, or the test proved nothing.
    expect(totalAcked).toBeGreaterThan(kills);
    rmSync(root, { recursive: true, force: true });
  }, 600_000);
});
