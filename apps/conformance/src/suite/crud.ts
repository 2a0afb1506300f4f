import { describe, expect, it } from "vitest";
import { PutModes } from "@wal/core";
import type { ConformanceOptions } from "./run-conformance.js";
import { expectStoreError, listKeys, text, utf8 } from "./helpers.js";

/** Round trips, overwrite, metadata and missing keys. */
export function crudCases({ create, capabilities }: ConformanceOptions): void {
  describe("basic operations", () => {
    it("declares the capabilities it is tested with", async () => {
      const store = await create();
      expect(store.capabilities).toEqual(capabilities);
      expect(typeof store.name).toBe("string");
      expect(store.name.length).toBeGreaterThan(0);
    });

    it("round-trips put, get, head, list and delete", async () => {
      const store = await create();
      const key = "crud/object.bin";
      const { version } = await store.put(key, utf8("hello, wal"), { mode: PutModes.overwrite });
      expect(typeof version).toBe("string");
      expect(version.length).toBeGreaterThan(0);

      const got = await store.get(key);
      expect(text(got.bytes)).toBe("hello, wal");
      expect(got.meta.key).toBe(key);
      expect(got.meta.size).toBe(10);
      expect(got.meta.version).toBe(version);

      const head = await store.head(key);
      expect(head).toMatchObject({ key, size: 10, version });

      const listed = [];
      for await (const meta of store.list("crud/")) listed.push(meta);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ key, size: 10, version });

      await store.delete(key);
      await expectStoreError(store.get(key), "NotFound", store, key);
      expect(await listKeys(store, "crud/")).toEqual([]);
    });

    it("replaces the object on overwrite", async () => {
      const store = await create();
      await store.put("crud/k", utf8("first version, longer"), { mode: PutModes.overwrite });
      const second = await store.put("crud/k", utf8("second"), { mode: PutModes.overwrite });
      const got = await store.get("crud/k");
      expect(text(got.bytes)).toBe("second");
      expect(got.meta.size).toBe(6);
      expect((await store.head("crud/k")).version).toBe(second.version);
      expect(await listKeys(store, "crud/")).toEqual(["crud/k"]);
    });

    it("reports sane metadata and a new version on every write", async () => {
      const store = await create();
      const before = Date.now();
      const versions: string[] = [];
      // Same size, different bytes: S3 ETags are content hashes, so rewriting identical bytes may
      // keep the version (harmless for compare-and-swap, since the content is the same too).
      for (let i = 0; i < 5; i++) {
        versions.push((await store.put("crud/v", utf8(`version ${i}.`), { mode: PutModes.overwrite })).version);
      }
      expect(new Set(versions).size).toBe(5);
      const head = await store.head("crud/v");
      expect(head.size).toBe(10);
      expect(head.version).toBe(versions[4]);
      expect(head.lastModified).toBeInstanceOf(Date);
      // Generous bounds: an emulator's clock and second-granularity timestamps may differ a little.
      const skew = 10 * 60_000;
      expect(head.lastModified.getTime()).toBeGreaterThan(before - skew);
      expect(head.lastModified.getTime()).toBeLessThan(Date.now() + skew);
    });

    it("keeps what it stored when the caller later reuses its buffer", async () => {
      const store = await create();
      const buffer = utf8("original");
      await store.put("crud/copy", buffer, { mode: PutModes.overwrite });
      buffer.fill(0x21);
      expect(text((await store.get("crud/copy")).bytes)).toBe("original");
    });

    it("answers NotFound naming the key for get and head of a missing key, and deletes it quietly", async () => {
      const store = await create();
      await expectStoreError(store.get("crud/missing"), "NotFound", store, "crud/missing");
      await expectStoreError(store.get("crud/missing", { range: { start: 0, end: 4 } }), "NotFound", store, "crud/missing");
      await expectStoreError(store.head("crud/missing"), "NotFound", store, "crud/missing");
      await expect(store.delete("crud/missing")).resolves.toBeUndefined();
    });

    it("refuses malformed keys with InvalidArgument before touching storage", async () => {
      const store = await create();
      for (const key of ["", "/absolute", "a//b", "a/../b", "./a", "a/.", "..", "nul\0byte"]) {
        const calls: Array<[string, () => Promise<unknown>]> = [
          ["put", () => store.put(key, utf8("x"), { mode: PutModes.overwrite })],
          ["get", () => store.get(key)],
          ["head", () => store.head(key)],
          ["delete", () => store.delete(key)],
        ];
        for (const [op, call] of calls) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e as { code?: string },
          );
          expect(error?.code, `${op} ${JSON.stringify(key)}`).toBe("InvalidArgument");
        }
      }
      expect(await listKeys(store, "")).toEqual([]);
    });

    it("deletes only the key it is given", async () => {
      const store = await create();
      await store.put("crud/a", utf8("a"), { mode: PutModes.overwrite });
      await store.put("crud/ab", utf8("ab"), { mode: PutModes.overwrite });
      await store.delete("crud/a");
      await store.delete("crud/a");
      expect(await listKeys(store, "crud/")).toEqual(["crud/ab"]);
      await expectStoreError(store.head("crud/a"), "NotFound", store, "crud/a");
    });
  });
}
