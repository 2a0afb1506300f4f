#!/usr/bin/env node
/**
 * `pnpm bench`: runs every scenario, prints a table for each and saves `results/<scenario>.json`,
 * `results/latest.json` and `results/k-sweep.svg`.
 *
 * Environment: BENCH_SMOKE=1 for tiny sizes (seconds in all); BENCH_ONLY=a,b to run some scenarios;
 * BENCH_RESULTS=<dir> to save elsewhere (default: this package's `results/`, not committed; the snapshot
 * quoted in BENCHMARKS.md lives in docs/benchmarks/, written by `pnpm bench:snapshot`).
 */
import { fileURLToPath } from "node:url";
import { runBenchmarks } from "./run.js";

const smoke = process.env.BENCH_SMOKE === "1";
const only = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
const resultsDir = process.env.BENCH_RESULTS ?? fileURLToPath(new URL("../results/", import.meta.url));

runBenchmarks({ smoke, only, resultsDir }).then(
  (results) => console.log(`${results.length} scenario(s) done; results in ${resultsDir}`),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
