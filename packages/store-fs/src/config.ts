import { InvalidArgumentError } from "@wal/core";

/** Options of {@link FsStore}. */
export interface FsStoreOptions {
  /**
   * The directory that holds every object; keys are paths relative to it. Created (with its
   * parents) on first use when missing. Nothing outside it is ever read or written: keys with `..`
   * segments, absolute keys and symbolic links that lead outside it are refused.
   */
  readonly root: string;
  /**
   * Call `fsync` on every written file and on the directories a write changes, so that a `put` that
   * resolved survives a power loss. Default `true`. Turn off only for tests and throw-away data: a
   * crash may then lose or (on some filesystems) zero-fill recently written objects.
   */
  readonly fsync?: boolean;
}

/** {@link FsStoreOptions} with defaults applied. */
export interface ResolvedFsStoreOptions {
  readonly root: string;
  readonly fsync: boolean;
}

/**
 * Applies defaults and fails fast on unusable options.
 * @throws InvalidArgumentError when `root` is missing or empty, or `fsync` is not a boolean.
 */
export function resolveFsStoreOptions(options: FsStoreOptions): ResolvedFsStoreOptions {
  if (typeof options?.root !== "string" || options.root.length === 0) {
    throw new InvalidArgumentError("FsStore option 'root' is required (a directory path)");
  }
  if (options.root.includes("\0")) throw new InvalidArgumentError("FsStore option 'root' contains a NUL character");
  if (options.fsync !== undefined && typeof options.fsync !== "boolean") {
    throw new InvalidArgumentError(`FsStore option 'fsync' must be a boolean, got ${typeof options.fsync}`);
  }
  return { root: options.root, fsync: options.fsync ?? true };
}
