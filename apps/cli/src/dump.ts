/**
 * `wal dump PATH [--after N] [--limit N]`: the rows replay would yield, one JSON object per line
 * (`{"position", "epoch", "row"}`), in log order. BigInts print as strings, binary as base64.
 */
import { replay } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import { locateShards } from "./inspect.js";

export interface DumpOptions {
  readonly after?: bigint;
  readonly limit?: number;
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return value;
}

export async function runDump(path: string, options: DumpOptions = {}, out: (line: string) => void = console.log): Promise<number> {
  let printed = 0;
  const limit = options.limit ?? Infinity;
  for (const { root, shardId } of locateShards(path)) {
    const store = new FsStore({ root, fsync: false });
    for await (const entry of replay(store, "", shardId, { after: options.after ?? 0n })) {
      for (const batch of entry.batches) {
        for (let i = 0; i < batch.numRows; i++) {
          if (printed >= limit) return printed;
          const row = batch.get(i)?.toJSON() ?? {};
          out(JSON.stringify({ shard: shardId, position: entry.position, epoch: entry.writerEpoch, row }, jsonValue));
          printed++;
        }
      }
    }
  }
  return printed;
}
