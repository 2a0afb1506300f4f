import { randomBytes } from "node:crypto";
import fs, { promises as fsp, type BigIntStats } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import {
  GenericStoreError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  resolveRange,
  validateKey,
  type GetOptions,
  type GetResult,
  type ObjectMeta,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  type StoreCapabilities,
} from "@wal/core";
import { resolveFsStoreOptions, type FsStoreOptions } from "./config.js";
import { mapFsError, type FsOperation } from "./map-error.js";

/**
 * Temporary files are `.<name>.tmp.<16 hex>`: the leading dot and the text after the extension mean
 * no WAL name parser can take one for an entry, and listing skips every name of this shape.
 */
const TEMP_NAME = /^\..*\.tmp\.[0-9a-f]{16}$/;

/** True for the names `FsStore` gives its temporary files (which are never objects). */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Where a key lives once the existing part of its directory chain has been resolved. */
interface ResolvedKey {
  /** Real path of the deepest existing directory on the way to the key (inside the root). */
  readonly dir: string;
  /** Directory segments below `dir` that do not exist yet. */
  readonly missing: readonly string[];
  /** The last segment of the key. */
  readonly base: string;
}

/**
 * An `ObjectStore` on a local directory. Every write goes to a temporary file in the target's own
 * directory, is fsynced, then published in one step (`link` for create, which fails if the target
 * exists even across processes; `rename` for overwrite), and the directory is fsynced, so a reader
 * never sees a partial object and a resolved `put` survives a power loss.
 *
 * Update-if-version is not supported (`capabilities.update` is false): a compare-and-swap over
 * `stat` + `rename` is not atomic across processes.
 */
export class FsStore implements ObjectStore {
  readonly name = "fs";
  readonly capabilities: StoreCapabilities = { create: true, update: false };
  /** The absolute root directory, as configured (before resolving symbolic links). */
  readonly root: string;
  private readonly fsync: boolean;
  private realRootPromise: Promise<string> | undefined;

  /** @throws InvalidArgumentError when the options are unusable (see {@link FsStoreOptions}). */
  constructor(options: FsStoreOptions) {
    const resolved = resolveFsStoreOptions(options);
    this.root = path.resolve(resolved.root);
    this.fsync = resolved.fsync;
  }

