import { mkdir, readFile, symlink, writeFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, PermissionDeniedError, PutModes } from "@wal/core";
import { FsStore } from "../src/index.js";
import { collect, tempDir, text, utf8 } from "./helpers.js";

/** A store root plus a directory beside it holding a "secret" the store must never touch. */
async function setup(): Promise<{ store: FsStore; root: string; outside: string }> {
  const base = await tempDir();
  const root = path.join(base, "root");
  const outside = path.join(base, "outside");
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, "secret"), "secret");
  await symlink(outside, path.join(root, "linkdir"));
  await symlink(path.join(outside, "secret"), path.join(root, "linkfile"));
  return { store: new FsStore({ root }), root, outside };
}

describe("FsStore refuses keys that escape the root", () => {
  it("refuses '..' segments and absolute keys before touching the disk", async () => {
    const { store, outside } = await setup();
    for (const key of ["../outside/secret", "a/../../outside/secret", "/etc/passwd"]) {
      await expect(store.put(key, utf8("x"), { mode: PutModes.overwrite })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("secret");
  });

  it("refuses a put through a symlinked directory that leads outside", async () => {
    const { store, outside } = await setup();
    for (const key of ["linkdir/new", "linkdir/deeper/new", "linkdir/secret"]) {
      for (const mode of [PutModes.overwrite, PutModes.create]) {
        const err = await store.put(key, utf8("pwned"), { mode }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PermissionDeniedError);
        expect(err).toMatchObject({ code: "PermissionDenied", key, backend: "fs" });
      }
    }
    expect((await readdir(outside)).sort()).toEqual(["secret"]);
    expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("secret");
  });

  it("refuses get, head and delete through a symlink (directory or file) that leads outside", async () => {
    const { store, outside } = await setup();
    for (const key of ["linkdir/secret", "linkfile", "linkdir/missing"]) {
      await expect(store.get(key)).rejects.toMatchObject({ code: "PermissionDenied", key });
      await expect(store.head(key)).rejects.toMatchObject({ code: "PermissionDenied", key });
    }
    await expect(store.delete("linkdir/secret")).rejects.toMatchObject({ code: "PermissionDenied" });
    expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("secret");
  });

  it("replaces a symlink on overwrite instead of writing through it", async () => {
    const { store, outside } = await setup();
    await expect(store.put("linkfile", utf8("mine"), { mode: PutModes.create })).rejects.toMatchObject({
      code: "AlreadyExists",
    });
    await store.put("linkfile", utf8("mine"), { mode: PutModes.overwrite });
    expect(text((await store.get("linkfile")).bytes)).toBe("mine");
    expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("secret");
  });

  it("does not list through symlinks and refuses a listing rooted in one", async () => {
    const { store } = await setup();
    await store.put("real/k", utf8("x"), { mode: PutModes.overwrite });
    expect((await collect(store.list(""))).map((m) => m.key)).toEqual(["real/k"]);
    await expect(collect(store.list("linkdir/"))).rejects.toMatchObject({ code: "PermissionDenied" });
    expect(await collect(store.list("../"))).toEqual([]);
    expect(await collect(store.list("/"))).toEqual([]);
  });

  it("allows symlinks that stay inside the root", async () => {
    const { store, root } = await setup();
    await store.put("data/k", utf8("inside"), { mode: PutModes.overwrite });
    await symlink(path.join(root, "data"), path.join(root, "alias"));
    expect(text((await store.get("alias/k")).bytes)).toBe("inside");
    await store.put("alias/k2", utf8("via alias"), { mode: PutModes.create });
    expect(text((await store.get("data/k2")).bytes)).toBe("via alias");
  });
});
