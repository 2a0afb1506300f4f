import { Field, Float64, Int64, List, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from "apache-arrow";

/** The demo's schema: ints, floats, strings, a nullable column and a list column. */
export const demoSchema = new Schema(
  [
    new Field("id", new Int64(), false),
    new Field("sensor", new Utf8(), false),
    new Field("reading", new Float64(), false),
    new Field("note", new Utf8(), true),
    new Field("tags", new List(new Field("item", new Utf8(), true)), true),
  ],
  new Map([["source", "wal demo"]]),
);

/** Rows `[first, first + rows)` of the demo table; every value derives from the id, so replay can check it. */
export function demoBatch(first: number, rows: number): RecordBatch {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const children = [
    vectorFromArray(ids.map((i) => BigInt(i)), new Int64()).data[0]!,
    vectorFromArray(ids.map((i) => `sensor-${i % 17}`), new Utf8()).data[0]!,
    vectorFromArray(ids.map((i) => expectedReading(i)), new Float64()).data[0]!,
    vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : `reading ${i}`)), new Utf8()).data[0]!,
    vectorFromArray(ids.map((i) => Array.from({ length: i % 4 }, (_, k) => `t${(i + k) % 9}`)), demoSchema.fields[4]!.type).data[0]!,
  ];
  return new RecordBatch(demoSchema, makeData({ type: new Struct(demoSchema.fields), length: rows, nullCount: 0, children }));
}

export function expectedReading(id: number): number {
  return Math.sin(id) * 100 + id / 7;
}
