/**
 * The K-sweep chart: two panels side by side, WAL entries/s and p99 time-to-durable against pipeline
 * depth K (log2 axis), one line per producer loop and count (closed loop dashed, think-time loop solid).
 * Plain SVG text, no charting library.
 */
import { DEFAULT_PUT_LATENCY } from "./latency-store.js";
import type { ScenarioResult } from "./report.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Horizontal reference line (e.g. the target), with its label. */
  readonly reference?: { readonly y: number; readonly label: string };
}

export function kSweepSvg(result: ScenarioResult): string {
  const producers = [...new Set(result.rows.map((r) => Number(r.producers)))].sort((a, b) => a - b);
  const loops = [...new Set(result.rows.map((r) => String(r.loop)))];
  const seriesOf = (column: string): Series[] =>
    loops.flatMap((loop) =>
      producers.map((p, i) => ({
        label: `${loop} loop, ${p} producer${p === 1 ? "" : "s"}`,
        color: COLORS[i % COLORS.length]!,
        dashed: loop === "closed",
        points: result.rows
          .filter((r) => Number(r.producers) === p && r.loop === loop)
          .map((r) => [Number(r.K), Number(r[column])] as const)
          .sort((a, b) => a[0] - b[0]),
      })),
    );
  const injectedP99 = Math.max(...result.rows.map((r) => Number(r["injected PUT p99 ms"])));
  const panels: Panel[] = [
    { title: "WAL entries/s vs K", yLabel: "entries/s", series: seriesOf("WAL entries/s") },
    {
      title: "p99 time-to-durable vs K",
      yLabel: "ms",
      series: seriesOf("durable p99 ms"),
      reference: { y: 2 * DEFAULT_PUT_LATENCY.p99Ms, label: "target: 2 x PUT p99" },
    },
  ];
  const width = 920;
  const height = 380;
  const panelWidth = width / 2;
  const body = panels.map((p, i) => panelSvg(p, i * panelWidth, panelWidth, height)).join("\n");
  const subtitle = `LatencyStore: PUT p50 ${DEFAULT_PUT_LATENCY.p50Ms} ms / p99 ${DEFAULT_PUT_LATENCY.p99Ms} ms (measured p99 up to ${injectedP99.toFixed(0)} ms)${result.smoke ? " - SMOKE RUN" : ""}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 30}" viewBox="0 0 ${width} ${height + 30}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    `<text x="${width / 2}" y="${height + 20}" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
    `</svg>`,
    "",
  ].join("\n");
}

function panelSvg(panel: Panel, x0: number, w: number, h: number): string {
  const m = { left: 64, right: 20, top: 36, bottom: 48 };
  const plotW = w - m.left - m.right;
  const plotH = h - m.top - m.bottom;
  const xs = panel.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = panel.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (panel.reference) ys.push(panel.reference.y);
  const xMin = Math.log2(Math.min(...xs));
  const xMax = Math.log2(Math.max(...xs));
  const yMax = niceCeiling(Math.max(...ys, 1) * 1.05);
  const px = (k: number): number => x0 + m.left + (xMax === xMin ? plotW / 2 : ((Math.log2(k) - xMin) / (xMax - xMin)) * plotW);
  const py = (v: number): number => m.top + plotH - (v / yMax) * plotH;
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${x0 + m.left}" x2="${x0 + m.left + plotW}" y1="${py(v)}" y2="${py(v)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x0 + m.left - 6}" y="${py(v) + 4}" text-anchor="end">${formatTick(v)}</text>`);
  }
  for (const k of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(k)}" x2="${px(k)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px(k)}" y="${m.top + plotH + 16}" text-anchor="middle">${k}</text>`);
  }
  out.push(`<rect x="${x0 + m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${x0 + m.left + plotW / 2}" y="${m.top + plotH + 34}" text-anchor="middle">pipeline depth K (entries in flight)</text>`);
  out.push(`<text transform="translate(${x0 + 16},${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`);
  if (panel.reference) {
    const y = py(panel.reference.y);
    out.push(`<line x1="${x0 + m.left}" x2="${x0 + m.left + plotW}" y1="${y}" y2="${y}" stroke="#444" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${x0 + m.left + plotW - 4}" y="${y - 5}" text-anchor="end" fill="#444">${escapeXml(panel.reference.label)}</text>`);
  }
  out.push(`<rect x="${x0 + m.left + 4}" y="${m.top + 2}" width="190" height="${panel.series.length * 16 + 6}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`);
  panel.series.forEach((s, i) => {
    const color = s.color;
    const dash = s.dashed ? ` stroke-dasharray="5 3"` : "";
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = m.top + 14 + i * 16;
    out.push(`<line x1="${x0 + m.left + 10}" x2="${x0 + m.left + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${x0 + m.left + 32}" y="${ly}">${escapeXml(s.label)}</text>`);
  });
  return `<g>\n${out.join("\n")}\n</g>`;
}

function niceCeiling(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

function formatTick(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