  /**
   * Writes `bytes` at `key` atomically.
   * @throws InvalidArgumentError (bad key or mode), AlreadyExistsError (create mode, key exists),
   * NotImplementedError (update mode), PermissionDeniedError (key leads outside the root, or the OS
   * refuses), UnavailableError (out of file handles, busy), GenericStoreError (anything else, e.g. a
   * key segment that is an existing file).
   */
  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    this.checkKey(key);
    options.signal?.throwIfAborted();
    const mode = options.mode;
    if (mode.kind === "update") {
      throw new NotImplementedError(`${this.name} does not support update-if-version puts (key ${key})`, {
        backend: this.name,
        key,
      });
    }
    if (mode.kind !== "create" && mode.kind !== "overwrite") {
      throw new InvalidArgumentError(`unknown put mode ${JSON.stringify(mode)} for ${key}`);
    }
    try {
      const resolved = await this.resolveKey(key, "put");
      const dir = await this.makeDirectories(key, resolved);
      const target = path.join(dir, resolved.base);
      const temp = path.join(dir, tempNameFor(resolved.base));
      let published = false;
      try {
        const stat = await this.writeTempFile(temp, bytes);
        // Metadata calls that do not wait for the disk run synchronously: a few microseconds on the
        // event loop cost less than a round trip through libuv's thread pool.
        if (mode.kind === "create") {
          // link() refuses an existing target atomically, unlike rename(), which would replace it.
          fs.linkSync(temp, target);
        } else {
          fs.renameSync(temp, target);
          published = true;
        }
        return { version: versionOf(stat) };
      } finally {
        if (!published) await removeTempFile(temp);
        // Also after a failed create: the removed temp entry should not come back after a crash.
        if (this.fsync) await syncDirectory(dir);
      }
    } catch (e) {
      throw mapFsError(e, this.name, "put", key);
    }
  }

  /**
   * Reads the object at `key`, or only `options.range` of it (only those bytes are read from disk).
   * @throws NotFoundError (no object at `key`), InvalidArgumentError (bad key or range),
   * PermissionDeniedError (key leads outside the root), UnavailableError, GenericStoreError.
   */
  async get(key: string, options?: GetOptions): Promise<GetResult> {
    this.checkKey(key);
    options?.signal?.throwIfAborted();
    try {
      const file = await this.resolveExistingFile(key, "get");
      const handle = await fsp.open(file, "r");
      try {
        const stat = await handle.stat({ bigint: true });
        if (!stat.isFile()) throw this.notFound(key);
        const size = Number(stat.size);
        const { start, end } = options?.range ? resolveRange(options.range, size) : { start: 0, end: size };
        const bytes = new Uint8Array(end - start);
        let filled = 0;
        while (filled < bytes.byteLength) {
          const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, start + filled);
          // The file cannot shrink under us (writers replace it, never truncate), so EOF here is a fault.
          if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + filled} of ${size}`);
          filled += bytesRead;
        }
        return { bytes, meta: metaOf(key, stat) };
      } finally {
        await handle.close();
      }
    } catch (e) {
      throw mapFsError(e, this.name, "get", key);
    }
  }

  /**
   * Size, version and modification time of the object at `key`.
   * @throws NotFoundError (no object at `key`), InvalidArgumentError (bad key), PermissionDeniedError
   * (key leads outside the root), UnavailableError, GenericStoreError.
   */
  async head(key: string): Promise<ObjectMeta> {
    this.checkKey(key);
    try {
      const file = await this.resolveExistingFile(key, "head");
      const stat = await fsp.stat(file, { bigint: true });
      if (!stat.isFile()) throw this.notFound(key);
      return metaOf(key, stat);
    } catch (e) {
      throw mapFsError(e, this.name, "head", key);
    }
  }

  /**
   * Every object whose key starts with `prefix` (a plain string prefix), walking only the deepest
   * directory the prefix names. Temporary files and symbolic links are never listed.
   * @throws PermissionDeniedError (the prefix's directory leads outside the root), UnavailableError,
   * GenericStoreError.
   */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const namePrefix = prefix.slice(slash + 1);
    // A prefix whose directory part no valid key can have (`../`, `/x`, `a//`) matches nothing.
    if (slash >= 0 && !isValidKey(dirKey, this.name)) return;
    let start: string;
    try {
      const realRoot = await this.realRoot();
      try {
        start = dirKey === "" ? realRoot : await fsp.realpath(path.join(realRoot, ...dirKey.split("/")));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return;
        throw e;
      }
      this.assertInside(start, realRoot, prefix);
    } catch (e) {
      throw mapFsError(e, this.name, "list", prefix);
    }
    yield* this.walk(start, dirKey === "" ? "" : `${dirKey}/`, namePrefix, prefix);
  }

  /**
   * Removes the object at `key`; a missing key is not an error.
   * @throws InvalidArgumentError (bad key), PermissionDeniedError (key leads outside the root, or the
   * OS refuses), UnavailableError, GenericStoreError.
   */
  async delete(key: string): Promise<void> {
    this.checkKey(key);
    try {
      const resolved = await this.resolveKey(key, "delete");
      if (resolved.missing.length > 0) return;
      try {
        // unlink removes a symbolic link itself, never what it points to.
        await fsp.unlink(path.join(resolved.dir, resolved.base));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // No object there: absent, or the key names a directory (which holds objects, but is none).
        if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return;
        throw e;
      }
      if (this.fsync) await syncDirectory(resolved.dir);
    } catch (e) {
      throw mapFsError(e, this.name, "delete", key);
    }
  }

  private async *walk(dir: string, keyPrefix: string, namePrefix: string, prefix: string): AsyncGenerator<ObjectMeta> {
    let entries: string[];
    let directories: string[];
    try {
      // Read one directory at a time and recurse after closing it, so deep trees hold one handle.
      const found = await readDirectory(dir, namePrefix);
      entries = found.files;
      directories = found.directories;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Removed while we walked: nothing is under it any more.
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw mapFsError(e, this.name, "list", prefix);
    }
    for (const name of entries) {
      const key = keyPrefix + name;
      if (!key.startsWith(prefix)) continue;
      let stat: BigIntStats;
      try {
        stat = await fsp.lstat(path.join(dir, name), { bigint: true });
      } catch (e) {
        // Deleted between readdir and stat: it is simply no longer there.
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw mapFsError(e, this.name, "list", key);
      }
      if (stat.isFile()) yield metaOf(key, stat);
    }
    for (const name of directories) {
      yield* this.walk(path.join(dir, name), `${keyPrefix}${name}/`, "", prefix);
    }
  }

  private checkKey(key: string): void {
    validateKey(key, this.name);
    for (const segment of key.split("/")) {
      if (isTempFileName(segment)) {
        throw new InvalidArgumentError(
          `invalid object key ${JSON.stringify(key)} for ${this.name}: segment ${JSON.stringify(segment)} has the reserved temporary-file form`,
        );
      }
    }
  }

  private realRoot(): Promise<string> {
    if (!this.realRootPromise) {
      const attempt = (async () => {
        try {
          await fsp.mkdir(this.root, { recursive: true });
        } catch (e) {
          // EEXIST from a recursive mkdir means a file is in the way; report that, not AlreadyExists.
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const real = await fsp.realpath(this.root);
        if (!(await fsp.stat(real)).isDirectory()) {
          throw new GenericStoreError(`${this.name} store root is not a directory`, { backend: this.name });
        }
        return real;
      })();
      // Forget a failure so that a later call can succeed once the cause is fixed.
      attempt.catch(() => {
        if (this.realRootPromise === attempt) this.realRootPromise = undefined;
      });
      this.realRootPromise = attempt;
    }
    return this.realRootPromise;
  }

  /**
   * Resolves symbolic links along the existing part of the key's directory chain and refuses a key
   * whose chain leaves the root.
   */
  private async resolveKey(key: string, op: FsOperation): Promise<ResolvedKey> {
    const realRoot = await this.realRoot();
    const segments = key.split("/");
    const base = segments.pop() as string;
    for (let depth = segments.length; depth >= 0; depth--) {
      let dir: string;
      try {
        dir = fs.realpathSync.native(path.join(realRoot, ...segments.slice(0, depth)));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && depth > 0) continue;
        throw mapFsError(e, this.name, op, key);
      }
      this.assertInside(dir, realRoot, key);
      return { dir, missing: segments.slice(depth), base };
    }
    throw new Error("unreachable: the root itself always resolves");
  }

  /** The real path of the file behind `key`, checked to be inside the root. */
  private async resolveExistingFile(key: string, op: FsOperation): Promise<string> {
    const resolved = await this.resolveKey(key, op);
    if (resolved.missing.length > 0) throw this.notFound(key);
    // Follows a symbolic link at the key itself, which may point anywhere.
    const file = fs.realpathSync.native(path.join(resolved.dir, resolved.base));
    this.assertInside(file, await this.realRoot(), key);
    return file;
  }

  /** Creates the missing directories of a key, fsyncing each parent so the new entries are durable. */
  private async makeDirectories(key: string, resolved: ResolvedKey): Promise<string> {
    let dir = resolved.dir;
    let racedWithPeer = false;
    for (const segment of resolved.missing) {
      const parent = dir;
      dir = path.join(dir, segment);
      try {
        await fsp.mkdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        racedWithPeer = true;
      }
      if (this.fsync) await syncDirectory(parent);
    }
    if (racedWithPeer) {
      // Someone else made a segment meanwhile; it might be a symbolic link, so check again.
      const real = await fsp.realpath(dir);
      this.assertInside(real, await this.realRoot(), key);
      return real;
    }
    return dir;
  }

  private async writeTempFile(temp: string, bytes: Uint8Array): Promise<BigIntStats> {
    // "wx": never reuse a file someone else created under the same name.
    const fd = fs.openSync(temp, "wx", 0o644);
    try {
      if (bytes.byteLength <= SYNC_WRITE_LIMIT) {
        // Into the page cache: fast enough to do without leaving the event loop.
        for (let done = 0; done < bytes.byteLength; ) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
      } else {
        for (let done = 0; done < bytes.byteLength; ) done += (await writeAsync(fd, bytes, done, bytes.byteLength - done)).bytesWritten;
      }
      // The wait for the disk goes to the thread pool, so other work proceeds meanwhile.
      if (this.fsync) await fsyncAsync(fd);
      // link/rename keep the inode, size and mtime, so this is the published object's version.
      return fs.fstatSync(fd, { bigint: true });
    } finally {
      fs.closeSync(fd);
    }
  }

  private assertInside(real: string, realRoot: string, key: string): void {
    const rootWithSep = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
    if (real !== realRoot && !real.startsWith(rootWithSep)) {
      throw new PermissionDeniedError(`key ${JSON.stringify(key)} leads outside the ${this.name} store root`, {
        backend: this.name,
        key,
      });
    }
  }

  private notFound(key: string): NotFoundError {
    return new NotFoundError(`${this.name}: object not found: ${JSON.stringify(key)}`, { backend: this.name, key });
  }
}

