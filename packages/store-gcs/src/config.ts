import { InvalidArgumentError } from "@wal/core";
import type { Bucket, Storage } from "@google-cloud/storage";

/**
 * Options of a `GcsStore`. Pass either an SDK client (`storage` or a `Bucket` object) that you configured
 * yourself, or the plain fields below and let the store build one.
 */
export interface GcsStoreOptions {
  /**
   * The bucket: its name, or an SDK `Bucket` (then `storage`, `apiEndpoint`, `projectId` and the
   * credential fields are ignored). Required.
   */
  readonly bucket: string | Bucket;
  /**
   * Key prefix inside the bucket, e.g. `"datasets/orders"`. A trailing `/` is added when missing; a
   * leading `/` is removed. Default: `""` (the bucket root).
   */
  readonly prefix?: string;
  /**
   * An SDK client to use instead of building one. Its retry settings are used as they are: see
   * "Retries" in the README before passing a client that retries conditional writes.
   */
  readonly storage?: Storage;
  /**
   * Base URL of the JSON API, e.g. `http://127.0.0.1:4443` for an emulator. Default: the
   * `STORAGE_EMULATOR_HOST` environment variable when set, else Google's endpoint. With a custom
   * endpoint the SDK sends no credentials (unless `useAuthWithCustomEndpoint`) and never asks the
   * metadata server for any.
   */
  readonly apiEndpoint?: string;
  /** Send credentials to a custom `apiEndpoint` too (e.g. a proxy in front of real GCS). Default: false. */
  readonly useAuthWithCustomEndpoint?: boolean;
  /** Google Cloud project id. Only needed for project-level calls; object calls do not use it. */
  readonly projectId?: string;
  /** Path to a service-account JSON key file. Default: Application Default Credentials. */
  readonly keyFilename?: string;
  /** Service-account credentials given inline. Default: Application Default Credentials. Never logged. */
  readonly credentials?: { readonly client_email: string; readonly private_key: string };
  /** Per-request timeout in milliseconds for the client this store builds. Default: 60000. */
  readonly timeoutMs?: number;
  /** Objects per list request (1..1000). Default: 1000. */
  readonly listPageSize?: number;
}

/** What `GcsStoreOptions` resolves to once defaults and the environment are applied. */
export interface ResolvedGcsConfig {
  readonly bucketName: string;
  readonly prefix: string;
  readonly apiEndpoint: string | undefined;
  readonly timeoutMs: number;
  readonly listPageSize: number;
}

/** A `gs://bucket/prefix` URI split into its parts. */
export interface GcsUri {
  readonly bucket: string;
  readonly prefix: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_PAGE_SIZE = 1000;

/**
 * Parses `gs://bucket` or `gs://bucket/some/prefix`.
 * @throws InvalidArgumentError when the scheme is not `gs:` or the bucket name is missing or invalid.
 */
export function parseGcsUri(uri: string): GcsUri {
  const match = /^gs:\/\/([^/]*)(?:\/(.*))?$/.exec(uri);
  if (!match) throw new InvalidArgumentError(`not a GCS URI (expected gs://bucket/prefix): ${JSON.stringify(uri)}`);
  const bucket = match[1] ?? "";
  if (bucket === "") throw new InvalidArgumentError(`GCS URI ${JSON.stringify(uri)} names no bucket`);
  checkBucketName(bucket);
  return { bucket, prefix: normalizePrefix(match[2] ?? "") };
}

/**
 * Applies defaults and `STORAGE_EMULATOR_HOST`.
 * @throws InvalidArgumentError naming the missing or invalid option.
 */
export function resolveGcsConfig(options: GcsStoreOptions, env: NodeJS.ProcessEnv = process.env): ResolvedGcsConfig {
  if (options === undefined || options === null || options.bucket === undefined || options.bucket === null || options.bucket === "") {
    throw new InvalidArgumentError("GcsStore: option 'bucket' is required (a bucket name or an SDK Bucket)");
  }
  const bucketName = typeof options.bucket === "string" ? options.bucket : options.bucket.name;
  checkBucketName(bucketName);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(`GcsStore: option 'timeoutMs' must be a positive integer, got ${options.timeoutMs}`);
  }
  const listPageSize = options.listPageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError(`GcsStore: option 'listPageSize' must be an integer in 1..${MAX_PAGE_SIZE}, got ${options.listPageSize}`);
  }
  const emulatorHost = env.STORAGE_EMULATOR_HOST?.trim();
  const apiEndpoint = options.apiEndpoint?.trim() || emulatorHost || undefined;
  if (apiEndpoint !== undefined && !/^https?:\/\/[^/]/.test(apiEndpoint)) {
    const source = options.apiEndpoint ? "option 'apiEndpoint'" : "STORAGE_EMULATOR_HOST";
    throw new InvalidArgumentError(`GcsStore: ${source} must be an http(s) URL such as http://127.0.0.1:4443`);
  }
  // Emulator docs often give the JSON API base (".../storage/v1"); the endpoint is the part before it.
  const endpoint = apiEndpoint?.replace(/\/+$/, "").replace(/\/storage\/v1$/, "");
  return { bucketName, prefix: normalizePrefix(options.prefix ?? ""), apiEndpoint: endpoint, timeoutMs, listPageSize };
}

/** `""` stays empty; anything else loses leading slashes and ends with exactly one `/`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

// The documented naming rules, without the dotted-name (domain) specifics: enough to fail fast on typos.
function checkBucketName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) {
    throw new InvalidArgumentError(
      `GcsStore: invalid bucket name ${JSON.stringify(name)} (lowercase letters, digits, '-', '_' and '.', 3-222 characters)`,
    );
  }
}
