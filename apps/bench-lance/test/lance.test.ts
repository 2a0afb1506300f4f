import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendWithLance, type LanceRow } from "../src/index.js";

function rows(first: number, n: number): LanceRow[] {
  return Array.from({ length: n }, (_, i) => ({ id: BigInt(first + i), sensor: `s${i % 7}`, reading: i / 3 }));
}

describe("appendWithLance", () => {
  it("writes one MemWAL entry per mergeInsert call into an unsharded shard", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-lance-"));
    const batches = [rows(0, 10), rows(10, 10), rows(20, 10)];
    const result = await appendWithLance({ dir, batches });
    expect(result.latenciesMs).toHaveLength(3);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.walEntries).toBe(3);
    const shards = readdirSync(result.memWalDir);
    expect(shards).toHaveLength(1);
    expect(shards[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("accepts concurrent callers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-lance-"));
    const batches = Array.from({ length: 12 }, (_, b) => rows(b * 5, 5));
    const result = await appendWithLance({ dir, batches, producers: 4 });
    expect(result.latenciesMs).toHaveLength(12);
    expect(result.walEntries).toBeGreaterThanOrEqual(1);
  });
});