function isValidKey(key: string, backend: string): boolean {
  try {
    validateKey(key, backend);
    return true;
  } catch {
    return false;
  }
}

function tempNameFor(base: string): string {
  // Stay well under the 255-byte name limit whatever the key's last segment is.
  const shown = Buffer.byteLength(base) <= 128 ? base : base.slice(0, 32);
  return `.${shown}.tmp.${randomBytes(8).toString("hex")}`;
}

async function removeTempFile(temp: string): Promise<void> {
  try {
    fs.unlinkSync(temp);
  } catch (e) {
    // ENOENT (never created, or renamed into place) is the usual case. Any other failure leaves a
    // stray temp file that listing and reads ignore; the caller's own outcome is what matters.
    void e;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = fs.openSync(dir, "r");
  try {
    await fsyncAsync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Objects up to this size are written with synchronous calls (into the page cache, microseconds). */
const SYNC_WRITE_LIMIT = 1024 * 1024;
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}
const writeAsync = promisify(fs.write) as (
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number }>;

async function readDirectory(dir: string, namePrefix: string): Promise<{ files: string[]; directories: string[] }> {
  const files: string[] = [];
  const directories: string[] = [];
  const handle = await fsp.opendir(dir);
  for await (const entry of handle) {
    if (!entry.name.startsWith(namePrefix) || isTempFileName(entry.name)) continue;
    // Symbolic links are neither followed nor listed: following could loop or leave the root.
    if (entry.isDirectory()) directories.push(entry.name);
    else if (entry.isFile()) files.push(entry.name);
  }
  return { files, directories };
}

/**
 * Changes on every write: each write publishes a new inode, and while the old object still exists
 * the new inode cannot share its number, so consecutive versions of a key always differ.
 */
function versionOf(stat: BigIntStats): string {
  return `${stat.mtimeNs}-${stat.ino}-${stat.size}`;
}

function metaOf(key: string, stat: BigIntStats): ObjectMeta {
  return {
    key,
    size: Number(stat.size),
    version: versionOf(stat),
    lastModified: new Date(Number(stat.mtimeNs / 1_000_000n)),
  };
}
