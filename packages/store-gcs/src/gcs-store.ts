import { CRC32C, IdempotencyStrategy, Storage } from "@google-cloud/storage";
import type { Bucket, File, FileMetadata, GetFilesOptions, GetFilesResponse, SaveOptions } from "@google-cloud/storage";
import { NotFoundError, PreconditionFailedError, resolveRange, validateKey } from "@wal/core";
import type { GetOptions, GetResult, ObjectMeta, ObjectStore, PutOptions, PutResult, StoreCapabilities } from "@wal/core";
import { parseGcsUri, resolveGcsConfig } from "./config.js";
import type { GcsStoreOptions, ResolvedGcsConfig } from "./config.js";
import { httpStatus, mapGcsError } from "./map-error.js";
import type { GcsOperation } from "./map-error.js";

const BACKEND = "gcs";

/**
 * An `ObjectStore` on Google Cloud Storage through `@google-cloud/storage`.
 *
 * The version token is the object's generation (a decimal string). Create-if-absent is an upload with
 * `ifGenerationMatch=0`; update-if-version is an upload with `ifGenerationMatch=<generation>`; GCS
 * applies both atomically.
 *
 * Retries: a client this store builds never retries (`autoRetry: false`, `RetryNever`). The SDK treats a
 * conditional upload as idempotent and would otherwise resend it after a timeout or 5xx; if the first
 * attempt had in fact landed, the resend fails its precondition and our own write would be reported as
 * `AlreadyExistsError`. The WAL retries at its own level, where it can resolve that ambiguity. An
 * injected client keeps its own retry settings.
 *
 * Abort signals: `put` checks its signal before it starts but does not cancel an upload in flight (the
 * SDK offers no way to, and an abandoned conditional upload would leave its outcome unknown); `get`
 * stops reading and rejects with the signal's reason.
 */
export class GcsStore implements ObjectStore {
  readonly name = BACKEND;
  readonly capabilities: StoreCapabilities = { create: true, update: true };
  /** The resolved bucket, prefix and endpoint (no credentials). */
  readonly config: ResolvedGcsConfig;
  private readonly bucket: Bucket;

  /** @throws InvalidArgumentError when a required option is missing or invalid. */
  constructor(options: GcsStoreOptions) {
    this.config = resolveGcsConfig(options);
    if (typeof options.bucket !== "string") {
      this.bucket = options.bucket;
    } else {
      const storage = options.storage ?? buildStorage(options, this.config);
      this.bucket = storage.bucket(this.config.bucketName);
    }
  }

  /**
   * A store on `gs://bucket/prefix`; `options` supplies everything else.
   * @throws InvalidArgumentError for a malformed URI or invalid options.
   */
  static fromUri(uri: string, options: Omit<GcsStoreOptions, "bucket" | "prefix"> = {}): GcsStore {
    const { bucket, prefix } = parseGcsUri(uri);
    return new GcsStore({ ...options, bucket, prefix });
  }

