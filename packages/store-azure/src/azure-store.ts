import type { BlobDownloadResponseParsed, BlockBlobUploadOptions, ContainerClient } from "@azure/storage-blob";
import { resolveRange, validateKey } from "@wal/core";
import type {
  GetOptions,
  GetResult,
  ObjectMeta,
  ObjectStore,
  PutOptions,
  PutResult,
  StoreCapabilities,
} from "@wal/core";
import { InvalidArgumentError, UnavailableError } from "@wal/core";
import { azureOptionsFromEnv, parseAzureUri, resolveAzureConfig } from "./config.js";
import type { AzureStoreOptions } from "./config.js";
import { mapAzureError } from "./map-error.js";
import type { AzureOperation } from "./map-error.js";

/**
 * An `ObjectStore` on Azure Blob Storage (block blobs), also run against Azurite.
 *
 * Version tokens are etags without quotes: Azure (and Azurite) quote them in response headers but
 * not in listings, so one canonical form is needed for tokens from put, get, head and list to
 * compare equal. Conditional writes put the quotes back.
 */
export class AzureStore implements ObjectStore {
  readonly name = "azure";
  /** Put Blob honours `If-None-Match: *` and `If-Match` atomically. */
  readonly capabilities: StoreCapabilities = { create: true, update: true };
  private readonly container: ContainerClient;
  private readonly conditionalContainer: ContainerClient;
  private readonly prefix: string;
  private readonly maxSingleShotSize: number;
  private readonly listPageSize: number;
  private readonly secrets: readonly string[];

  /** @throws InvalidArgumentError when the options name no container or no usable credentials. */
  constructor(options: AzureStoreOptions) {
    const resolved = resolveAzureConfig(options);
    this.container = resolved.containerClient;
    this.conditionalContainer = resolved.conditionalContainerClient;
    this.prefix = resolved.prefix;
    this.maxSingleShotSize = resolved.maxSingleShotSize;
    this.listPageSize = resolved.listPageSize;
    this.secrets = resolved.secrets;
  }

  /**
   * A store for `az://container/prefix`, with credentials from the environment (see
   * `azureOptionsFromEnv`) unless `options` gives them.
   * @throws InvalidArgumentError for a bad URI or missing credentials.
   */
  static fromUri(uri: string, options: AzureStoreOptions = {}): AzureStore {
    const { container, prefix } = parseAzureUri(uri);
    return new AzureStore({ ...azureOptionsFromEnv(), ...options, container, prefix });
  }

