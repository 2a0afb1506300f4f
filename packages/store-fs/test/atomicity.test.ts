import { watch } from "node:fs";
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PutModes } from "@wal/core";
import { FsStore, isTempFileName } from "../src/index.js";
import { collect, parsesAsWalName, tempDir } from "./helpers.js";

const entryName = (n: number): string => `${n.toString(2).padStart(64, "0")}.arrow`;

describe("FsStore atomic writes", () => {
  it("writes through temp files that no WAL name parser accepts and that are never listed", async () => {
    const root = await tempDir();
    const store = new FsStore({ root, fsync: false });
    const wal = path.join(root, "wal");
    await mkdir(wal);
    // inotify reports every name created in the directory, however briefly it lived.
    const seen = new Set<string>();
    const watcher = watch(wal, (_event, name) => {
      if (name) seen.add(name.toString());
    });
    try {
      for (let n = 1; n <= 30; n++) {
        await store.put(`wal/${entryName(n)}`, new Uint8Array(100).fill(n), { mode: PutModes.create });
        const listed = await collect(store.list("wal/"));
        expect(listed.every((m) => parsesAsWalName(path.basename(m.key)))).toBe(true);
      }
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      watcher.close();
    }
    const temps = [...seen].filter((name) => !/^[01]{64}\.arrow$/.test(name));
    expect(temps.length).toBeGreaterThan(0);
    for (const name of temps) {
      expect(isTempFileName(name)).toBe(true);
      expect(parsesAsWalName(name)).toBe(false);
    }
    expect(await collect(store.list(""))).toHaveLength(30);
  });

  it("skips stray temp files left by a crash in listing", async () => {
    const root = await tempDir();
    const store = new FsStore({ root });
    await store.put(`wal/${entryName(1)}`, new Uint8Array([1]), { mode: PutModes.create });
    await writeFile(path.join(root, "wal", `.${entryName(2)}.tmp.0123456789abcdef`), "partial");
    await writeFile(path.join(root, `.top.tmp.fedcba9876543210`), "partial");
    const keys = (await collect(store.list(""))).map((m) => m.key);
    expect(keys).toEqual([`wal/${entryName(1)}`]);
  });

  it("never lets a reader see a partial object while it is being overwritten", async () => {
    const store = new FsStore({ root: await tempDir(), fsync: false });
    const size = 2 << 20;
    const versions = [new Uint8Array(size).fill(0xaa), new Uint8Array(size).fill(0x55)];
    await store.put("obj", versions[0]!, { mode: PutModes.overwrite });
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 20; i++) await store.put("obj", versions[i % 2]!, { mode: PutModes.overwrite });
      writing = false;
    })();
    let reads = 0;
    const readers = Array.from({ length: 3 }, async () => {
      while (writing) {
        const { bytes } = await store.get("obj");
        reads++;
        expect(bytes.byteLength).toBe(size);
        const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        expect(whole.equals(versions[0]!) || whole.equals(versions[1]!)).toBe(true);
      }
    });
    await Promise.all([writer, ...readers]);
    expect(reads).toBeGreaterThan(0);
  });
});
