/**
 * Format compatibility with Lance itself, both ways, through `@lancedb/lancedb@0.31.0` (Lance 8.0.0):
 * our reader and `wal inspect` read a shard Lance has just written, and Lance's own writer replays
 * entries our writer appended to its shard.
 */
import { mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as lancedb from "@lancedb/lancedb";
import { Field, Float64, Int64, Schema, Utf8 } from "apache-arrow";
// Our library's Arrow (21.1.0), kept apart from lancedb's (18.1.0): no Arrow object crosses versions.
import * as A21 from "apache-arrow-21";
import { ShardReader, ShardWriter, replay } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import { runInspect } from "@wal/cli";

const schema = new Schema([
  new Field("id", new Int64(), false),
  new Field("sensor", new Utf8(), false),
  new Field("reading", new Float64(), false),
]);
const rows = (first: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: BigInt(first + i), sensor: `s${(first + i) % 5}`, reading: (first + i) / 4 }));

async function lanceTable(dir: string): Promise<{ db: lancedb.Connection; table: lancedb.Table }> {
  const db = await lancedb.connect(dir);
  const table = await db.createEmptyTable("t", schema);
  await table.setUnenforcedPrimaryKey("id");
  await table.setLsmWriteSpec({ specType: "unsharded" });
  return { db, table };
}

async function merge(table: lancedb.Table, first: number, n: number): Promise<void> {
  await table.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows(first, n));
}

function ids(batches: readonly A21.RecordBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number));
}

describe("Lance 8.0.0 interoperability", () => {
  it("our reader and `wal inspect` read a shard lancedb has just written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "interop-"));
    const { db, table } = await lanceTable(dir);
    for (const first of [0, 5, 10]) await merge(table, first, 5);
    table.close();
    db.close();
    const root = join(dir, "t.lance");
    const [shard] = await runInspect(root, () => undefined);
    expect(shard!.entries.map((e) => [e.position, e.epoch, e.kind, e.rows])).toEqual([
      [1n, 1n, "entry", 5],
      [2n, 1n, "entry", 5],
      [3n, 1n, "entry", 5],
    ]);
    const store = new FsStore({ root, fsync: false });
    const got: number[] = [];
    for await (const e of replay(store, "", shard!.shardId)) got.push(...ids(e.batches));
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => i));
  }, 60_000);

  it("Lance's writer replays the entries our writer appended to its shard", async () => {
    const dir = mkdtempSync(join(tmpdir(), "interop-"));
    const first = await lanceTable(dir);
    await merge(first.table, 1, 3); // Lance: epoch 1, position 1
    first.table.close();
    first.db.close();

    const root = join(dir, "t.lance");
    const shardId = readdirSync(join(root, "_mem_wal"))[0]!;
    const store = new FsStore({ root });
    // Append with the table's exact schema (Lance marks the key field with metadata): take it from
    // Lance's own entry.
    const lanceEntry = await new ShardReader(store, "", shardId).entryAt(1n);
    const tableSchema = lanceEntry!.schema;
    expect(tableSchema.fields[0]!.metadata.get("lance-schema:unenforced-primary-key:position")).toBe("1");
    const ours = [10n, 11n, 12n];
    const data = A21.makeData({
      type: new A21.Struct(tableSchema.fields),
      length: ours.length,
      nullCount: 0,
      children: [
        A21.vectorFromArray(ours, new A21.Int64()).data[0]!,
        A21.vectorFromArray(["x", "y", "z"], new A21.Utf8()).data[0]!,
        A21.vectorFromArray([1.5, 2.5, 3.5], new A21.Float64()).data[0]!,
      ],
    });
    const writer = await ShardWriter.open(store, "", shardId, { pipelineDepth: 1, onWarning: () => undefined });
    expect(writer.epoch).toBe(2n);
    await (await writer.append(new A21.RecordBatch(tableSchema, data))).wait();
    writer.abandon(); // crash: our entry is in the log, not checkpointed

    const db = await lancedb.connect(dir);
    const table = await db.openTable("t");
    await merge(table, 100, 2); // Lance opens the shard writer: claims epoch 3 and replays our entry
    await table.closeLsmWriters(); // flushes the memtable into a generation dataset
    table.close();
    db.close();

    const [shard] = await runInspect(root, () => undefined);
    const kinds = shard!.entries.map((e) => `${e.position}:${e.epoch}:${e.kind}`);
    expect(kinds.slice(0, 3)).toEqual(["1:1:entry", "2:2:sentinel", "3:2:entry"]);
    expect(kinds).toContain("4:3:sentinel");
    expect(shard!.manifest!.writerEpoch).toBe(3n);

    // Read the generation Lance flushed: our rows are in it, between Lance's own.
    const shardDir = join(root, "_mem_wal", shardId);
    const gens = readdirSync(shardDir).filter((n) => /_gen_\d+$/.test(n));
    expect(gens.length).toBeGreaterThanOrEqual(1);
    const view = mkdtempSync(join(tmpdir(), "interop-view-"));
    for (const g of gens) symlinkSync(join(shardDir, g), join(view, `${g}.lance`));
    const viewDb = await lancedb.connect(view);
    const flushed: number[] = [];
    for (const g of gens) {
      const t = await viewDb.openTable(g);
      flushed.push(...(await t.query().toArray()).map((r) => Number(r.id as bigint)));
      t.close();
    }
    viewDb.close();
    expect(flushed.sort((a, b) => a - b)).toEqual([1, 2, 3, 10, 11, 12, 100, 101]);
  }, 60_000);
});
