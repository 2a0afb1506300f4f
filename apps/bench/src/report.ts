/** Scenario results: the shape saved as JSON and the plain-text table printed for each scenario. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Cell = number | string;

/** A comparison measured side by side in the same run. */
export interface Ratio {
  readonly name: string;
  /** numerator / denominator. */
  readonly value: number;
  /** The goal, in words (e.g. ">= 0.85"); absent when there is none. */
  readonly target?: string;
  /** Whether the goal was reached (informational: targets are never asserted). */
  readonly met?: boolean;
}

export interface ScenarioResult {
  /** File name stem: `results/<scenario>.json`. */
  readonly scenario: string;
  readonly title: string;
  readonly smoke: boolean;
  /** Column names, in display order; every row has a cell for each. */
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<Readonly<Record<string, Cell>>>;
  readonly ratios: readonly Ratio[];
  /** What was measured and how, in a sentence or two each. */
  readonly notes: readonly string[];
  /** Wall-clock seconds the scenario took, setup included. */
  readonly seconds: number;
}

export function ratio(name: string, numerator: number, denominator: number, target?: { atLeast?: number; atMost?: number }): Ratio {
  const value = numerator / denominator;
  if (target?.atLeast !== undefined) return { name, value, target: `>= ${target.atLeast}`, met: value >= target.atLeast };
  if (target?.atMost !== undefined) return { name, value, target: `<= ${target.atMost}`, met: value <= target.atMost };
  return { name, value };
}

export function formatCell(cell: Cell | undefined): string {
  if (cell === undefined) return "";
  if (typeof cell === "string") return cell;
  if (!Number.isFinite(cell)) return String(cell);
  const abs = Math.abs(cell);
  if (Number.isInteger(cell) && abs < 1e7) return String(cell);
  if (abs >= 100) return cell.toFixed(0);
  if (abs >= 10) return cell.toFixed(1);
  return cell.toFixed(2);
}

/** A fixed-width text table: first column left-aligned, the rest right-aligned. */
export function textTable(columns: readonly string[], rows: ReadonlyArray<Readonly<Record<string, Cell>>>): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** The same table in Markdown, for BENCHMARKS.md. */
export function markdownTable(columns: readonly string[], rows: ReadonlyArray<Readonly<Record<string, Cell>>>): string {
  const head = `| ${columns.join(" | ")} |`;
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number"));
  const rule = `|${columns.map((_, i) => (numeric[i] ? "---:" : "---")).join("|")}|`;
  const body = rows.map((r) => `| ${columns.map((c) => formatCell(r[c])).join(" | ")} |`);
  return [head, rule, ...body].join("\n");
}

export function formatRatios(ratios: readonly Ratio[]): string {
  return ratios
    .map((r) => {
      const goal = r.target === undefined ? "" : `  (target ${r.target}: ${r.met ? "met" : "NOT met"})`;
      return `  ratio ${r.name}: ${r.value.toFixed(2)}${goal}`;
    })
    .join("\n");
}

export function renderScenario(result: ScenarioResult): string {
  const parts = [`== ${result.title}${result.smoke ? " [smoke]" : ""} (${result.seconds.toFixed(1)} s)`, textTable(result.columns, result.rows)];
  if (result.ratios.length > 0) parts.push(formatRatios(result.ratios));
  for (const note of result.notes) parts.push(`  note: ${note}`);
  return parts.join("\n");
}

/**
 * Writes `<dir>/<scenario>.json` for each result and `<dir>/latest.json` with all of them.
 * @throws the file system's error when the directory cannot be written.
 */
export function saveResults(dir: string, results: readonly ScenarioResult[], meta: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  for (const r of results) writeFileSync(join(dir, `${r.scenario}.json`), JSON.stringify(r, null, 2) + "\n");
  writeFileSync(join(dir, "latest.json"), JSON.stringify({ ...meta, scenarios: results }, null, 2) + "\n");
  writeFileSync(join(dir, "latest.md"), renderMarkdown(results, meta));
}

/** Every scenario's table and ratios in Markdown: the "Latest figures" section of BENCHMARKS.md. */
export function renderMarkdown(results: readonly ScenarioResult[], meta: Record<string, unknown>): string {
  const parts = [`<!-- ${Object.entries(meta).map(([k, v]) => `${k} ${String(v)}`).join(", ")} -->`];
  for (const r of results) {
    parts.push(`### ${r.title}${r.smoke ? " [smoke]" : ""}`, markdownTable(r.columns, r.rows));
    const ratios = r.ratios.map((x) => {
      const goal = x.target === undefined ? "" : ` (target ${x.target}: ${x.met ? "met" : "not met"})`;
      return `- ${x.name}: **${x.value.toFixed(2)}**${goal}`;
    });
    if (ratios.length > 0) parts.push(ratios.join("\n"));
  }
  return parts.join("\n\n") + "\n";
}
