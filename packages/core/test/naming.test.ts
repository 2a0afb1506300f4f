import { describe, expect, it } from "vitest";
import {
  bitReverse64, bitReversedName, entryFileName, manifestFileName, parseEntryFileName, parseManifestFileName,
  ShardPaths, MAX_U64, InvalidArgumentError,
} from "../src/index.js";

describe("bit-reversed names (DESIGN.md section 3 vectors)", () => {
  const vectors: Array<[bigint, bigint, string]> = [
    [0n, 0x0000000000000000n, "0".repeat(64)],
    [1n, 0x8000000000000000n, "1" + "0".repeat(63)],
    [2n, 0x4000000000000000n, "01" + "0".repeat(62)],
    [5n, 0xa000000000000000n, "101" + "0".repeat(61)],
    [9n, 0x9000000000000000n, "1001" + "0".repeat(60)],
  ];
  for (const [n, hex, bits] of vectors) {
    it(`position ${n}`, () => {
      expect(bitReverse64(n)).toBe(hex);
      expect(bitReversedName(n)).toBe(bits);
      expect(entryFileName(n)).toBe(`${bits}.arrow`);
      expect(parseEntryFileName(`${bits}.arrow`)).toBe(n);
    });
  }

  it("is exact at the top of the range", () => {
    expect(bitReversedName(MAX_U64)).toBe("1".repeat(64));
    expect(parseEntryFileName(`${"1".repeat(64)}.arrow`)).toBe(MAX_U64);
    const big = (1n << 63n) + 12345n;
    expect(parseEntryFileName(entryFileName(big))).toBe(big);
    expect(bitReverse64(1n << 63n)).toBe(1n);
  });

  it("round-trips many positions and versions", () => {
    for (let i = 0n; i < 2000n; i += 7n) {
      const n = i * 0x9e3779b97f4a7c15n % (MAX_U64 + 1n);
      expect(parseEntryFileName(entryFileName(n))).toBe(n);
      expect(parseManifestFileName(manifestFileName(n))).toBe(n);
      expect(bitReverse64(bitReverse64(n))).toBe(n);
    }
  });

  it("refuses values outside u64", () => {
    expect(() => bitReverse64(-1n)).toThrow(InvalidArgumentError);
    expect(() => bitReverse64(MAX_U64 + 1n)).toThrow(InvalidArgumentError);
  });

  it("returns nothing (never throws) for names that are not entries", () => {
    const ok = "1" + "0".repeat(63);
    const bad = [
      "",
      "abc",
      `${ok.slice(1)}.arrow`, // 63 chars
      `${ok}0.arrow`, // 65 chars
      `${ok.slice(0, 63)}2.arrow`, // not binary
      `${ok.slice(0, 63)} .arrow`,
      `${ok}.arrow.tmp.1234`, // temp file of the reference implementation
      `${ok}.arrow.tmp`,
      `${ok}.binpb`, // a manifest is not an entry
      `${ok}.ARROW`,
      `${ok}`,
      `.${ok}.arrow`,
    ];
    for (const name of bad) expect(parseEntryFileName(name), name).toBeUndefined();
    expect(parseManifestFileName(`${ok}.arrow`)).toBeUndefined();
    expect(parseManifestFileName(`${ok}.binpb.tmp.9`)).toBeUndefined();
    expect(parseManifestFileName(`${ok}.binpb`)).toBe(1n);
  });
});

describe("ShardPaths", () => {
  const id = "aa48498d-ac91-59e2-8452-69f46010ace2";
  it("lays out keys like Lance", () => {
    const p = new ShardPaths("data/table", id);
    expect(p.root).toBe(`data/table/_mem_wal/${id}`);
    expect(p.entryKey(1n)).toBe(`data/table/_mem_wal/${id}/wal/1${"0".repeat(63)}.arrow`);
    expect(p.manifestKey(2n)).toBe(`data/table/_mem_wal/${id}/manifest/01${"0".repeat(62)}.binpb`);
    expect(p.versionHintKey).toBe(`data/table/_mem_wal/${id}/manifest/version_hint.json`);
    expect(p.positionOfKey(p.entryKey(77n))).toBe(77n);
    expect(p.positionOfKey(`${p.entryKey(77n)}.tmp.1`)).toBeUndefined();
    expect(p.positionOfKey(`${p.walPrefix}sub/${entryFileName(3n)}`)).toBeUndefined();
  });
  it("gives keys starting at _mem_wal/ for an empty base", () => {
    expect(new ShardPaths("", id).root).toBe(`_mem_wal/${id}`);
    expect(new ShardPaths("t/", id).root).toBe(`t/_mem_wal/${id}`);
  });
  it("refuses bad shard ids and bases with a typed error", () => {
    expect(() => new ShardPaths("", "AA48498D-AC91-59E2-8452-69F46010ACE2")).toThrow(InvalidArgumentError);
    expect(() => new ShardPaths("", "not-a-uuid")).toThrow(/shard id/);
    expect(() => new ShardPaths("../x", id)).toThrow(InvalidArgumentError);
    expect(() => new ShardPaths("/abs", id)).toThrow(InvalidArgumentError);
  });
});
