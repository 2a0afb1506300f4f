/**
 * The storage contract every backend implements. It is deliberately small and has no default
 * implementations: a backend either does a thing correctly or says, through its capabilities
 * and a `NotImplementedError`, that it cannot.
 *
 * Keys are `/`-separated, relative to the store's own root or prefix, never start with `/`.
 */

/** How a `put` treats an existing object. */
export type PutMode =
  /** Replace whatever is there. */
  | { readonly kind: "overwrite" }
  /** Write only if no object exists at the key; otherwise `AlreadyExistsError`. */
  | { readonly kind: "create" }
  /** Write only if the current version token equals `version`; otherwise `PreconditionFailedError`. */
  | { readonly kind: "update"; readonly version: string };

export const PutModes = {
  overwrite: { kind: "overwrite" } as PutMode,
  create: { kind: "create" } as PutMode,
  update: (version: string): PutMode => ({ kind: "update", version }),
} as const;

export interface PutOptions {
  readonly mode: PutMode;
  readonly signal?: AbortSignal;
}

export interface PutResult {
  /** The version token of the object just written (etag, generation, ...). Opaque. */
  readonly version: string;
}

/** A half-open byte range `[start, end)`. `end` is clipped to the object size; omitted means "to the end". */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface GetOptions {
  /** Read only these bytes. A range that starts at or past the end of the object yields zero bytes. */
  readonly range?: ByteRange;
  readonly signal?: AbortSignal;
}

export interface ObjectMeta {
  readonly key: string;
  /** Size of the whole object in bytes (not of a requested range). */
  readonly size: number;
  /** Opaque version token usable with `PutModes.update`. */
  readonly version: string;
  readonly lastModified: Date;
}

export interface GetResult {
  readonly bytes: Uint8Array;
  readonly meta: ObjectMeta;
}

/** What a backend supports. A missing capability makes the matching call fail with `NotImplementedError`. */
export interface StoreCapabilities {
  /** `put` with `{kind: "create"}` is atomic: of many concurrent creators exactly one wins. */
  readonly create: boolean;
  /** `put` with `{kind: "update"}` is an atomic compare-and-swap on the version token. */
  readonly update: boolean;
}

export interface ObjectStore {
  /** Short backend name used in errors and logs, e.g. `"s3"`, `"fs"`, `"memory"`. Never holds credentials. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Writes `bytes` at `key` according to `options.mode`.
   * @throws AlreadyExistsError (create mode, key exists), PreconditionFailedError (update mode,
   * version changed or key missing), NotImplementedError (mode not in capabilities), or any other
   * `StoreError`.
   */
  put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult>;

  /** @throws NotFoundError when the key does not exist. */
  get(key: string, options?: GetOptions): Promise<GetResult>;

  /** @throws NotFoundError when the key does not exist. */
  head(key: string): Promise<ObjectMeta>;

  /**
   * Every object whose key starts with `prefix` (a plain string prefix, not a directory), paginating
   * inside. Order is unspecified. Incomplete writes (temporary files, uncommitted uploads) are never listed.
   */
  list(prefix: string): AsyncIterable<ObjectMeta>;

  /** Deletes `key`. Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}
