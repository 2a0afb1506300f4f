import {
  AlreadyExistsError,
  GenericStoreError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
  StoreError,
  UnauthenticatedError,
  UnavailableError,
} from "@wal/core";

/** Which call failed; decides what a 412 means. */
export type S3Operation = "put-overwrite" | "put-create" | "put-update" | "get" | "head" | "list" | "delete";

export interface S3ErrorContext {
  readonly backend: string;
  readonly operation: S3Operation;
  /** The caller's key (without the store prefix). */
  readonly key?: string;
}

/** The fields of an SDK error (or a Node network error) this mapping reads. */
interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $retryable?: unknown;
  $response?: { statusCode?: unknown };
}

const UNAUTHENTICATED = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AuthorizationHeaderMalformed",
  "MissingSecurityHeader",
  "CredentialsProviderError",
]);

// Matched against both the error's name and its code: SDK errors carry S3 names, Node and undici
// network errors carry codes (and some wrappers put one where the other is expected).
const RETRYABLE = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ThrottlingException",
  "Throttling",
  "TimeoutError",
  // 409s that mean "another conditional write on this key is in flight": try again.
  "ConditionalRequestConflict",
  "OperationAborted",
  // Network failures.
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Maps anything the S3 SDK (or the network under it) throws onto the closed `StoreError` set. The one
 * place that knows S3 error names and server quirks; every call of the store goes through it.
 *
 * - 412 means "the condition failed": `AlreadyExistsError` for create, `PreconditionFailedError` for
 *   update. Ceph also answers 412 (not 404) for `If-Match` on a missing key, which is the same outcome.
 * - 404 / `NoSuchKey` / `NotFound` is `NotFoundError`. `NoSuchBucket` is NOT: a misconfigured bucket must
 *   not look like an empty log to a replaying writer, so it is a `GenericStoreError`. (A HEAD response
 *   has no body, so HEAD cannot tell these apart, nor a rejected signature from a denied permission:
 *   a 403 on HEAD is `PermissionDeniedError`, a 404 `NotFoundError`; the next GET or PUT says more.)
 * - Throttling, 5xx, timeouts, connection resets and 409 `ConditionalRequestConflict` are
 *   `UnavailableError` (retryable).
 * - Rejected credentials are `UnauthenticatedError`; any other 403 is `PermissionDeniedError`.
 *
 * Messages carry the operation, key, S3 error name, HTTP status and request id; never credentials.
 * A `StoreError` passes through unchanged.
 */
export function mapS3Error(error: unknown, context: S3ErrorContext): StoreError {
  if (error instanceof StoreError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : "";
  const rawStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const status = typeof rawStatus === "number" ? rawStatus : undefined;
  const requestId = typeof e.$metadata?.requestId === "string" ? e.$metadata.requestId : undefined;
  // Ceph sends empty error bodies, so the SDK's message is often just "UnknownError"; the name is right.
  const sdkMessage = typeof e.message === "string" && !["", name, "Unknown", "UnknownError"].includes(e.message) ? e.message : "";

  const { backend, key, operation } = context;
  const describe = (what: string): string =>
    `${backend} ${operation}${key === undefined ? "" : ` ${key}`}: ${what}` +
    ` (${[(name && name !== "Error" ? name : code) || name || "error", status === undefined ? undefined : `HTTP ${status}`, requestId ? `request ${requestId}` : undefined]
      .filter(Boolean)
      .join(", ")})` +
    (sdkMessage ? `: ${sdkMessage}` : "");
  const options = { backend, key, cause: error };

  if (status === 412 || name === "PreconditionFailed") {
    if (operation === "put-create") return new AlreadyExistsError(describe("object already exists"), options);
    return new PreconditionFailedError(describe("version precondition failed"), options);
  }
  if (UNAUTHENTICATED.has(name) || UNAUTHENTICATED.has(code) || status === 401) {
    return new UnauthenticatedError(describe("credentials rejected"), options);
  }
  if (name === "NoSuchBucket") {
    return new GenericStoreError(describe("bucket does not exist"), options);
  }
  if (status === 403 || name === "AccessDenied" || name === "Forbidden") {
    return new PermissionDeniedError(describe("access denied"), options);
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
    return new NotFoundError(describe("object not found"), options);
  }
  if (
    RETRYABLE.has(name) ||
    RETRYABLE.has(code) ||
    (status !== undefined && (status === 429 || (status >= 500 && status <= 599))) ||
    e.$retryable !== undefined
  ) {
    return new UnavailableError(describe("temporarily unavailable"), options);
  }
  return new GenericStoreError(describe("request failed"), options);
}
