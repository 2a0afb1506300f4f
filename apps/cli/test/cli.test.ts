import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDemo, runDump, runInspect, runVerify } from "../src/index.js";

const LANCE_SHARD = new URL(
  "../../../packages/core/test/fixtures/lance-8.0.0-basic/_mem_wal/aa48498d-ac91-59e2-8452-69f46010ace2",
  import.meta.url,
).pathname;
const BIN = new URL("../bin/wal.mjs", import.meta.url).pathname;

describe("wal demo", () => {
  it("appends, replays and checks every row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wal-cli-"));
    const lines: string[] = [];
    const r = await runDemo({ dir, batches: 300, rowsPerBatch: 7, producers: 4, log: (l) => void lines.push(l) });
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.rows).toBe(2100);
    expect(r.replayedRows).toBe(2100);
    expect(r.entries).toBeGreaterThan(0);
    expect(r.entries).toBeLessThanOrEqual(300);
    expect(lines.join("\n")).toMatch(/OK: all 2100 rows replayed exactly once, in order/);
    // The demo's own shard is then readable by `wal inspect`.
    const shards = await runInspect(dir, () => undefined);
    expect(shards).toHaveLength(1);
    const entries = shards[0]!.entries;
    expect(entries.filter((e) => e.kind === "entry").reduce((n, e) => n + e.rows, 0)).toBe(2100);
    const sentinels = entries.filter((e) => e.kind === "sentinel");
    expect(sentinels.length).toBeGreaterThanOrEqual(1); // written by the replaying writer (its fence, plus one per position the previous pipeline could reach)
    for (const s of sentinels) expect(s.epoch).toBe(2n);
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs as the `wal` binary and exits 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "wal-cli-"));
    const out = execFileSync(process.execPath, [BIN, "demo", "--dir", dir, "--batches", "100", "--rows", "3"], { encoding: "utf8" });
    expect(out).toMatch(/OK: all 300 rows replayed exactly once, in order/);
    expect(out).toMatch(/p50 [0-9.]+ ms, p99 [0-9.]+ ms/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses bad arguments with a usage error", () => {
    const r = spawnSync(process.execPath, [BIN, "demo", "--batches", "0"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--batches must be a positive integer/);
    const unknown = spawnSync(process.execPath, [BIN, "demo", "--bogus"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/bogus/);
  });
});

