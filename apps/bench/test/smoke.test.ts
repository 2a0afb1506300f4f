import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBenchmarks, SCENARIOS } from "../src/run.js";
import type { ScenarioResult } from "../src/report.js";

// Speed targets are never asserted here: this only keeps every scenario running and well-formed.
describe("benchmarks in smoke mode", () => {
  it("run every scenario and save well-formed results", async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), "wal-bench-results-"));
    const lines: string[] = [];
    const results = await runBenchmarks({ smoke: true, resultsDir, log: (l) => lines.push(l) });

    expect(results.map((r) => r.scenario)).toEqual(SCENARIOS.map(([name]) => name));
    for (const r of results) {
      expect(r.smoke).toBe(true);
      expect(r.rows.length, r.scenario).toBeGreaterThan(0);
      expect(r.ratios.length, r.scenario).toBeGreaterThan(0);
      for (const row of r.rows) {
        expect(Object.keys(row).sort(), r.scenario).toEqual([...r.columns].sort());
        for (const [column, cell] of Object.entries(row)) {
          if (typeof cell === "number") {
            expect(Number.isFinite(cell), `${r.scenario} ${column}`).toBe(true);
            // Zero is possible in smoke mode (a memory sample taken after a GC of tiny buffers).
            expect(cell, `${r.scenario} ${column}`).toBeGreaterThanOrEqual(0);
          } else {
            expect(cell.length, `${r.scenario} ${column}`).toBeGreaterThan(0);
          }
        }
      }
      for (const ratio of r.ratios) {
        expect(Number.isFinite(ratio.value), `${r.scenario} ${ratio.name}`).toBe(true);
        expect(ratio.value, `${r.scenario} ${ratio.name}`).toBeGreaterThanOrEqual(0);
        if (ratio.target !== undefined) expect(typeof ratio.met).toBe("boolean");
      }
      const saved = JSON.parse(readFileSync(join(resultsDir, `${r.scenario}.json`), "utf8")) as ScenarioResult;
      expect(saved.rows).toEqual(JSON.parse(JSON.stringify(r.rows)));
    }
    const latest = JSON.parse(readFileSync(join(resultsDir, "latest.json"), "utf8")) as { smoke: boolean; scenarios: ScenarioResult[] };
    expect(latest.smoke).toBe(true);
    expect(latest.scenarios.map((s) => s.scenario)).toEqual(results.map((r) => r.scenario));
    expect(existsSync(join(resultsDir, "k-sweep.svg"))).toBe(true);
    const svg = readFileSync(join(resultsDir, "k-sweep.svg"), "utf8");
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(lines.join("\n")).toContain("== 1. Filesystem store");
  }, 120_000);
});
