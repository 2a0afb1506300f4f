import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RecordBatch, RecordBatchStreamWriter, Schema, Table, tableToIPC } from "apache-arrow";
import {
  CorruptEntryError, InvalidArgumentError, decodeWalEntry, encodeFenceSentinel, encodeWalEntry,
  parseEntryFileName, sameSchema, WRITER_EPOCH_KEY,
} from "../src/index.js";
import { batchOf, idsOf, otherSchemaBatch } from "./helpers.js";

const KEY = "t/_mem_wal/x/wal/entry.arrow";
const FIXTURE = new URL("./fixtures/lance-8.0.0-basic/_mem_wal/aa48498d-ac91-59e2-8452-69f46010ace2/wal/", import.meta.url);

describe("WAL entry codec", () => {
  it("round-trips batches, keeps original metadata, strips the epoch", () => {
    const batches = [batchOf(1, 3, { app: "demo" }), batchOf(4, 2, { app: "demo" })];
    const bytes = encodeWalEntry(batches, { writerEpoch: 7n });
    expect(Array.from(bytes.subarray(bytes.length - 8))).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    const decoded = decodeWalEntry(bytes, KEY);
    expect(decoded.writerEpoch).toBe(7n);
    expect(decoded.isSentinel).toBe(false);
    expect(decoded.rows).toBe(5);
    expect(idsOf(decoded.batches)).toEqual([1, 2, 3, 4, 5]);
    expect(decoded.schema.metadata.get("app")).toBe("demo");
    expect(decoded.schema.metadata.has(WRITER_EPOCH_KEY)).toBe(false);
    // Exactly the original metadata plus writer_epoch on storage: Lance refuses anything more.
    expect([...decoded.schema.metadata.keys()]).toEqual(["app"]);
    expect(decoded.batches[0]!.schema.metadata.has(WRITER_EPOCH_KEY)).toBe(false);
    expect(decoded.batches[1]!.getChild("name")!.get(0)).toBe("row-4");
  });

  it("keeps epochs exact beyond 2^53", () => {
    const e = (1n << 63n) + 5n;
    expect(decodeWalEntry(encodeWalEntry([batchOf(1)], { writerEpoch: e }), KEY).writerEpoch).toBe(e);
  });

  it("encodes the fence sentinel: no fields, zero batches, flagged", () => {
    const bytes = encodeFenceSentinel({ writerEpoch: 3n });
    const d = decodeWalEntry(bytes, KEY);
    expect(d.isSentinel).toBe(true);
    expect(d.writerEpoch).toBe(3n);
    expect(d.batches).toEqual([]);
    expect(d.schema.fields).toEqual([]);
    expect(d.schema.metadata.get("fence_sentinel")).toBe("true");
  });

  it("keeps a sentinel small whatever the epoch (gc reads only small objects to find sentinels)", () => {
    expect(encodeFenceSentinel({ writerEpoch: (1n << 64n) - 1n }).byteLength).toBeLessThan(1024);
  });

  it("refuses to encode nothing, empty batches, or mixed schemas", () => {
    expect(() => encodeWalEntry([], { writerEpoch: 1n })).toThrow(InvalidArgumentError);
    expect(() => encodeWalEntry([batchOf(1, 0)], { writerEpoch: 1n })).toThrow(/zero rows/);
    expect(() => encodeWalEntry([batchOf(1), otherSchemaBatch()], { writerEpoch: 1n })).toThrow(/batch 1 has a different schema/);
  });

  const corruptCases: Array<[string, () => Uint8Array, RegExp]> = [
    ["a truncated stream (no end-of-stream marker)", () => encodeWalEntry([batchOf(1)], { writerEpoch: 1n }).slice(0, -8), /truncated/],
    ["a stream cut in the middle of a batch", () => {
      const b = encodeWalEntry([batchOf(1, 50)], { writerEpoch: 1n });
      const cut = b.slice(0, Math.floor(b.length / 2));
      const out = new Uint8Array(cut.length + 8);
      out.set(cut);
      out.set([255, 255, 255, 255, 0, 0, 0, 0], cut.length);
      return out;
    }, /not a readable Arrow IPC stream|no batches|truncated|schema/],
    ["garbage bytes", () => Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff), /truncated|not a readable/],
    ["garbage that ends like a stream", () => Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 255, 255, 255, 255, 0, 0, 0, 0]), /not a readable|no Arrow IPC schema/],
    ["an empty object", () => new Uint8Array(0), /truncated/],
    ["a missing writer_epoch", () => tableToIPC(batchOfTable(), "stream"), /no 'writer_epoch'/],
    ["a non-numeric writer_epoch", () => tableToIPC(batchOfTable({ writer_epoch: "seven" }), "stream"), /not a decimal integer/],
    ["a negative writer_epoch", () => tableToIPC(batchOfTable({ writer_epoch: "-1" }), "stream"), /not a decimal integer/],
    ["batches of different schemas (two streams)", () => {
      const a = encodeWalEntry([batchOf(1)], { writerEpoch: 1n });
      const b = encodeWalEntry([otherSchemaBatch()], { writerEpoch: 1n });
      const out = new Uint8Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    }, /more than one schema/],
    ["a stream with a schema and no batches that is not a sentinel", () => {
      const w = new RecordBatchStreamWriter();
      w.reset(undefined, batchOf(1, 1, { writer_epoch: "1" }).schema);
      return w.finish().toUint8Array(true);
    }, /no batches/],
  ];
  for (const [what, make, reason] of corruptCases) {
    it(`gives CorruptEntryError naming the key for ${what}`, () => {
      let error: unknown;
      try {
        decodeWalEntry(make(), KEY, 42n);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorruptEntryError);
      const c = error as CorruptEntryError;
      expect(c.code).toBe("CorruptEntry");
      expect(c.key).toBe(KEY);
      expect(c.position).toBe(42n);
      expect(c.message).toContain(KEY);
      expect(c.message).toMatch(reason);
    });
  }

  it("decodes every entry Lance 8.0.0 wrote (fixture)", () => {
    const dir = FIXTURE.pathname;
    const byPosition = new Map<bigint, ReturnType<typeof decodeWalEntry>>();
    for (const name of readdirSync(dir)) {
      const p = parseEntryFileName(name);
      expect(p, name).toBeDefined();
      byPosition.set(p!, decodeWalEntry(readFileSync(join(dir, name)), name, p));
    }
    expect([...byPosition.keys()].sort()).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    const epochs = [1n, 2n, 3n, 4n, 5n, 6n].map((p) => byPosition.get(p)!.writerEpoch);
    expect(epochs).toEqual([1n, 1n, 1n, 2n, 2n, 2n]);
    expect(byPosition.get(4n)!.isSentinel).toBe(true);
    expect([1n, 2n, 3n].map((p) => byPosition.get(p)!.rows)).toEqual([20, 20, 20]);
    expect([5n, 6n].map((p) => byPosition.get(p)!.rows)).toEqual([5, 5]);
    const ids = [5n, 6n].flatMap((p) => byPosition.get(p)!.batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number)));
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => 700 + i));
    const first = byPosition.get(1n)!;
    expect(first.schema.fields.map((f) => f.name)).toEqual(["id", "tags", "vec", "ts", "payload", "flag", "note"]);
    expect(first.schema.metadata.has("writer_epoch")).toBe(false);
  });
});

