/**
 * Scenario 4: `encodeWalEntry` throughput against the cheapest thing that could produce one buffer
 * from the same data: copying every buffer of the batches' column data into one output buffer.
 */
import type { Data, RecordBatch } from "apache-arrow";
import { encodeWalEntry } from "@wal/core";
import type { BenchContext } from "../context.js";
import { payloadBatch, rowsToBatch, sensorRows } from "../data.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { mbPerSecond, MiB } from "../stats.js";

export async function encoding(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const cases: Array<[string, RecordBatch[]]> = [
    ["32 x 1000-row batches", Array.from({ length: 32 }, (_, i) => rowsToBatch(sensorRows(i * 1000, 1000)))],
    ["8 x 1 MiB binary batches", Array.from({ length: 8 }, (_, i) => payloadBatch(MiB, i))],
  ];
  if (ctx.smoke) cases.forEach((c) => c[1].splice(2));
  const minMs = ctx.smoke ? 30 : 1000;
  const rows: Array<Record<string, number | string>> = [];
  const ratios: Ratio[] = [];
  const stamp = { writerEpoch: 7n };
  for (const [name, batches] of cases) {
    const columnBytes = batches.reduce((n, b) => n + buffersOf(b.data).reduce((m, x) => m + x.byteLength, 0), 0);
    const encodedBytes = encodeWalEntry(batches, stamp).byteLength;
    const encode = timeLoop(minMs, () => encodeWalEntry(batches, stamp).byteLength);
    const copy = timeLoop(minMs, () => copyBuffers(batches).byteLength);
    const encodeMbps = mbPerSecond(columnBytes * encode.iterations, encode.seconds);
    const copyMbps = mbPerSecond(columnBytes * copy.iterations, copy.seconds);
    rows.push({ case: name, method: "encodeWalEntry", "column MiB": columnBytes / MiB, "output MiB": encodedBytes / MiB, iterations: encode.iterations, "MB/s": encodeMbps });
    rows.push({ case: name, method: "plain copy (Uint8Array.set)", "column MiB": columnBytes / MiB, "output MiB": columnBytes / MiB, iterations: copy.iterations, "MB/s": copyMbps });
    ratios.push(ratio(`${name}: encodeWalEntry MB/s / plain copy MB/s`, encodeMbps, copyMbps));
  }
  return {
    scenario: "encoding",
    title: "4. Encoding: encodeWalEntry against a plain copy of the column buffers",
    smoke: ctx.smoke,
    columns: ["case", "method", "column MiB", "output MiB", "iterations", "MB/s"],
    rows,
    ratios,
    notes: [
      "MB/s is column-data bytes in per second for both methods (the encoded entry adds the IPC schema and message headers, and pads buffers to 8 bytes).",
      "The plain copy walks every buffer of every batch (validity, offsets, values, children) and copies it into one freshly allocated buffer, as encoding must at least do.",
      `Each method repeats for at least ${minMs} ms.`,
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

function timeLoop(minMs: number, body: () => number): { iterations: number; seconds: number } {
  body();
  let iterations = 0;
  let sink = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    sink += body();
    iterations++;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  // Keeps the result alive so the work cannot be optimised away.
  if (sink < 0) throw new Error("unreachable");
  return { iterations, seconds: elapsed / 1000 };
}

function buffersOf(data: Data): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (d: Data): void => {
    for (const buffer of [d.nullBitmap, d.valueOffsets, d.values, d.typeIds]) {
      if (buffer && buffer.byteLength > 0) out.push(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    }
    for (const child of d.children) visit(child);
  };
  visit(data);
  return out;
}

function copyBuffers(batches: readonly RecordBatch[]): Uint8Array {
  const buffers = batches.flatMap((b) => buffersOf(b.data));
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}
