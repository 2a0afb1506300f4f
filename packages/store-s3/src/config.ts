import type { S3Client } from "@aws-sdk/client-s3";
import { InvalidArgumentError } from "@wal/core";

/**
 * The part of `S3Client` the store uses. Typed structurally so that a caller can inject its own
 * client (shared connection pool, custom middleware, a different SDK minor version).
 */
export type S3ClientLike = Pick<S3Client, "send">;

/** Static credentials. Never logged and never put into error messages. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Only for temporary credentials (STS). */
  readonly sessionToken?: string;
}

/**
 * Server families whose conditional-write behaviour differs from AWS S3.
 * - `"aws"`: AWS S3 (and stores that follow it exactly). `If-Match` gets the quoted etag (RFC 9110 form).
 * - `"ceph"`: Ceph RADOS Gateway. Its `If-Match` compares the raw etag, so the store sends it unquoted;
 *   and most losers of a concurrent `If-Match` race get HTTP 500 instead of 412, which cannot be told
 *   apart from an outage, so conditional update defaults to `"unsupported"` (see README).
 */
export type S3Compat = "aws" | "ceph";

/** How `put` with `{kind: "update"}` is served. */
export type ConditionalUpdate =
  /** `PutObject` with `If-Match`; `capabilities.update` is true. */
  | "native"
  /** Refused with `NotImplementedError`; `capabilities.update` is false. */
  | "unsupported";

export interface S3StoreOptions {
  /** Bucket name. Required. The bucket must already exist. */
  readonly bucket: string;
  /**
   * Key prefix inside the bucket, without leading or trailing `/`. Every key is stored as
   * `${prefix}/${key}` and `list` strips it again. Default: none (keys at the bucket root).
   */
  readonly prefix?: string;
  /**
   * A ready client. When given, `region`, `endpoint`, `forcePathStyle` and `credentials` are ignored
   * and the caller keeps ownership (`close()` does not destroy it). Its retry policy also applies to
   * conditional puts: configure `maxAttempts: 1`, or a create whose first attempt landed unseen may be
   * retried by the SDK and reported as `AlreadyExistsError` (a built store does this itself).
   */
  readonly client?: S3ClientLike;
  /** AWS region. Required for AWS; defaults to `us-east-1` when `endpoint` is set (emulators ignore it). */
  readonly region?: string;
  /** Endpoint URL of an S3-compatible server, e.g. `http://127.0.0.1:17480`. Default: AWS. */
  readonly endpoint?: string;
  /**
   * Address the bucket as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Most self-hosted
   * servers need it. Default: true when `endpoint` is set, false otherwise.
   */
  readonly forcePathStyle?: boolean;
  /**
   * Static credentials. Required when `endpoint` is set; for AWS, omitting them uses the SDK's
   * default provider chain (environment, profile, instance role).
   */
  readonly credentials?: S3Credentials;
  /** Server family; selects the conditional-write quirks. Default `"aws"`. */
  readonly compat?: S3Compat;
  /** Overrides the conditional-update behaviour chosen by `compat`. */
  readonly conditionalUpdate?: ConditionalUpdate;
  /** Backend name used in errors and `ObjectStore.name`. Default `"s3"`. */
  readonly name?: string;
}

/** A bucket and a key prefix. */
export interface S3Location {
  readonly bucket: string;
  /** Without leading or trailing `/`; empty for the bucket root. */
  readonly prefix: string;
}

/**
 * Parses `s3://bucket` or `s3://bucket/some/prefix` (a trailing `/` is ignored).
 * @throws InvalidArgumentError when the scheme is not `s3:`, the bucket is missing, or the URI carries
 * a query, fragment, user info or port (nothing here would honour them).
 */
