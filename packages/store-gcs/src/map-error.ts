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

/** Which store call failed; a 412 means different things for a create and for an update. */
export type GcsOperation = "create" | "update" | "overwrite" | "get" | "head" | "list" | "delete";

export interface GcsErrorContext {
  readonly operation: GcsOperation;
  readonly key?: string;
  /** Backend name for the error; default `"gcs"`. */
  readonly backend?: string;
}

// Socket-level failures after which the same request may well succeed.
const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const MAX_DETAIL_CHARS = 300;

/**
 * The single place where `@google-cloud/storage` (and its HTTP and auth layers) errors become the closed
 * `StoreError` set. Returns, never throws; an error that is already a `StoreError` is returned unchanged.
 *
 * 404 NotFound; 412 AlreadyExists for a create and PreconditionFailed otherwise; 401 Unauthenticated;
 * 403 PermissionDenied; 408, 429, 5xx, timeouts and connection failures Unavailable; anything else Generic.
 */
export function mapGcsError(error: unknown, context: GcsErrorContext): StoreError {
  if (error instanceof StoreError) return error;
  const backend = context.backend ?? "gcs";
  const key = context.key;
  const status = httpStatus(error);
  const reason = firstReason(error);
  const where = `gcs ${context.operation}${key === undefined ? "" : ` ${key}`}`;
  const detail = describe(status, reason, error);
  const options = { backend, key, cause: error };

  if (status === 404) return new NotFoundError(`${where}: object not found (${detail})`, options);
  if (status === 412) {
    return context.operation === "create"
      ? new AlreadyExistsError(`${where}: object already exists (${detail})`, options)
      : new PreconditionFailedError(`${where}: generation precondition failed (${detail})`, options);
  }
  if (status === 401 || isMissingCredentials(error)) return new UnauthenticatedError(`${where}: not authenticated (${detail})`, options);
  if (status === 403) return new PermissionDeniedError(`${where}: permission denied (${detail})`, options);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500 && status <= 599)) {
    return new UnavailableError(`${where}: transient failure (${detail})`, options);
  }
  if (reason === "rateLimitExceeded" || reason === "userRateLimitExceeded") {
    return new UnavailableError(`${where}: throttled (${detail})`, options);
  }
  if (status === undefined && isTransientNetworkError(error)) {
    return new UnavailableError(`${where}: connection failed or timed out (${detail})`, options);
  }
  return new GenericStoreError(`${where}: ${detail}`, options);
}

/** The HTTP status an SDK error carries, wherever its layer put it; undefined when no response arrived. */
export function httpStatus(error: unknown): number | undefined {
  if (!isObject(error)) return undefined;
  // ApiError puts the HTTP status in `code`; gaxios and node-fetch style errors carry a response.
  if (typeof error.code === "number" && error.code >= 100 && error.code <= 599) return error.code;
  const response = error.response;
  if (isObject(response)) {
    if (typeof response.status === "number") return response.status;
    if (typeof response.statusCode === "number") return response.statusCode;
  }
  if (typeof error.status === "number") return error.status;
  return undefined;
}

function firstReason(error: unknown): string | undefined {
  if (!isObject(error) || !Array.isArray(error.errors)) return undefined;
  const first: unknown = error.errors[0];
  return isObject(first) && typeof first.reason === "string" ? first.reason : undefined;
}

function isTransientNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; isObject(e) && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === "string" && TRANSIENT_NETWORK_CODES.has(e.code)) return true;
    if (typeof e.errno === "string" && TRANSIENT_NETWORK_CODES.has(e.errno)) return true;
    // node-fetch marks its own timeouts this way; AbortError/TimeoutError come from request timeouts.
    if (e.type === "request-timeout" || e.name === "TimeoutError" || e.name === "AbortError") return true;
  }
  return false;
}

// google-auth-library reports absent credentials with a plain Error and no code.
function isMissingCredentials(error: unknown): boolean {
  return error instanceof Error && /could not load the default credentials/i.test(error.message);
}

function describe(status: number | undefined, reason: string | undefined, error: unknown): string {
  const parts: string[] = [];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (reason !== undefined) parts.push(reason);
  const message = serverMessage(error);
  if (message) parts.push(message.length > MAX_DETAIL_CHARS ? `${message.slice(0, MAX_DETAIL_CHARS)}...` : message);
  return parts.join(" ") || "unknown error";
}

// Download errors carry the raw JSON error body as their message; show the server's message from it.
function serverMessage(error: unknown): string {
  if (!(error instanceof Error) && !isObject(error)) return String(error);
  const raw = isObject(error) && typeof error.message === "string" ? error.message : "";
  if (raw.startsWith("{")) {
    try {
      const parsed = JSON.parse(raw) as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === "string") return parsed.error.message;
    } catch {
      return raw;
    }
  }
  return raw;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}
