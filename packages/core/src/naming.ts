/**
 * MemWAL object names (DESIGN.md section 3). Positions and versions are unsigned 64-bit integers,
 * handled as `bigint` so they stay exact up to 2^64-1. A name is the 64-bit value with its bits
 * reversed, written in base 2 and zero-padded to 64 characters: consecutive positions land far apart
 * in the key space, which spreads writes over an object store's prefix partitions.
 */
import { v4 as uuidv4 } from "uuid";
import { InvalidArgumentError } from "./errors.js";

export const MAX_U64 = (1n << 64n) - 1n;
export const ENTRY_EXTENSION = ".arrow";
export const MANIFEST_EXTENSION = ".binpb";
export const VERSION_HINT_NAME = "version_hint.json";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BITS_RE = /^[01]{64}$/;

function checkU64(n: bigint, what: string): void {
  if (typeof n !== "bigint" || n < 0n || n > MAX_U64) {
    throw new InvalidArgumentError(`${what} must be a bigint in [0, 2^64-1], got ${String(n)}`);
  }
}

/** Reverses the 64 bits of `n`. @throws InvalidArgumentError when `n` is not an unsigned 64-bit bigint. */
export function bitReverse64(n: bigint): bigint {
  checkU64(n, "value");
  let out = 0n;
  let v = n;
  for (let i = 0; i < 64; i++) {
    out = (out << 1n) | (v & 1n);
    v >>= 1n;
  }
  return out;
}

/** The 64-character bit string naming `n`. @throws InvalidArgumentError for values outside u64. */
export function bitReversedName(n: bigint): string {
  return bitReverse64(n).toString(2).padStart(64, "0");
}

/**
 * Parses a bit-reversed file name with exactly the given extension (`"0100…0.arrow"` -> 2n).
 * Returns `undefined` (never throws) for anything else: wrong length, characters other than 0/1,
 * another extension, or anything after the extension (temporary files like `….arrow.tmp.123`).
 */
export function parseBitReversedName(name: string, extension: string): bigint | undefined {
  if (typeof name !== "string") return undefined;
  const dot = name.indexOf(".");
  if (dot < 0) return undefined;
  if (name.slice(dot) !== extension) return undefined;
  const bits = name.slice(0, dot);
  if (!BITS_RE.test(bits)) return undefined;
  return bitReverse64(BigInt(`0b${bits}`));
}

/** File name of the WAL entry at `position`. */
export function entryFileName(position: bigint): string {
  return bitReversedName(position) + ENTRY_EXTENSION;
}

/** Position named by a WAL entry file name, or `undefined` if the name is not an entry. */
export function parseEntryFileName(name: string): bigint | undefined {
  return parseBitReversedName(name, ENTRY_EXTENSION);
}

/** File name of shard manifest `version`. */
export function manifestFileName(version: bigint): string {
  return bitReversedName(version) + MANIFEST_EXTENSION;
}

/** Version named by a manifest file name, or `undefined` if the name is not a manifest. */
export function parseManifestFileName(name: string): bigint | undefined {
  return parseBitReversedName(name, MANIFEST_EXTENSION);
}

/** A new random shard id: a lowercase, hyphenated (version 4) UUID, as Lance names shards. */
export function newShardId(): string {
  return uuidv4();
}

/** True for a lowercase, hyphenated UUID as Lance names shards. */
export function isShardId(id: string): boolean {
  return typeof id === "string" && UUID_RE.test(id);
}

/** Every key of one shard, relative to the store root. */
export class ShardPaths {
  /** `{base}/_mem_wal/{id}` (or `_mem_wal/{id}` for an empty base). */
  readonly root: string;
  /** Prefix of every WAL entry key, ending in `/`. */
  readonly walPrefix: string;
  /** Prefix of every manifest key, ending in `/`. */
  readonly manifestPrefix: string;
  readonly versionHintKey: string;

  /** @throws InvalidArgumentError when `shardId` is not a lowercase hyphenated UUID or `base` is malformed. */
  constructor(
    readonly base: string,
    readonly shardId: string,
  ) {
    if (!isShardId(shardId)) {
      throw new InvalidArgumentError(`shard id must be a lowercase hyphenated UUID, got ${JSON.stringify(shardId)}`);
    }
    if (typeof base !== "string" || base.startsWith("/") || base.split("/").some((s) => s === "." || s === "..")) {
      throw new InvalidArgumentError(`base must be a relative key prefix without '.' or '..' segments, got ${JSON.stringify(base)}`);
    }
    const trimmed = base.replace(/\/+$/, "");
    this.root = `${trimmed === "" ? "" : `${trimmed}/`}_mem_wal/${shardId}`;
    this.walPrefix = `${this.root}/wal/`;
    this.manifestPrefix = `${this.root}/manifest/`;
    this.versionHintKey = `${this.manifestPrefix}${VERSION_HINT_NAME}`;
  }

  entryKey(position: bigint): string {
    return this.walPrefix + entryFileName(position);
  }

  manifestKey(version: bigint): string {
    return this.manifestPrefix + manifestFileName(version);
  }

  /** The position of a listed key if it is an entry of this shard (not a temp file, not nested). */
  positionOfKey(key: string): bigint | undefined {
    if (!key.startsWith(this.walPrefix)) return undefined;
    return parseEntryFileName(key.slice(this.walPrefix.length));
  }

  /** The version of a listed key if it is a manifest of this shard. */
  versionOfKey(key: string): bigint | undefined {
    if (!key.startsWith(this.manifestPrefix)) return undefined;
    return parseManifestFileName(key.slice(this.manifestPrefix.length));
  }
}
