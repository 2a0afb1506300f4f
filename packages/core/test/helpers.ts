import { RecordBatch, Schema, Field, Int32, Utf8, makeData, Struct, vectorFromArray } from "apache-arrow";

/** A batch of `n` rows with ids starting at `first` and a string column. */
export function batchOf(first: number, n = 3, metadata?: Record<string, string>): RecordBatch {
  const ids = Array.from({ length: n }, (_, i) => first + i);
  const schema = new Schema(
    [new Field("id", new Int32(), false), new Field("name", new Utf8(), true)],
    new Map(Object.entries(metadata ?? {})),
  );
  const children = [vectorFromArray(ids, new Int32()).data[0]!, vectorFromArray(ids.map((i) => `row-${i}`), new Utf8()).data[0]!];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

/** The ids in a list of batches, in order. */
export function idsOf(batches: readonly RecordBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as Int32Array));
}

export function otherSchemaBatch(): RecordBatch {
  const schema = new Schema([new Field("x", new Utf8(), true)]);
  const data = makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [vectorFromArray(["a"]).data[0]!] });
  return new RecordBatch(schema, data);
}

export const SHARD = "aa48498d-ac91-59e2-8452-69f46010ace2";
export const SHARD2 = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

export { Int32 };

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { ObjectStore } from "../src/index.js";

/** Copies a directory tree into `store` under `prefix` (keys use `/`). */
export async function loadTree(store: ObjectStore, dir: string, prefix = ""): Promise<void> {
  const walk = async (d: string): Promise<void> => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) await walk(full);
      else await store.put(prefix + relative(dir, full).split("\\").join("/"), readFileSync(full), { mode: { kind: "overwrite" } });
    }
  };
  await walk(dir);
}

export const FIXTURE_DIR = new URL("./fixtures/lance-8.0.0-basic/", import.meta.url).pathname;
