// Child of crash.test.ts: opens a writer on a filesystem store, appends batches with consecutive ids
// and prints "ack <id>" (synchronously, so nothing buffered is lost) after each one is durable. The
// parent kills it with SIGKILL at a random moment.
import { writeSync } from "node:fs";
import { Field, Int32, makeData, RecordBatch, Schema, Struct, vectorFromArray } from "apache-arrow";
import { ShardWriter } from "@wal/core";
import { FsStore } from "../dist/index.js";

const [root, shardId, firstId] = process.argv.slice(2);
const schema = new Schema([new Field("id", new Int32(), false)]);
const batch = (id) =>
  new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [vectorFromArray([id], new Int32()).data[0]] }));

const writer = await ShardWriter.open(new FsStore({ root }), "", shardId, { flushIntervalMs: 2, onWarning: () => undefined });
writeSync(1, "ready\n");
let id = Number(firstId);
const inflight = new Set();
for (;;) {
  const mine = id++;
  const watcher = await writer.append(batch(mine));
  const p = watcher.wait().then(() => {
    writeSync(1, `ack ${mine}\n`);
    inflight.delete(p);
  });
  inflight.add(p);
  // Keep a few batches in flight so kills land between, during and after flushes.
  if (inflight.size >= 4) await Promise.race(inflight);
}