describe("wal inspect", () => {
  it("lists every entry of a shard Lance 8.0.0 wrote, with positions and epochs", async () => {
    const lines: string[] = [];
    const [shard] = await runInspect(LANCE_SHARD, (l) => void lines.push(l));
    expect(shard!.entries.map((e) => [e.position, e.epoch, e.kind, e.rows])).toEqual([
      [1n, 1n, "entry", 20],
      [2n, 1n, "entry", 20],
      [3n, 1n, "entry", 20],
      [4n, 2n, "sentinel", 0],
      [5n, 2n, "entry", 5],
      [6n, 2n, "entry", 5],
    ]);
    expect(shard!.manifest).toEqual({ version: 4n, writerEpoch: 2n, replayAfter: 3n, lastSeen: 4n });
    expect(lines.join("\n")).toMatch(/6 entries, 70 rows/);
  });

  it("accepts the wal/ folder or the dataset root, and reports a corrupt entry without stopping", async () => {
    const root = mkdtempSync(join(tmpdir(), "wal-inspect-"));
    const shardDir = join(root, "_mem_wal", "aa48498d-ac91-59e2-8452-69f46010ace2");
    cpSync(LANCE_SHARD, shardDir, { recursive: true });
    const walDir = join(shardDir, "wal");
    const victim = readdirSync(walDir).find((n) => n.startsWith("0110"))!; // position 6
    writeFileSync(join(walDir, victim), "garbage");
    writeFileSync(join(walDir, `${victim}.tmp.123`), "a temp file is not an entry");
    const [viaRoot] = await runInspect(root, () => undefined);
    const [viaWal] = await runInspect(walDir, () => undefined);
    for (const shard of [viaRoot!, viaWal!]) {
      expect(shard.entries.map((e) => e.position)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
      expect(shard.entries[5]!.kind).toBe("corrupt");
      expect(shard.entries[5]!.problem).toMatch(/truncated/);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("marks orphans: entries behind a newer epoch's sentinel, which replay skips", async () => {
    const root = mkdtempSync(join(tmpdir(), "wal-inspect-"));
    const shardDir = join(root, "_mem_wal", "aa48498d-ac91-59e2-8452-69f46010ace2");
    cpSync(LANCE_SHARD, shardDir, { recursive: true });
    // An epoch-1 entry written after the epoch-2 sentinel at position 4, as a fenced pipelined writer leaves one.
    const walDir = join(shardDir, "wal");
    const epoch1 = readdirSync(walDir).find((n) => n.startsWith("1000"))!; // position 1, epoch 1
    cpSync(join(walDir, epoch1), join(walDir, `111${"0".repeat(61)}.arrow`)); // position 7
    const [shard] = await runInspect(root, () => undefined);
    expect(shard!.entries.map((e) => `${e.position}:${e.kind}`)).toEqual(["1:entry", "2:entry", "3:entry", "4:sentinel", "5:entry", "6:entry", "7:orphan"]);
    rmSync(root, { recursive: true, force: true });
  });

  it("fails with a clear message when the path holds no shard", () => {
    const r = spawnSync(process.execPath, [BIN, "inspect", tmpdir()], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no MemWAL shard under/);
  });
});

describe("wal verify and wal dump", () => {
  it("verify reports what replay of the Lance shard would see", async () => {
    const lines: string[] = [];
    const [r] = await runVerify(LANCE_SHARD, (l) => void lines.push(l));
    expect(r).toMatchObject({ replayAfter: 3n, tip: 6n, entries: 2, rows: 10, sentinels: 1, orphans: 0, beyondGap: [], corrupt: [] });
    expect(lines.join("\n")).toMatch(/OK/);
  });

  it("verify fails on a corrupt entry and reports entries beyond a gap", () => {
    const root = mkdtempSync(join(tmpdir(), "wal-verify-"));
    const shardDir = join(root, "_mem_wal", "aa48498d-ac91-59e2-8452-69f46010ace2");
    cpSync(LANCE_SHARD, shardDir, { recursive: true });
    const walDir = join(shardDir, "wal");
    writeFileSync(join(walDir, readdirSync(walDir).find((n) => n.startsWith("101"))!), "garbage"); // position 5
    rmSync(join(walDir, readdirSync(walDir).find((n) => n.startsWith("0110"))!)); // position 6: now a gap
    writeFileSync(join(walDir, `111${"0".repeat(61)}.arrow`), "x"); // position 7, beyond the gap
    const r = spawnSync(process.execPath, [BIN, "verify", root], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/CORRUPT position 5/);
    expect(r.stdout).toMatch(/1 entries lie beyond the first gap and are never replayed: 7/);
    rmSync(root, { recursive: true, force: true });
  });

  it("dump prints the replayed rows as JSON lines", async () => {
    const lines: string[] = [];
    const n = await runDump(LANCE_SHARD, { after: 3n }, (l) => void lines.push(l));
    expect(n).toBe(10);
    const rows = lines.map((l) => JSON.parse(l) as { position: string; epoch: string; row: { id: string } });
    expect(rows.map((r) => r.row.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(700 + i)));
    expect(rows[0]!.position).toBe("5");
    expect(rows[0]!.epoch).toBe("2");
    const limited = spawnSync(process.execPath, [BIN, "dump", LANCE_SHARD, "--after", "3", "--limit", "2"], { encoding: "utf8" });
    expect(limited.status).toBe(0);
    expect(limited.stdout.trim().split("\n")).toHaveLength(2);
  });
});