function batchOfTable(metadata: Record<string, string> = {}): Table {
  return new Table(batchOf(1, 2, metadata));
}

describe("zero needless copies", () => {
  it("decoded column data are views of the entry's bytes, not copies", () => {
    const bytes = encodeWalEntry([batchOf(1, 1000)], { writerEpoch: 1n });
    const decoded = decodeWalEntry(bytes, KEY);
    const values = decoded.batches[0]!.getChild("id")!.data[0]!.values as Int32Array;
    expect(values.buffer).toBe(bytes.buffer);
    expect(values.byteOffset).toBeGreaterThanOrEqual(bytes.byteOffset);
    expect(values.byteOffset + values.byteLength).toBeLessThanOrEqual(bytes.byteOffset + bytes.byteLength);
  });
});

describe("one-pass encoder", () => {
  function reference(batches: RecordBatch[], epoch: bigint): Uint8Array {
    const metadata = new Map(batches[0]!.schema.metadata);
    metadata.set("writer_epoch", epoch.toString());
    const schema = new Schema(batches[0]!.schema.fields, metadata);
    const w = new RecordBatchStreamWriter();
    w.reset(undefined, schema);
    for (const b of batches) w.write(new RecordBatch(schema, b.data));
    return w.finish().toUint8Array(true);
  }
  const lanceBatches = (): RecordBatch[] => {
    const dir = FIXTURE.pathname;
    return readdirSync(dir)
      .map((n) => decodeWalEntry(readFileSync(join(dir, n)), n))
      .filter((d) => !d.isSentinel)
      .flatMap((d) => d.batches);
  };
  const cases: Array<[string, () => RecordBatch[]]> = [
    ["ints and strings, several batches", () => [batchOf(1, 5, { a: "b" }), batchOf(6, 3, { a: "b" })]],
    ["Lance's types: list, fixed-size list, timestamp, binary, bool, nullable utf8", () => {
      const bs = lanceBatches();
      return bs.filter((b) => sameSchema(b.schema, bs[0]!.schema));
    }],
    ["sliced batches (non-zero offsets, nulls)", () => {
      const [b] = lanceBatches();
      return [b!.slice(3, 11), b!.slice(0, 1)];
    }],
  ];
  for (const [what, make] of cases) {
    it(`writes the same bytes as apache-arrow's stream writer: ${what}`, () => {
      const batches = make();
      expect(batches.length).toBeGreaterThan(0);
      const ours = encodeWalEntry(batches, { writerEpoch: 12n });
      const theirs = reference(batches, 12n);
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      const back = decodeWalEntry(ours, KEY);
      expect(back.rows).toBe(batches.reduce((n, b) => n + b.numRows, 0));
    });
  }
});
