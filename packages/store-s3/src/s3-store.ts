import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { PutObjectCommandInput, S3ClientConfig } from "@aws-sdk/client-s3";
import {
  GenericStoreError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
  resolveRange,
  validateKey,
} from "@wal/core";
import type {
  GetOptions,
  GetResult,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  StoreCapabilities,
} from "@wal/core";
import { resolveS3Options } from "./config.js";
import type { ResolvedS3Options, S3ClientLike, S3StoreOptions } from "./config.js";
import { mapS3Error } from "./map-error.js";
import type { S3Operation } from "./map-error.js";

/**
 * An `ObjectStore` on S3 or an S3-compatible server (Ceph RADOS Gateway, ...).
 *
 * - create: `PutObject` with `If-None-Match: *`.
 * - update: `PutObject` with `If-Match: <etag>` when `capabilities.update` (see `S3StoreOptions.compat`).
 * - The version token is the object's etag without quotes; the store adds quotes for servers that
 *   want them in `If-Match`, so callers never deal with quoting.
 */
export class S3Store implements ObjectStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  readonly bucket: string;
  /** Key prefix inside the bucket, without trailing `/`; empty for the bucket root. */
  readonly prefix: string;
  private readonly client: S3ClientLike;
  /**
   * Sends conditional puts. A built store gives it no SDK retries: if a create's first attempt landed
   * but its answer was lost, a silent retry would report `AlreadyExistsError` for the caller's own
   * write, and the caller could not know to check. Without the retry the caller sees the
   * `UnavailableError` and can resolve the ambiguity itself (the WAL compares writer ids).
   */
  private readonly conditionalClient: S3ClientLike;
  private readonly ownedClients: S3Client[];
  private readonly quoteIfMatch: boolean;

  /** @throws InvalidArgumentError naming the missing or malformed option. */
  constructor(options: S3StoreOptions) {
    const resolved: ResolvedS3Options = resolveS3Options(options);
    this.name = resolved.name;
    this.bucket = resolved.bucket;
    this.prefix = resolved.prefix;
    this.capabilities = { create: true, update: resolved.conditionalUpdate === "native" };
    // Ceph compares If-Match against the stored etag verbatim, which has no quotes.
    this.quoteIfMatch = resolved.compat !== "ceph";
    if (resolved.client) {
      this.client = resolved.client;
      this.conditionalClient = resolved.client;
      this.ownedClients = [];
    } else {
      const custom = resolved.endpoint !== undefined;
      const config: S3ClientConfig = {
        region: resolved.region,
        forcePathStyle: resolved.forcePathStyle,
        ...(custom ? { endpoint: resolved.endpoint } : {}),
        ...(resolved.credentials ? { credentials: resolved.credentials } : {}),
        // Since SDK 3.729 every upload carries a CRC trailer in aws-chunked framing; several
        // S3-compatible servers store that framing as part of the object. Only checksum when required.
        ...(custom ? { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } : {}),
      };
      const client = new S3Client(config);
      const conditionalClient = new S3Client({ ...config, maxAttempts: 1 });
      this.client = client;
      this.conditionalClient = conditionalClient;
      this.ownedClients = [client, conditionalClient];
    }
  }

  /**
   * @throws AlreadyExistsError (create, key exists), PreconditionFailedError (update, etag changed or
   * key missing), NotImplementedError (update when `capabilities.update` is false), InvalidArgumentError
   * (bad key or mode), or another `StoreError` from `mapS3Error`.
   */
  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    validateKey(key, this.name);
    const mode = options.mode;
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: this.objectKey(key),
      // Servers such as Ceph need a content length; a Uint8Array body lets the SDK send one.
      Body: bytes,
      ContentLength: bytes.byteLength,
    };
    let operation: S3Operation;
    switch (mode.kind) {
      case "overwrite":
        operation = "put-overwrite";
        break;
      case "create":
        operation = "put-create";
        input.IfNoneMatch = "*";
        break;
      case "update":
        operation = "put-update";
        if (!this.capabilities.update) {
          throw new NotImplementedError(
            `${this.name} put-update ${key}: conditional update is disabled for this server (conditionalUpdate: "unsupported")`,
            { backend: this.name, key },
          );
        }
        if (typeof mode.version !== "string" || mode.version === "") {
          throw new InvalidArgumentError(`update of ${key} needs a non-empty version token`);
        }
        input.IfMatch = this.quoteIfMatch ? `"${unquote(mode.version)}"` : unquote(mode.version);
        break;
      default:
        throw new InvalidArgumentError(`unknown put mode ${JSON.stringify(mode)} for ${key}`);
    }
    const out = await this.call(operation, key, options.signal, () =>
      (mode.kind === "overwrite" ? this.client : this.conditionalClient).send(new PutObjectCommand(input), {
        abortSignal: options.signal,
      }),
    );
    if (!out.ETag) {
      throw new GenericStoreError(`${this.name} ${operation} ${key}: response carried no ETag`, { backend: this.name, key });
    }
    return { version: unquote(out.ETag) };
  }

  /**
   * A range that starts at or past the end (S3 answers 416) yields zero bytes and the object's meta.
   * @throws NotFoundError, InvalidArgumentError (bad key or range), or another `StoreError`.
   */
  async get(key: string, options?: GetOptions): Promise<GetResult> {
    validateKey(key, this.name);
    const range = options?.range;
    let header: string | undefined;
    if (range) {
      // Validates the range; the real size is not known yet.
      const { start, end } = resolveRange(range, Number.MAX_SAFE_INTEGER);
      // An empty range cannot be written as an HTTP byte range.
      if (range.end !== undefined && end === start) return { bytes: new Uint8Array(0), meta: await this.head(key) };
      header = range.end === undefined ? `bytes=${start}-` : `bytes=${start}-${end - 1}`;
    }
    let out;
    try {
      out = await this.call("get", key, options?.signal, () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: header }), {
          abortSignal: options?.signal,
        }),
      );
    } catch (e) {
      if (range && isUnsatisfiableRange(e)) return { bytes: new Uint8Array(0), meta: await this.head(key) };
      throw e;
    }
    const body = out.Body ? await this.call("get", key, options?.signal, () => out.Body!.transformToByteArray()) : new Uint8Array(0);
    const totalFromRange = parseContentRangeTotal(out.ContentRange);
    let bytes = body;
    let size = totalFromRange ?? out.ContentLength ?? body.byteLength;
    if (range && out.ContentRange === undefined) {
      // The server ignored the Range header and sent the whole object: slice it here.
      size = body.byteLength;
      const { start, end } = resolveRange(range, size);
      bytes = body.subarray(start, end);
    }
    return {
      bytes,
      meta: { key, size, version: unquote(out.ETag ?? ""), lastModified: out.LastModified ?? new Date(0) },
    };
  }

  /** @throws NotFoundError, InvalidArgumentError (bad key), or another `StoreError`. */
  async head(key: string): Promise<ObjectMeta> {
    validateKey(key, this.name);
    const out = await this.call("head", key, undefined, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    );
    return {
      key,
      size: out.ContentLength ?? 0,
      version: unquote(out.ETag ?? ""),
      lastModified: out.LastModified ?? new Date(0),
    };
  }

  /**
   * Pages through `ListObjectsV2` with continuation tokens; keys come back without the store prefix.
   * @throws a `StoreError` from `mapS3Error` while iterating.
   */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    const fullPrefix = this.prefix === "" ? prefix : `${this.prefix}/${prefix}`;
    const strip = this.prefix === "" ? 0 : this.prefix.length + 1;
    let token: string | undefined;
    do {
      const page = await this.call("list", prefix === "" ? undefined : prefix, undefined, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(fullPrefix)) continue;
        yield {
          key: object.Key.slice(strip),
          size: object.Size ?? 0,
          version: unquote(object.ETag ?? ""),
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) {
        throw new GenericStoreError(`${this.name} list ${prefix}: truncated page without a continuation token`, {
          backend: this.name,
          key: prefix,
        });
      }
    } while (token);
  }

  /** Deleting a missing key succeeds. @throws InvalidArgumentError (bad key) or another `StoreError`. */
  async delete(key: string): Promise<void> {
    validateKey(key, this.name);
    try {
      await this.call("delete", key, undefined, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
      );
    } catch (e) {
      // S3 answers 204 for a missing key; some compatible servers answer 404, which means the same here.
      if (e instanceof NotFoundError) return;
      throw e;
    }
  }

  /** Destroys the clients this store built; an injected client stays the caller's. */
  close(): void {
    for (const client of this.ownedClients) client.destroy();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private objectKey(key: string): string {
    return this.prefix === "" ? key : `${this.prefix}/${key}`;
  }

  /**
   * Runs one SDK call and maps its failure. A call ended by the caller's own `signal` rethrows the
   * signal's reason (an `AbortError`), since that is the caller's decision, not a store failure.
   */
  private async call<T>(operation: S3Operation, key: string | undefined, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      signal?.throwIfAborted();
      throw mapS3Error(e, { backend: this.name, operation, key });
    }
  }
}

/** S3 etags are quoted strings (`"abc"`, or `W/"abc"` from some servers); the token is the bare value. */
function unquote(etag: string): string {
  const m = /^(?:W\/)?"(.*)"$/.exec(etag);
  return m ? m[1]! : etag;
}

function isUnsatisfiableRange(e: unknown): boolean {
  if (!(e instanceof Error) || !(e.cause instanceof Object)) return false;
  const cause = e.cause as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return cause.$metadata?.httpStatusCode === 416 || cause.name === "InvalidRange";
}

/** `bytes 0-9/1234` -> 1234; undefined when absent or the total is `*`. */
function parseContentRangeTotal(contentRange: string | undefined): number | undefined {
  if (!contentRange) return undefined;
  const m = /\/(\d+)\s*$/.exec(contentRange);
  return m ? Number(m[1]) : undefined;
}
