/** Benchmark data: plain rows (shared with the Lance side) and Arrow batches of our own Arrow version. */
import { Binary, Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from "apache-arrow";
import type { LanceRow } from "@wal/bench-lance";

export const rowSchema = new Schema([
  new Field("id", new Int64(), false),
  new Field("sensor", new Utf8(), false),
  new Field("reading", new Float64(), false),
]);

/** Rows `[first, first + n)`; values derive from the id. */
export function sensorRows(first: number, n: number): LanceRow[] {
  return Array.from({ length: n }, (_, i) => {
    const id = first + i;
    return { id: BigInt(id), sensor: `sensor-${id % 17}`, reading: Math.sin(id) * 100 + id / 7 };
  });
}

/** The same rows as one record batch. */
export function rowsToBatch(rows: readonly LanceRow[]): RecordBatch {
  const children = [
    vectorFromArray(rows.map((r) => r.id), new Int64()).data[0]!,
    vectorFromArray(rows.map((r) => r.sensor), new Utf8()).data[0]!,
    vectorFromArray(rows.map((r) => r.reading), new Float64()).data[0]!,
  ];
  return new RecordBatch(rowSchema, makeData({ type: new Struct(rowSchema.fields), length: rows.length, nullCount: 0, children }));
}

export const payloadSchema = new Schema([new Field("id", new Int64(), false), new Field("payload", new Binary(), false)]);

/**
 * A batch of about `bytes` bytes of column data: 16 rows, each with an equal share of the payload.
 * The payload bytes vary with `seed` (no all-zero pages the OS or a store could treat specially).
 */
export function payloadBatch(bytes: number, seed: number): RecordBatch {
  const rows = 16;
  const each = Math.max(1, Math.floor(bytes / rows));
  const data = new Uint8Array(each * rows);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < data.length; i += 64) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data[i] = x & 0xff;
  }
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i <= rows; i++) offsets[i] = i * each;
  const ids = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = BigInt(seed * rows + i);
  const children = [
    makeData({ type: new Int64(), length: rows, nullCount: 0, data: ids }),
    makeData({ type: new Binary(), length: rows, nullCount: 0, valueOffsets: offsets, data }),
  ];
  return new RecordBatch(payloadSchema, makeData({ type: new Struct(payloadSchema.fields), length: rows, nullCount: 0, children }));
}
