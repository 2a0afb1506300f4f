import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PutModes } from "@wal/core";
import { FsStore } from "../src/index.js";
import { tempDir, utf8 } from "./helpers.js";


describe("FsStore fsync option", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("by default fsyncs the file, every directory it created, and the target directory", async () => {
    const scratch = await tempDir();
    const store = new FsStore({ root: path.join(scratch, "root") });
    await store.put("warm-up", utf8("x"), { mode: PutModes.overwrite });
    const sync = vi.spyOn(fs, "fsync");
    await store.put("a/b/c", utf8("x"), { mode: PutModes.create });
    // file + root (for a) + a (for b) + b (for the new entry c)
    expect(sync).toHaveBeenCalledTimes(4);
    sync.mockClear();
    await store.put("a/b/c", utf8("y"), { mode: PutModes.overwrite });
    expect(sync).toHaveBeenCalledTimes(2);
    sync.mockClear();
    await store.delete("a/b/c");
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it("makes no fsync call with fsync: false", async () => {
    const scratch = await tempDir();
    const store = new FsStore({ root: path.join(scratch, "root"), fsync: false });
    const sync = vi.spyOn(fs, "fsync");
    const syncSync = vi.spyOn(fs, "fsyncSync");
    await store.put("a/b/c", utf8("x"), { mode: PutModes.create });
    await store.put("a/b/c", utf8("y"), { mode: PutModes.overwrite });
    await store.delete("a/b/c");
    expect(sync).not.toHaveBeenCalled();
    expect(syncSync).not.toHaveBeenCalled();
  });
});
