#!/usr/bin/env node
// Sums the vitest JSON reports of every package into one closing line, "N passed, N failed",
// and prints per-file and per-backend counts so a skipped backend cannot hide.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const reports = [];
const missing = [];
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkg = join(dir, name, "package.json");
    if (!existsSync(pkg) || !JSON.parse(readFileSync(pkg, "utf8")).scripts?.test) continue;
    const file = join(dir, name, "reports", "vitest.json");
    // A package whose tests never reported (a crashed run, a failed global setup) counts as failed.
    if (existsSync(file)) reports.push(file);
    else missing.push(relative(root, join(dir, name)));
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const byBackend = new Map();
for (const file of reports) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  const p = r.numPassedTests ?? 0;
  // Suites that failed to load count as failures even when they hold no test results.
  const f = (r.numFailedTests ?? 0) + (r.testResults ?? []).filter((t) => t.status === "failed" && (t.assertionResults ?? []).length === 0).length;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  passed += p;
  failed += f;
  skipped += s;
  console.log(`${relative(root, file)}: ${p} passed, ${f} failed, ${s} skipped`);
  for (const t of r.testResults ?? []) {
    for (const a of t.assertionResults ?? []) {
      const m = /^(\S+) object store conformance$/.exec(a.ancestorTitles?.[0] ?? "");
      if (!m) continue;
      const c = byBackend.get(m[1]) ?? { passed: 0, failed: 0, skipped: 0 };
      if (a.status === "passed") c.passed++;
      else if (a.status === "failed") c.failed++;
      else c.skipped++;
      byBackend.set(m[1], c);
    }
  }
}
for (const [name, c] of byBackend) console.log(`conformance ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
for (const m of missing) {
  console.log(`${m}: no test report (its tests did not run to the end): counted as 1 failed`);
  failed += 1;
}
// In CI every backend must have run: one that was skipped or never reported is a failure.
if (process.env.CI === "true" || process.env.CI === "1") {
  for (const name of ["memory", "fs", "s3", "gcs", "azure"]) {
    const c = byBackend.get(name);
    if (!c || c.passed === 0 || c.skipped > 0) {
      console.log(`conformance ${name}: did not run in full in CI: counted as 1 failed`);
      failed += 1;
    }
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
