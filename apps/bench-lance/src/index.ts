/**
 * The Lance side of the comparison benchmark, kept in its own package because `@lancedb/lancedb`
 * 0.31.0 needs `apache-arrow` <= 18.1 while the WAL library uses 21.1 (DESIGN.md section 7). Callers
 * hand over plain rows; the Arrow schema is built here from this package's own Arrow, so no Arrow
 * object ever crosses between the two versions.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, Float64, Int64, Schema, Utf8 } from "apache-arrow";

/** One row of the benchmark table. `id` is the (unenforced) primary key, so it must be an integer. */
export interface LanceRow {
  readonly id: bigint;
  readonly sensor: string;
  readonly reading: number;
}

export interface LanceAppendOptions {
  /** Directory of the LanceDB database (must be empty or absent). */
  readonly dir: string;
  /** The batches to append, one `mergeInsert` call each. */
  readonly batches: ReadonlyArray<readonly LanceRow[]>;
  /** Concurrent callers, each taking the next batch when its previous call returned (default 1). */
  readonly producers?: number;
}

export interface LanceAppendResult {
  /** Wall-clock seconds for all batches (the table and its LSM spec are set up before timing starts). */
  readonly seconds: number;
  /** Milliseconds from each `mergeInsert` call to its return, in completion order. */
  readonly latenciesMs: number[];
  /** WAL entries found under `_mem_wal/<shard>/wal` afterwards. */
  readonly walEntries: number;
  /** Path of the table's `_mem_wal` directory. */
  readonly memWalDir: string;
}

/** Int64 ids: a JavaScript number would become Float64, which cannot be a primary key. */
const schema = new Schema([
  new Field("id", new Int64(), false),
  new Field("sensor", new Utf8(), false),
  new Field("reading", new Float64(), false),
]);

/**
 * Creates a table with `id` as unenforced primary key and an unsharded LSM write spec, so every
 * `mergeInsert` goes through Lance's MemWAL shard writer, then upserts each batch with one call and
 * times it. Lance 8.0.0 writes each call's WAL entry before the call returns but does not fsync it.
 * @throws whatever lancedb throws (the directory is not usable, a call fails); an error is never
 * swallowed, and a run in which no WAL entry appeared throws an Error saying so.
 */
export async function appendWithLance(options: LanceAppendOptions): Promise<LanceAppendResult> {
  const db = await lancedb.connect(options.dir);
  const table = await db.createEmptyTable("bench", schema);
  try {
    await table.setUnenforcedPrimaryKey("id");
    await table.setLsmWriteSpec({ specType: "unsharded" });
    const latenciesMs: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.producers ?? 1 }, async () => {
        for (let b = next++; b < options.batches.length; b = next++) {
          const rows = options.batches[b]!.map((r) => ({ id: r.id, sensor: r.sensor, reading: r.reading }));
          const t0 = performance.now();
          await table.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows);
          latenciesMs.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await table.closeLsmWriters();
    const memWalDir = join(options.dir, "bench.lance", "_mem_wal");
    const walEntries = countWalEntries(memWalDir);
    if (walEntries === 0) throw new Error(`lancedb wrote no MemWAL entries under ${memWalDir}`);
    return { seconds, latenciesMs, walEntries, memWalDir };
  } finally {
    table.close();
    db.close();
  }
}

function countWalEntries(memWalDir: string): number {
  let n = 0;
  for (const shard of readdirSync(memWalDir)) {
    let names: string[];
    try {
      names = readdirSync(join(memWalDir, shard, "wal"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw e;
    }
    n += names.filter((name) => /^[01]{64}\.arrow$/.test(name)).length;
  }
  return n;
}
