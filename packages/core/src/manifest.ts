/**
 * Shard manifests: one protobuf object per version (`manifest/{bitrev(v)}.binpb`), each written with
 * create-if-absent so two writers can never both commit a version, plus `version_hint.json`, a hint
 * that may be stale, missing or corrupt and is never trusted beyond "start looking here".
 *
 * Fields this library does not know are kept (protobuf unknown fields) when a manifest is read and
 * written back, so Lance's own fields survive our commits.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ShardManifestSchema, ShardIdSchema, type ShardManifest } from "./gen/shard_manifest_pb.js";
import type { ObjectStore } from "./object-store.js";
import { PutModes } from "./object-store.js";
import { AlreadyExistsError, CorruptManifestError } from "./errors.js";
import { createObject } from "./create.js";
import type { RetryOptions } from "./retry.js";
import { getIfExists, objectExists } from "./absent.js";
import type { ShardPaths } from "./naming.js";

export type { ShardManifest } from "./gen/shard_manifest_pb.js";

/** Something the caller may want to log; never an error that changes an outcome. */
export type WarningHandler = (message: string, cause?: unknown) => void;

export const defaultWarningHandler: WarningHandler = (message, cause) => {
  process.emitWarning(cause === undefined ? message : `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, "WalWarning");
};

/** @throws CorruptManifestError naming `key` when the bytes are not a shard manifest. */
export function decodeManifest(bytes: Uint8Array, key: string): ShardManifest {
  try {
    return fromBinary(ShardManifestSchema, bytes, { readUnknownFields: true });
  } catch (e) {
    throw new CorruptManifestError(key, `not a protobuf ShardManifest (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

export function encodeManifest(manifest: ShardManifest): Uint8Array {
  return toBinary(ShardManifestSchema, manifest, { writeUnknownFields: true });
}

/** The first manifest of a shard (version 1 is set by the claim). */
export function newShardManifest(shardId: string): ShardManifest {
  return create(ShardManifestSchema, {
    version: 0n,
    writerEpoch: 0n,
    shardId: create(ShardIdSchema, { uuid: uuidBytes(shardId) }),
  });
}

/** A copy of `m` with some fields changed; unknown fields are carried over. */
export function nextManifest(m: ShardManifest, changes: Partial<Pick<ShardManifest, "version" | "writerEpoch" | "replayAfterWalEntryPosition" | "walEntryPositionLastSeen" | "pipelineDepth">>): ShardManifest {
  const copy = fromBinary(ShardManifestSchema, encodeManifest(m), { readUnknownFields: true });
  return Object.assign(copy, changes);
}

function uuidBytes(id: string): Uint8Array {
  return Uint8Array.from(Buffer.from(id.replace(/-/g, ""), "hex"));
}

export interface ManifestVersion {
  readonly version: bigint;
  readonly manifest: ShardManifest;
}

/** Reads and writes one shard's manifests. */
export class ManifestStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly paths: ShardPaths,
    private readonly onWarning: WarningHandler = defaultWarningHandler,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The manifest at `version`, or undefined when absent. @throws CorruptManifestError, StoreError. */
  async read(version: bigint): Promise<ShardManifest | undefined> {
    const key = this.paths.manifestKey(version);
    const bytes = await getIfExists(this.store, key);
    return bytes && decodeManifest(bytes, key);
  }

  /**
   * The latest manifest, or undefined for a shard that has none. Starts at the hint, falls back to a
   * listing when the hint is missing, corrupt or names a version that does not exist, then probes
   * forward by HEAD until a version is missing (the hint is written after the version, so it lags).
   * @throws CorruptManifestError when the latest version cannot be decoded; StoreError on I/O failure.
   */
  async readLatest(): Promise<ManifestVersion | undefined> {
    let start = await this.readHint();
    if (start !== undefined && start > 0n && !(await this.exists(start))) start = undefined;
    if (start === undefined) start = await this.highestListed();
    let version = start;
    while (await this.exists(version + 1n)) version++;
    if (version === 0n) return undefined;
    const manifest = await this.read(version);
    if (!manifest) {
      // Deleted between the probe and the read: only a concurrent cleanup does that; look again.
      return this.readLatest();
    }
    return { version, manifest };
  }

  /**
   * Writes `manifest` at `manifest.version` with create-if-absent (transient failures retried, an
   * ambiguous outcome resolved by reading back), then updates the hint.
   * @throws AlreadyExistsError when that version exists (a peer committed first); StoreError on I/O failure.
   * A failure to update the hint is reported through `onWarning`, not thrown: the version is committed.
   */
  async write(manifest: ShardManifest): Promise<void> {
    const key = this.paths.manifestKey(manifest.version);
    if ((await createObject(this.store, key, encodeManifest(manifest), this.retry)) === "taken") {
      throw new AlreadyExistsError(`shard manifest version ${manifest.version} exists: ${key}`, { backend: this.store.name, key });
    }
    try {
      const hint = new TextEncoder().encode(JSON.stringify({ version: Number(manifest.version) }));
      await this.store.put(this.paths.versionHintKey, hint, { mode: PutModes.overwrite });
    } catch (e) {
      this.onWarning(`could not update ${this.paths.versionHintKey} to version ${manifest.version}`, e);
    }
  }

  /** The hinted version, or undefined when the hint is missing or unreadable (reported as a warning). */
  async readHint(): Promise<bigint | undefined> {
    const bytes = await getIfExists(this.store, this.paths.versionHintKey);
    if (!bytes) return undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { version?: unknown };
      const v = parsed.version;
      if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
      if (typeof v === "string" && /^[0-9]+$/.test(v)) return BigInt(v);
      throw new Error(`'version' is ${JSON.stringify(v)}`);
    } catch (e) {
      this.onWarning(`ignoring corrupt manifest hint ${this.paths.versionHintKey}`, e);
      return undefined;
    }
  }

  private exists(version: bigint): Promise<boolean> {
    return objectExists(this.store, this.paths.manifestKey(version));
  }

  private async highestListed(): Promise<bigint> {
    let highest = 0n;
    for await (const meta of this.store.list(this.paths.manifestPrefix)) {
      const v = this.paths.versionOfKey(meta.key);
      if (v !== undefined && v > highest) highest = v;
    }
    return highest;
  }
}