  /**
   * @throws AlreadyExistsError (create, key exists), PreconditionFailedError (update, generation differs or
   * object missing), InvalidArgumentError (bad key), or another `StoreError` mapped by `mapGcsError`.
   */
  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    validateKey(key, BACKEND);
    options.signal?.throwIfAborted();
    const mode = options.mode;
    let operation: GcsOperation;
    let ifGenerationMatch: string | undefined;
    switch (mode.kind) {
      case "overwrite":
        operation = "overwrite";
        break;
      case "create":
        operation = "create";
        ifGenerationMatch = "0";
        break;
      case "update":
        operation = "update";
        // Only a generation this store handed out can ever match; anything else cannot be current.
        if (!/^[1-9]\d*$/.test(mode.version)) {
          throw new PreconditionFailedError(`gcs update ${key}: ${JSON.stringify(mode.version)} is not a generation`, {
            backend: BACKEND,
            key,
          });
        }
        ifGenerationMatch = mode.version;
        break;
      default:
        throw new PreconditionFailedError(`gcs put ${key}: unknown put mode ${JSON.stringify(mode)}`, { backend: BACKEND, key });
    }
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const checksum = new CRC32C();
    checksum.update(data);
    const file = this.file(key);
    const saveOptions: SaveOptions = {
      resumable: false,
      // Client-side validation deletes the object (unconditionally) on a mismatch, which could delete a
      // peer's winning write. Sending the checksum instead makes GCS reject a corrupted upload atomically.
      validation: false,
      metadata: { contentType: "application/octet-stream", crc32c: checksum.toString() },
      timeout: this.config.timeoutMs,
    };
    if (ifGenerationMatch !== undefined) saveOptions.preconditionOpts = { ifGenerationMatch };
    try {
      await file.save(data, saveOptions);
    } catch (e) {
      throw mapGcsError(e, { operation, key, backend: BACKEND });
    }
    const generation = file.metadata.generation;
    if (generation === undefined || generation === null || String(generation) === "") {
      throw mapGcsError(new Error("upload response carried no generation"), { operation, key, backend: BACKEND });
    }
    return { version: String(generation) };
  }

  /** @throws NotFoundError when the key does not exist, or another mapped `StoreError`. */
  async get(key: string, options?: GetOptions): Promise<GetResult> {
    validateKey(key, BACKEND);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const range = options?.range;
    let start: number | undefined;
    let endInclusive: number | undefined;
    if (range) {
      // Validates the range without knowing the size yet.
      resolveRange(range, Number.MAX_SAFE_INTEGER);
      // HTTP cannot ask for zero bytes; the answer is empty anyway, but the key must exist.
      if (range.end !== undefined && range.end === range.start) return { bytes: new Uint8Array(0), meta: await this.head(key) };
      start = range.start;
      endInclusive = range.end === undefined ? undefined : range.end - 1;
    }
    try {
      return await this.download(key, start, endInclusive, signal);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      // 416: the range starts at or past the end, which the contract answers with zero bytes.
      if (range && httpStatus(e) === 416) return { bytes: new Uint8Array(0), meta: await this.head(key) };
      throw mapGcsError(e, { operation: "get", key, backend: BACKEND });
    }
  }

  /** @throws NotFoundError when the key does not exist, or another mapped `StoreError`. */
  async head(key: string): Promise<ObjectMeta> {
    validateKey(key, BACKEND);
    try {
      const [metadata] = await this.file(key).getMetadata();
      return this.metaFromResource(key, metadata);
    } catch (e) {
      throw mapGcsError(e, { operation: "head", key, backend: BACKEND });
    }
  }

  /** Every object under `prefix`, one list request per page. @throws a mapped `StoreError` while iterating. */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    let query: GetFilesOptions | null = {
      prefix: this.config.prefix + prefix,
      autoPaginate: false,
      maxResults: this.config.listPageSize,
    };
    while (query) {
      let files: File[];
      let next: GetFilesOptions | null;
      try {
        const response: GetFilesResponse = await this.bucket.getFiles(query);
        files = response[0];
        next = (response[1] as GetFilesOptions | null | undefined) ?? null;
      } catch (e) {
        throw mapGcsError(e, { operation: "list", key: prefix, backend: BACKEND });
      }
      for (const file of files) {
        // Guard against a listing that strays outside the prefix; such a name is not ours to report.
        if (!file.name.startsWith(this.config.prefix)) continue;
        yield this.metaFromResource(file.name.slice(this.config.prefix.length), file.metadata);
      }
      query = next?.pageToken ? { ...query, pageToken: next.pageToken } : null;
    }
  }

  /** Deleting a missing key succeeds. @throws a mapped `StoreError` for any other failure. */
  async delete(key: string): Promise<void> {
    validateKey(key, BACKEND);
    try {
      await this.file(key).delete();
    } catch (e) {
      const mapped = mapGcsError(e, { operation: "delete", key, backend: BACKEND });
      if (mapped instanceof NotFoundError) return;
      throw mapped;
    }
  }

  private file(key: string): File {
    return this.bucket.file(this.config.prefix + key);
  }

  // One request: the media response's x-goog-* headers carry the generation and the full size.
  private download(key: string, start: number | undefined, endInclusive: number | undefined, signal?: AbortSignal): Promise<GetResult> {
    return new Promise<GetResult>((resolve, reject) => {
      const ranged = start !== undefined;
      const stream = this.file(key).createReadStream(ranged ? { start, end: endInclusive, validation: false } : { validation: "crc32c" });
      const chunks: Buffer[] = [];
      let headers: Record<string, unknown> | undefined;
      const onAbort = (): void => {
        stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      stream.on("response", (res: { headers?: Record<string, unknown> }) => {
        headers = res.headers;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (e) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      });
      stream.on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        try {
          const bytes = new Uint8Array(Buffer.concat(chunks));
          resolve({ bytes, meta: this.metaFromHeaders(key, headers ?? {}, bytes.byteLength, ranged) });
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private metaFromHeaders(key: string, headers: Record<string, unknown>, received: number, ranged: boolean): ObjectMeta {
    const header = (name: string): string | undefined => {
      const v = headers[name];
      return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
    };
    const generation = header("x-goog-generation");
    if (!generation) throw new Error("download response carried no x-goog-generation header");
    const totalFromRange = /\/(\d+)\s*$/.exec(header("content-range") ?? "")?.[1];
    const stored = header("x-goog-stored-content-length");
    const size = Number(totalFromRange ?? stored ?? (ranged ? Number.NaN : received));
    if (!Number.isSafeInteger(size)) throw new Error("download response did not say the object's size");
    const lastModified = new Date(header("last-modified") ?? Number.NaN);
    return { key, size, version: generation, lastModified };
  }

  private metaFromResource(key: string, metadata: FileMetadata): ObjectMeta {
    const size = Number(metadata.size);
    const version = metadata.generation === undefined ? "" : String(metadata.generation);
    if (!Number.isSafeInteger(size) || version === "") {
      throw new Error(`object resource for ${key} lacks size or generation`);
    }
    return { key, size, version, lastModified: new Date(metadata.updated ?? metadata.timeCreated ?? Number.NaN) };
  }
}

function buildStorage(options: GcsStoreOptions, config: ResolvedGcsConfig): Storage {
  const storage = new Storage({
    ...(config.apiEndpoint === undefined ? {} : { apiEndpoint: config.apiEndpoint }),
    ...(options.useAuthWithCustomEndpoint === undefined ? {} : { useAuthWithCustomEndpoint: options.useAuthWithCustomEndpoint }),
    ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
    ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    timeout: config.timeoutMs,
    // See the class comment: no SDK-side retries, in particular none of conditional uploads.
    retryOptions: { autoRetry: false, idempotencyStrategy: IdempotencyStrategy.RetryNever },
  });
  // When STORAGE_EMULATOR_HOST is set the SDK uses it verbatim as the JSON API base, without the
  // /storage/v1 path and even when apiEndpoint says otherwise; pin the base to the endpoint we resolved.
  if (config.apiEndpoint !== undefined) storage.baseUrl = `${config.apiEndpoint}/storage/v1`;
  return storage;
}