  /**
   * @throws AlreadyExistsError (create, blob exists), PreconditionFailedError (update, etag changed or
   * blob missing), InvalidArgumentError (bad key), or another `StoreError` mapped from the SDK.
   */
  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    validateKey(key, this.name);
    const mode = options.mode;
    let operation: AzureOperation;
    const upload: BlockBlobUploadOptions & { maxSingleShotSize: number } = {
      maxSingleShotSize: this.maxSingleShotSize,
      abortSignal: options.signal,
    };
    if (mode.kind === "create") {
      operation = "put-create";
      upload.conditions = { ifNoneMatch: "*" };
    } else if (mode.kind === "update") {
      operation = "put-update";
      upload.conditions = { ifMatch: quoteEtag(mode.version) };
    } else if (mode.kind === "overwrite") {
      operation = "put-overwrite";
    } else {
      throw new InvalidArgumentError(`unknown put mode ${JSON.stringify(mode)} for ${key}`);
    }
    const client = operation === "put-overwrite" ? this.container : this.conditionalContainer;
    const blob = client.getBlockBlobClient(this.blobName(key));
    const response = await this.call(operation, key, options.signal, () => blob.uploadData(bytes, upload));
    if (!response.etag) throw this.missing(operation, key, "etag");
    return { version: canonicalEtag(response.etag) };
  }

  /**
   * Reads the blob, or the bytes of `options.range` (end clipped to the size; a start at or past the
   * end yields zero bytes, which Azure answers with 416).
   * @throws NotFoundError when the blob does not exist; InvalidArgumentError for a bad key or range.
   */
  async get(key: string, options?: GetOptions): Promise<GetResult> {
    validateKey(key, this.name);
    const blob = this.container.getBlobClient(this.blobName(key));
    const signal = options?.signal;
    let offset = 0;
    let count: number | undefined;
    if (options?.range) {
      // Validates the range against an unbounded size; the service clips the end for us.
      const { start, end } = resolveRange(options.range, Number.MAX_SAFE_INTEGER);
      if (options.range.end !== undefined && end === start) {
        // The SDK reads a count of 0 as "to the end", so an empty range never reaches the service.
        return { bytes: new Uint8Array(0), meta: await this.headFor("get", key, signal) };
      }
      offset = start;
      count = options.range.end === undefined ? undefined : end - start;
    }
    let response: BlobDownloadResponseParsed;
    try {
      response = await blob.download(offset, count, { abortSignal: signal });
    } catch (e) {
      if (isInvalidRange(e)) {
        return { bytes: new Uint8Array(0), meta: await this.headFor("get", key, signal) };
      }
      throw this.mapped("get", key, signal, e);
    }
    const meta = this.metaFromDownload(key, response);
    const expected = response.contentLength ?? 0;
    const bytes = await this.call("get", key, signal, () => readBody(response));
    if (bytes.byteLength !== expected) {
      throw new UnavailableError(`azure get ${key}: body ended after ${bytes.byteLength} of ${expected} bytes`, {
        backend: this.name,
        key,
      });
    }
    return { bytes, meta };
  }

  /** @throws NotFoundError when the blob does not exist. */
  async head(key: string): Promise<ObjectMeta> {
    validateKey(key, this.name);
    return this.headFor("head", key, undefined);
  }

  /**
   * Every committed blob under the store prefix + `prefix`, page by page (uncommitted blocks are
   * never listed). @throws a `StoreError` mapped from the SDK.
   */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    const pages = this.container
      .listBlobsFlat({ prefix: this.prefix + prefix })
      .byPage({ maxPageSize: this.listPageSize });
    const iterator = pages[Symbol.asyncIterator]();
    for (;;) {
      const page = await this.call("list", undefined, undefined, () => iterator.next());
      if (page.done) return;
      for (const item of page.value.segment.blobItems) {
        const key = item.name.slice(this.prefix.length);
        const etag = item.properties.etag;
        if (!etag) throw this.missing("list", key, "etag");
        yield {
          key,
          size: item.properties.contentLength ?? 0,
          version: canonicalEtag(etag),
          lastModified: item.properties.lastModified,
        };
      }
    }
  }

  /** Deletes the blob and its snapshots; a missing blob is not an error. @throws a mapped `StoreError`. */
  async delete(key: string): Promise<void> {
    validateKey(key, this.name);
    const blob = this.container.getBlobClient(this.blobName(key));
    await this.call("delete", key, undefined, () => blob.deleteIfExists({ deleteSnapshots: "include" }));
  }

  /**
   * Azure normalizes request paths by dropping dots at the end of a segment, so `a.` would silently be
   * stored as `a`; such keys are refused instead. Blob names are at most 1024 characters.
   * @throws InvalidArgumentError naming the key.
   */
  private blobName(key: string): string {
    const name = this.prefix + key;
    if (key.split("/").some((segment) => segment.endsWith("."))) {
      throw new InvalidArgumentError(
        `invalid object key ${JSON.stringify(key)} for azure: a path segment may not end with '.' (Azure drops it)`,
      );
    }
    if (name.length > 1024) {
      throw new InvalidArgumentError(`invalid object key ${JSON.stringify(key)} for azure: blob name longer than 1024 characters`);
    }
    return name;
  }

  private async headFor(operation: AzureOperation, key: string, signal: AbortSignal | undefined): Promise<ObjectMeta> {
    const blob = this.container.getBlobClient(this.blobName(key));
    const props = await this.call(operation, key, signal, () => blob.getProperties({ abortSignal: signal }));
    if (!props.etag) throw this.missing(operation, key, "etag");
    return {
      key,
      size: props.contentLength ?? 0,
      version: canonicalEtag(props.etag),
      lastModified: props.lastModified ?? new Date(0),
    };
  }

  private metaFromDownload(key: string, response: BlobDownloadResponseParsed): ObjectMeta {
    if (!response.etag) throw this.missing("get", key, "etag");
    // A ranged answer says the whole size after the slash of Content-Range ("bytes 0-9/100").
    const total = /\/(\d+)\s*$/.exec(response.contentRange ?? "")?.[1];
    return {
      key,
      size: total !== undefined ? Number(total) : (response.contentLength ?? 0),
      version: canonicalEtag(response.etag),
      lastModified: response.lastModified ?? new Date(0),
    };
  }

  private async call<T>(
    operation: AzureOperation,
    key: string | undefined,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw this.mapped(operation, key, signal, e);
    }
  }

  private mapped(operation: AzureOperation, key: string | undefined, signal: AbortSignal | undefined, e: unknown): unknown {
    // A caller's own abort is not a store failure: it surfaces as the caller's abort reason.
    if (signal?.aborted) return signal.reason;
    return mapAzureError(e, { backend: this.name, operation, key, secrets: this.secrets });
  }

  private missing(operation: AzureOperation, key: string, what: string): Error {
    return mapAzureError(new Error(`response has no ${what}`), { backend: this.name, operation, key });
  }
}

/** Etags compare without quotes (and without a weak marker, which blobs never carry). Never throws. */
export function canonicalEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

function quoteEtag(version: string): string {
  return `"${canonicalEtag(version)}"`;
}

function isInvalidRange(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: unknown }).statusCode === 416;
}

async function readBody(response: BlobDownloadResponseParsed): Promise<Uint8Array> {
  const stream = response.readableStreamBody;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const part = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
    chunks.push(part);
    length += part.byteLength;
  }
  // Copied into one exact-size plain array so callers never see a pooled Buffer's neighbours.
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of chunks) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
