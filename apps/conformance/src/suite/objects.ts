import { describe, expect, it } from "vitest";
import { PutModes } from "@wal/core";
import type { ConformanceOptions } from "./run-conformance.js";
import { SLOW_TIMEOUT_MS, listKeys, patternBytes, sameBytes, sha256, text, utf8 } from "./helpers.js";

const SHARD = "0b6c5a5e-8d3f-4a21-9c7e-1f2a3b4c5d6e";
const BITS_ONE = `1${"0".repeat(63)}`;
const BITS_FIVE = `101${"0".repeat(61)}`;

/** Every character a Lance MemWAL path may hold, plus a few specials a URL-based backend must escape. */
export const CONFORMANCE_KEYS: readonly string[] = [
  `_mem_wal/${SHARD}/wal/${"0".repeat(64)}.arrow`,
  `_mem_wal/${SHARD}/wal/${BITS_ONE}.arrow`,
  `_mem_wal/${SHARD}/wal/${BITS_FIVE}.arrow`,
  `_mem_wal/${SHARD}/manifest/${BITS_ONE}.binpb`,
  `_mem_wal/${SHARD}/manifest/version_hint.json`,
  "dataset.lance/data/part=2024-01-01/file_A-9.z.lance",
  "deep/a/b/c/d/e/f/g/h.bin",
  "specials/with space.txt",
  "specials/plus+sign",
  "specials/percent%20literal",
  "specials/tilde~x",
  "specials/at@host",
  "specials/comma,separated",
  "unicode/café-é.txt",
  "unicode/日本語.bin",
];

/** Object shapes: empty, ranged reads, large, and every kind of key character. */
export function objectCases({ create }: ConformanceOptions): void {
  describe("objects", () => {
    it("round-trips an empty object", async () => {
      const store = await create();
      await store.put("objects/empty", new Uint8Array(0), { mode: PutModes.overwrite });
      const got = await store.get("objects/empty");
      expect(got.bytes.byteLength).toBe(0);
      expect(got.meta.size).toBe(0);
      expect((await store.head("objects/empty")).size).toBe(0);
      const listed = [];
      for await (const meta of store.list("objects/")) listed.push(meta);
      expect(listed.map((m) => [m.key, m.size])).toEqual([["objects/empty", 0]]);
      await store.put("objects/empty-created", new Uint8Array(0), { mode: PutModes.create });
      expect((await store.get("objects/empty-created")).bytes.byteLength).toBe(0);
      expect((await store.get("objects/empty", { range: { start: 0, end: 10 } })).bytes.byteLength).toBe(0);
    });

    it("serves ranged reads as half-open [start, end) clipped to the size", async () => {
      const store = await create();
      const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
      await store.put("objects/ranged", bytes, { mode: PutModes.overwrite });
      const read = async (start: number, end?: number): Promise<number[]> => {
        const got = await store.get("objects/ranged", { range: end === undefined ? { start } : { start, end } });
        // meta describes the whole object, not the range
        expect(got.meta.size).toBe(100);
        return [...got.bytes];
      };
      const span = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
      expect(await read(10, 20)).toEqual(span(10, 20));
      expect(await read(0, 7)).toEqual(span(0, 7));
      expect(await read(90)).toEqual(span(90, 100));
      expect(await read(95, 1000)).toEqual(span(95, 100));
      expect(await read(99, 100)).toEqual([99]);
      expect(await read(0, 100)).toEqual(span(0, 100));
      expect(await read(100)).toEqual([]);
      expect(await read(100, 120)).toEqual([]);
      expect(await read(150)).toEqual([]);
      expect(await read(150, 200)).toEqual([]);
      expect(await read(40, 40)).toEqual([]);
    });

    it(
      "round-trips a 16 MiB object and reads its last bytes by range",
      async () => {
        const store = await create();
        const size = 16 * 1024 * 1024;
        const bytes = patternBytes(size, 7);
        await store.put("objects/large.bin", bytes, { mode: PutModes.overwrite });
        const head = await store.head("objects/large.bin");
        expect(head.size).toBe(size);
        const got = await store.get("objects/large.bin");
        expect(got.bytes.byteLength).toBe(size);
        expect(sha256(got.bytes)).toBe(sha256(bytes));
        const tail = await store.get("objects/large.bin", { range: { start: size - 4096 } });
        expect(sameBytes(tail.bytes, bytes.subarray(size - 4096))).toBe(true);
        const middle = await store.get("objects/large.bin", { range: { start: 5_000_001, end: 13_000_003 } });
        expect(sha256(middle.bytes)).toBe(sha256(bytes.subarray(5_000_001, 13_000_003)));
      },
      SLOW_TIMEOUT_MS,
    );

    it(
      "stores, reads and lists keys with every Lance path character and URL-unsafe characters",
      async () => {
        const store = await create();
        for (const key of CONFORMANCE_KEYS) {
          await store.put(key, utf8(`content of ${key}`), { mode: PutModes.create });
        }
        for (const key of CONFORMANCE_KEYS) {
          const got = await store.get(key);
          expect(text(got.bytes)).toBe(`content of ${key}`);
          expect(got.meta.key).toBe(key);
          expect((await store.head(key)).key).toBe(key);
        }
        expect(await listKeys(store, "")).toEqual([...CONFORMANCE_KEYS].sort());
        expect(await listKeys(store, `_mem_wal/${SHARD}/wal/`)).toEqual(
          CONFORMANCE_KEYS.filter((k) => k.startsWith(`_mem_wal/${SHARD}/wal/`)).sort(),
        );
        expect(await listKeys(store, "unicode/caf")).toEqual(["unicode/café-é.txt"]);
        expect(await listKeys(store, "specials/with space")).toEqual(["specials/with space.txt"]);
        for (const key of CONFORMANCE_KEYS) await store.delete(key);
        expect(await listKeys(store, "")).toEqual([]);
      },
      SLOW_TIMEOUT_MS,
    );
  });
}
