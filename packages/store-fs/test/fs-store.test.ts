import { open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, NotImplementedError, PutModes } from "@wal/core";
import { FsStore, isTempFileName } from "../src/index.js";
import { collect, tempDir, text, utf8 } from "./helpers.js";

describe("FsStore basics", () => {
  it("round-trips put, get, head, list and delete with keys relative to the root", async () => {
    const root = await tempDir();
    const store = new FsStore({ root });
    const { version } = await store.put("a/b/c.txt", utf8("hello"), { mode: PutModes.overwrite });
    expect(await readFile(path.join(root, "a", "b", "c.txt"), "utf8")).toBe("hello");
    const got = await store.get("a/b/c.txt");
    expect(text(got.bytes)).toBe("hello");
    expect(got.meta).toMatchObject({ key: "a/b/c.txt", size: 5, version });
    expect((await store.head("a/b/c.txt")).version).toBe(version);
    expect((await collect(store.list(""))).map((m) => m.key)).toEqual(["a/b/c.txt"]);
    await store.delete("a/b/c.txt");
    await expect(store.head("a/b/c.txt")).rejects.toMatchObject({ code: "NotFound", key: "a/b/c.txt" });
  });

  it("creates a missing root on first use", async () => {
    const root = path.join(await tempDir(), "not", "yet");
    const store = new FsStore({ root });
    await store.put("k", utf8("x"), { mode: PutModes.create });
    expect((await stat(path.join(root, "k"))).size).toBe(1);
  });

  it("reports a root that is a file as a Generic error, not as an object problem", async () => {
    const file = path.join(await tempDir(), "file");
    await writeFile(file, "x");
    const store = new FsStore({ root: file });
    await expect(store.get("k")).rejects.toMatchObject({ code: "Generic", backend: "fs" });
    await expect(store.put("k", utf8("x"), { mode: PutModes.create })).rejects.toMatchObject({ code: "Generic" });
  });

  it("changes the version on every overwrite, even with identical content", async () => {
    const store = new FsStore({ root: await tempDir() });
    const versions = new Set<string>();
    for (let i = 0; i < 20; i++) {
      versions.add((await store.put("k", utf8("same"), { mode: PutModes.overwrite })).version);
    }
    expect(versions.size).toBe(20);
  });

  it("refuses update-if-version with NotImplementedError and says so in its capabilities", async () => {
    const store = new FsStore({ root: await tempDir() });
    expect(store.capabilities).toEqual({ create: true, update: false });
    const { version } = await store.put("k", utf8("1"), { mode: PutModes.overwrite });
    const err = await store.put("k", utf8("2"), { mode: PutModes.update(version) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotImplementedError);
    expect(err).toMatchObject({ code: "NotImplemented", key: "k", backend: "fs" });
    expect(text((await store.get("k")).bytes)).toBe("1");
  });

  it("treats a key that names a directory, or runs through a file, as missing on read", async () => {
    const store = new FsStore({ root: await tempDir() });
    await store.put("dir/file", utf8("x"), { mode: PutModes.overwrite });
    await expect(store.get("dir")).rejects.toMatchObject({ code: "NotFound", key: "dir" });
    await expect(store.head("dir")).rejects.toMatchObject({ code: "NotFound" });
    await expect(store.get("dir/file/below")).rejects.toMatchObject({ code: "NotFound", key: "dir/file/below" });
    await expect(store.delete("dir")).resolves.toBeUndefined();
    await expect(store.delete("dir/file/below")).resolves.toBeUndefined();
    await expect(store.put("dir/file/below", utf8("y"), { mode: PutModes.overwrite })).rejects.toMatchObject({
      code: "Generic",
      key: "dir/file/below",
    });
    expect(text((await store.get("dir/file")).bytes)).toBe("x");
  });

  it("rejects unusable options up front", () => {
    expect(() => new FsStore({ root: "" })).toThrow(InvalidArgumentError);
    expect(() => new FsStore({} as never)).toThrow(/root/);
    expect(() => new FsStore({ root: "/tmp/x", fsync: "yes" as never })).toThrow(/fsync/);
  });
});

describe("FsStore ranged reads", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads only the requested bytes from the file", async () => {
    const root = await tempDir();
    const store = new FsStore({ root });
    const bytes = new Uint8Array(1 << 20).map((_, i) => i % 251);
    await store.put("big", bytes, { mode: PutModes.overwrite });
    const probe = await open(path.join(root, "big"), "r");
    const proto = Object.getPrototypeOf(probe) as { read(...args: unknown[]): Promise<unknown> };
    await probe.close();
    const read = vi.spyOn(proto, "read");
    const got = await store.get("big", { range: { start: 1000, end: 1010 } });
    expect([...got.bytes]).toEqual([...bytes.subarray(1000, 1010)]);
    const requested = read.mock.calls.reduce((sum, args) => sum + Number(args[2]), 0);
    expect(requested).toBe(10);
    expect(got.meta.size).toBe(1 << 20);
    expect((await store.get("big", { range: { start: (1 << 20) + 5 } })).bytes.byteLength).toBe(0);
    await expect(store.get("big", { range: { start: 10, end: 5 } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("FsStore temporary files", () => {
  it("names temp files so they are never WAL entries and never listed", async () => {
    expect(isTempFileName(".0000.arrow.tmp.0123456789abcdef")).toBe(true);
    expect(isTempFileName("0000.arrow")).toBe(false);
    expect(isTempFileName("0000.arrow.tmp.0123456789abcdef")).toBe(false);
  });

  it("refuses keys that have the temp-file form", async () => {
    const store = new FsStore({ root: await tempDir() });
    await expect(
      store.put("a/.x.tmp.0123456789abcdef", utf8("x"), { mode: PutModes.overwrite }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.get(".x.tmp.0123456789abcdef")).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("leaves no temp file behind after a successful or refused write", async () => {
    const root = await tempDir();
    const store = new FsStore({ root });
    await store.put("d/k", utf8("1"), { mode: PutModes.create });
    await store.put("d/k", utf8("2"), { mode: PutModes.overwrite });
    await expect(store.put("d/k", utf8("3"), { mode: PutModes.create })).rejects.toMatchObject({ code: "AlreadyExists" });
    expect(await readdir(path.join(root, "d"))).toEqual(["k"]);
    expect(text((await store.get("d/k")).bytes)).toBe("2");
  });
});
