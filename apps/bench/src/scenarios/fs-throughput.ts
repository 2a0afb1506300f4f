/**
 * Scenario 1: WAL append throughput on the filesystem store with fsync on, against the physical limit
 * of the same disk work done by hand: for each of the very same encoded entries, in the same directory
 * layout, `open(wx) + write + fsync + link + unlink(temp) + fsync(dir)` — exactly what a durable
 * create-if-absent put needs, with nothing else around it.
 */
import { mkdirSync, promises as fsp } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { RecordBatch } from "apache-arrow";
import { encodeWalEntry, entryFileName, ShardPaths, ShardWriter } from "@wal/core";
import { FsStore } from "@wal/store-fs";
import type { BenchContext } from "../context.js";
import { payloadBatch, rowsToBatch, sensorRows } from "../data.js";
import { ratio, type Ratio, type ScenarioResult } from "../report.js";
import { mbPerSecond, MiB } from "../stats.js";

interface Case {
  readonly name: string;
  readonly entries: number;
  /** A few distinct batches, reused round-robin (building data is not what is measured). */
  readonly pool: readonly RecordBatch[];
  readonly target?: number;
}

interface Run {
  readonly bytes: number;
  readonly entries: number;
  readonly seconds: number;
}

export async function fsThroughput(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const cases: Case[] = [
    {
      name: "1 MiB entries",
      entries: ctx.smoke ? 4 : 200,
      pool: Array.from({ length: 4 }, (_, i) => payloadBatch(MiB, i)),
      target: 0.85,
    },
    {
      name: "small entries (100 rows)",
      entries: ctx.smoke ? 20 : 2000,
      pool: Array.from({ length: 4 }, (_, i) => rowsToBatch(sensorRows(i * 100, 100))),
    },
  ];
  const rounds = ctx.smoke ? 1 : 3;
  const rows: Array<Record<string, number | string>> = [];
  const ratios: Ratio[] = [];
  for (const c of cases) {
    // Alternating rounds, best of each side: both see the same disk state and page-cache pressure.
    let bestWal: Run | undefined;
    let bestRaw: Run | undefined;
    for (let round = 0; round < rounds; round++) {
      const raw = await rawLoop(join(ctx.scratch, `raw-${c.entries}-${round}`), c);
      const wal = await walLoop(join(ctx.scratch, `wal-${c.entries}-${round}`), c);
      if (!bestRaw || raw.seconds < bestRaw.seconds) bestRaw = raw;
      if (!bestWal || wal.seconds < bestWal.seconds) bestWal = wal;
    }
    const walMbps = mbPerSecond(bestWal!.bytes, bestWal!.seconds);
    const rawMbps = mbPerSecond(bestRaw!.bytes, bestRaw!.seconds);
    for (const [side, run, mbps] of [
      ["WAL (ShardWriter + FsStore, fsync)", bestWal!, walMbps],
      ["write+fsync+link+dir fsync loop", bestRaw!, rawMbps],
    ] as const) {
      rows.push({
        case: c.name,
        side,
        entries: run.entries,
        "avg entry KiB": run.bytes / run.entries / 1024,
        "MB/s": mbps,
        "entries/s": run.entries / run.seconds,
      });
    }
    ratios.push(ratio(`${c.name}: WAL MB/s / physical loop MB/s`, walMbps, rawMbps, c.target === undefined ? undefined : { atLeast: c.target }));
  }
  return {
    scenario: "fs-throughput",
    title: "1. Filesystem store, fsync on: WAL append throughput vs the physical limit",
    smoke: ctx.smoke,
    columns: ["case", "side", "entries", "avg entry KiB", "MB/s", "entries/s"],
    rows,
    ratios,
    notes: [
      "One producer appends a batch and awaits its watcher, so each batch becomes one WAL entry; MB/s counts encoded entry bytes.",
      "The physical loop writes the very same encoded entries (encodeWalEntry of the same batches) to the same _mem_wal/<shard>/wal/<bitrev>.arrow layout, one at a time, with the syscalls a durable create-if-absent needs.",
      `Best of ${rounds} alternating round(s) per side.`,
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

async function walLoop(dir: string, c: Case): Promise<Run> {
  const store = new FsStore({ root: dir, fsync: true });
  let bytes = 0;
  let entries = 0;
  const writer = await ShardWriter.open(store, "", randomUUID(), {
    onFlushed: (r) => {
      bytes += r.bytes;
      entries++;
    },
  });
  const t0 = performance.now();
  for (let i = 0; i < c.entries; i++) {
    const watcher = await writer.append(c.pool[i % c.pool.length]!);
    await watcher.wait();
  }
  const seconds = (performance.now() - t0) / 1000;
  await writer.close();
  if (entries !== c.entries) throw new Error(`expected ${c.entries} WAL entries, the writer wrote ${entries}`);
  return { bytes, entries, seconds };
}

async function rawLoop(dir: string, c: Case): Promise<Run> {
  const paths = new ShardPaths("", randomUUID());
  const walDir = join(dir, ...paths.walPrefix.split("/").filter((s) => s !== ""));
  mkdirSync(walDir, { recursive: true });
  const encoded = c.pool.map((b) => encodeWalEntry([b], { writerEpoch: 1n }));
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < c.entries; i++) {
    const entry = encoded[i % encoded.length]!;
    const name = entryFileName(BigInt(i + 1));
    const temp = join(walDir, `.${name}.tmp.${i.toString(16).padStart(16, "0")}`);
    const file = await fsp.open(temp, "wx", 0o644);
    try {
      await file.writeFile(entry);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsp.link(temp, join(walDir, name));
    await fsp.unlink(temp);
    const d = await fsp.open(walDir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    bytes += entry.byteLength;
  }
  return { bytes, entries: c.entries, seconds: (performance.now() - t0) / 1000 };
}
