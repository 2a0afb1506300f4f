/** Runs the benchmark scenarios in order and saves their results. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchContext } from "./context.js";
import { renderScenario, saveResults, type ScenarioResult } from "./report.js";
import { encoding } from "./scenarios/encoding.js";
import { fsThroughput } from "./scenarios/fs-throughput.js";
import { kSweep } from "./scenarios/k-sweep.js";
import { lanceComparison } from "./scenarios/lance.js";
import { memoryPerBufferedMb } from "./scenarios/memory.js";
import { replayThroughput } from "./scenarios/replay.js";
import { kSweepSvg } from "./svg.js";

export const SCENARIOS: ReadonlyArray<readonly [string, (ctx: BenchContext) => Promise<ScenarioResult>]> = [
  ["fs-throughput", fsThroughput],
  ["k-sweep", kSweep],
  ["lance", lanceComparison],
  ["encoding", encoding],
  ["replay", replayThroughput],
  ["memory", memoryPerBufferedMb],
];

export interface RunOptions {
  readonly smoke: boolean;
  /** Where `<scenario>.json`, `latest.json` and `k-sweep.svg` go. */
  readonly resultsDir: string;
  /** Scenario names to run (default: all). */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
  /** Parent of the scratch directory (default: the OS temporary directory). */
  readonly scratchParent?: string;
}

/**
 * Runs the selected scenarios one after another (never concurrently: they would measure each other),
 * printing each table as it completes.
 * @throws the first scenario error (a failed write, a replay that lost entries); nothing is hidden.
 */
export async function runBenchmarks(options: RunOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const unknown = (options.only ?? []).filter((n) => !SCENARIOS.some(([name]) => name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map(([n]) => n).join(", ")}`);
  const selected = SCENARIOS.filter(([name]) => !options.only || options.only.length === 0 || options.only.includes(name));
  const scratch = mkdtempSync(join(options.scratchParent ?? tmpdir(), "wal-bench-"));
  const results: ScenarioResult[] = [];
  const started = new Date();
  try {
    for (const [name, run] of selected) {
      log(`running ${name}${options.smoke ? " (smoke)" : ""} ...`);
      const result = await run({ smoke: options.smoke, scratch: join(scratch, name), log });
      results.push(result);
      log(renderScenario(result));
      log("");
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  saveResults(options.resultsDir, results, {
    startedAt: started.toISOString(),
    smoke: options.smoke,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
  });
  const sweep = results.find((r) => r.scenario === "k-sweep");
  if (sweep) writeFileSync(join(options.resultsDir, "k-sweep.svg"), kSweepSvg(sweep));
  return results;
}
