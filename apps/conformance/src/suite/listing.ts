import { describe, expect, it } from "vitest";
import { PutModes } from "@wal/core";
import type { ConformanceOptions } from "./run-conformance.js";
import { SLOW_TIMEOUT_MS, collect, listKeys, mapLimit, utf8 } from "./helpers.js";

const MANY = 2_500;
const PUT_CONCURRENCY = 32;

// No key is also a "directory" of another key: a filesystem cannot hold both `a` and `a/b`.
const NEIGHBOURS = ["p/b/x", "p/b/y/z", "p/bc", "p/c/b", "pb/x", "q/p/b/x"];

/** Listing by plain string prefix, pagination, and empty stores. */
export function listingCases({ create }: ConformanceOptions): void {
  describe("listing", () => {
    it("yields nothing on an empty store", async () => {
      const store = await create();
      expect(await collect(store.list(""))).toEqual([]);
      expect(await collect(store.list("nothing/here/"))).toEqual([]);
    });

    it("returns exactly the keys that start with the prefix, as a plain string prefix", async () => {
      const store = await create();
      for (const key of NEIGHBOURS) await store.put(key, utf8(key), { mode: PutModes.overwrite });
      const expectPrefix = async (prefix: string): Promise<void> => {
        const listed = (await collect(store.list(prefix))).map((m) => m.key);
        const expected = NEIGHBOURS.filter((k) => k.startsWith(prefix)).sort();
        expect(listed.sort(), `list(${JSON.stringify(prefix)})`).toEqual(expected);
      };
      for (const prefix of ["", "p", "p/", "p/b", "p/b/", "p/b/y", "p/b/y/z", "p/c", "p/d", "pb", "q/", "q/p/b/", "x"]) {
        await expectPrefix(prefix);
      }
    });

    it("lists size and version that agree with head, and forgets deleted keys", async () => {
      const store = await create();
      await store.put("meta/a", utf8("12345"), { mode: PutModes.overwrite });
      await store.put("meta/b", utf8(""), { mode: PutModes.overwrite });
      await store.put("meta/c", utf8("c"), { mode: PutModes.overwrite });
      await store.delete("meta/c");
      const listed = await collect(store.list("meta/"));
      expect(listed.map((m) => m.key).sort()).toEqual(["meta/a", "meta/b"]);
      for (const meta of listed) {
        const head = await store.head(meta.key);
        expect(meta.size).toBe(head.size);
        expect(meta.version).toBe(head.version);
        expect(meta.lastModified).toBeInstanceOf(Date);
      }
    });

    it(
      `lists ${MANY} keys across pages, each exactly once`,
      async () => {
        const store = await create();
        const keys = Array.from({ length: MANY }, (_, i) => `many/${i % 10}/${String(i).padStart(5, "0")}.bin`);
        await mapLimit(keys, PUT_CONCURRENCY, (key) => store.put(key, utf8(key.slice(-9)), { mode: PutModes.overwrite }));
        await store.put("manyother", utf8("neighbour"), { mode: PutModes.overwrite });

        const listed = (await collect(store.list("many/"))).map((m) => m.key);
        expect(listed).toHaveLength(MANY);
        expect(new Set(listed).size).toBe(MANY);
        expect(listed.sort()).toEqual([...keys].sort());

        const three = await listKeys(store, "many/3/");
        expect(three).toEqual(keys.filter((k) => k.startsWith("many/3/")).sort());
        expect(three).toHaveLength(MANY / 10);
      },
      SLOW_TIMEOUT_MS,
    );
  });
}