export function parseS3Uri(uri: string): S3Location {
  // Parsed by hand: WHATWG URL would resolve `a/../b` to `b`, silently moving the WAL elsewhere.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  if (!scheme) throw new InvalidArgumentError(`not a URI: ${JSON.stringify(uri)}`);
  if (scheme[1]!.toLowerCase() !== "s3") {
    throw new InvalidArgumentError(`expected an s3:// URI, got scheme ${JSON.stringify(scheme[1])}`);
  }
  const m = /^s3:\/\/([^/]*)(\/.*)?$/i.exec(uri);
  if (!m || m[1] === "") throw new InvalidArgumentError(`s3 URI ${JSON.stringify(uri)} has no bucket`);
  const bucket = m[1]!;
  const path = m[2] ?? "";
  if (/[@:]/.test(bucket) || /[?#]/.test(uri)) {
    throw new InvalidArgumentError(`s3 URI must be s3://bucket/prefix without user, port, query or fragment`);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch (e) {
    throw new InvalidArgumentError(`s3 URI ${JSON.stringify(uri)} has a malformed percent-escape`, e);
  }
  return { bucket, prefix: normalizePrefix(decoded) };
}

/** Strips leading and trailing `/`. @throws InvalidArgumentError for empty, `.` or `..` segments. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return "";
  for (const segment of trimmed.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new InvalidArgumentError(`invalid key prefix ${JSON.stringify(prefix)}: empty, '.' or '..' segment`);
    }
  }
  return trimmed;
}

/**
 * Options from the standard AWS environment variables, with `overrides` taking precedence:
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or
 * `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`), and `AWS_S3_FORCE_PATH_STYLE`
 * (`true`/`false`). The bucket and prefix come from `overrides` (e.g. from `parseS3Uri`).
 * @throws InvalidArgumentError naming the missing or malformed field or variable.
 */
export function s3OptionsFromEnv(
  overrides: Partial<S3StoreOptions> & { readonly bucket: string },
  env: NodeJS.ProcessEnv = process.env,
): S3StoreOptions {
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === "" ? undefined : v.trim());
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
    throw new InvalidArgumentError(`${missing} is not set (both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are needed)`);
  }
  const fromEnvCredentials: S3Credentials | undefined =
    accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
      : undefined;
  const pathStyleRaw = nonEmpty(env.AWS_S3_FORCE_PATH_STYLE);
  let forcePathStyle: boolean | undefined;
  if (pathStyleRaw !== undefined) {
    if (!/^(true|false|1|0)$/i.test(pathStyleRaw)) {
      throw new InvalidArgumentError(`AWS_S3_FORCE_PATH_STYLE must be true or false, got ${JSON.stringify(pathStyleRaw)}`);
    }
    forcePathStyle = /^(true|1)$/i.test(pathStyleRaw);
  }
  const merged: S3StoreOptions = {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    endpoint: nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    forcePathStyle,
    credentials: fromEnvCredentials,
    ...definedOnly(overrides),
    bucket: overrides.bucket,
  };
  return resolveS3Options(merged);
}

/**
 * Fills defaults and checks that the options can work, before any request is made.
 * @throws InvalidArgumentError naming the missing or malformed field.
 */
export function resolveS3Options(options: S3StoreOptions): ResolvedS3Options {
  if (typeof options.bucket !== "string" || options.bucket.trim() === "") {
    throw new InvalidArgumentError("S3 option 'bucket' is required");
  }
  if (options.bucket.includes("/")) {
    throw new InvalidArgumentError(`S3 option 'bucket' must be a bare bucket name, got ${JSON.stringify(options.bucket)}`);
  }
  const prefix = normalizePrefix(options.prefix ?? "");
  const compat = options.compat ?? "aws";
  if (compat !== "aws" && compat !== "ceph") {
    throw new InvalidArgumentError(`S3 option 'compat' must be "aws" or "ceph", got ${JSON.stringify(compat)}`);
  }
  const conditionalUpdate = options.conditionalUpdate ?? (compat === "ceph" ? "unsupported" : "native");
  if (conditionalUpdate !== "native" && conditionalUpdate !== "unsupported") {
    throw new InvalidArgumentError(`S3 option 'conditionalUpdate' must be "native" or "unsupported"`);
  }
  const base = { bucket: options.bucket, prefix, compat, conditionalUpdate, name: options.name ?? "s3" };
  if (options.client) return { ...base, client: options.client };

  if (options.endpoint !== undefined) {
    try {
      const url = new URL(options.endpoint);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
    } catch (e) {
      throw new InvalidArgumentError(`S3 option 'endpoint' must be an http(s) URL, got ${JSON.stringify(options.endpoint)}`, e);
    }
    if (!options.credentials) {
      throw new InvalidArgumentError("S3 option 'credentials' is required with a custom 'endpoint' (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    }
  } else if (!options.region) {
    throw new InvalidArgumentError("S3 option 'region' is required for AWS (or set AWS_REGION)");
  }
  if (options.credentials) {
    if (!options.credentials.accessKeyId) throw new InvalidArgumentError("S3 option 'credentials.accessKeyId' is empty");
    if (!options.credentials.secretAccessKey) throw new InvalidArgumentError("S3 option 'credentials.secretAccessKey' is empty");
  }
  return {
    ...base,
    region: options.region ?? "us-east-1",
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials: options.credentials,
  };
}

/** Options after defaults; either a ready client or what is needed to build one. */
export type ResolvedS3Options = {
  readonly bucket: string;
  readonly prefix: string;
  readonly compat: S3Compat;
  readonly conditionalUpdate: ConditionalUpdate;
  readonly name: string;
} & (
  | { readonly client: S3ClientLike }
  | {
      readonly client?: undefined;
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly forcePathStyle: boolean;
      readonly credentials: S3Credentials | undefined;
    }
);

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
