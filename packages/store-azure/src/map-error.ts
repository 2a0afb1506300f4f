import {
  AlreadyExistsError,
  GenericStoreError,
  NotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  PreconditionFailedError,
  StoreError,
  UnauthenticatedError,
  UnavailableError,
} from "@wal/core";
import type { StoreErrorOptions } from "@wal/core";
import { redactSecrets } from "./config.js";

/** Which call failed; some statuses mean different things per call (412 on create vs update). */
export type AzureOperation = "put-overwrite" | "put-create" | "put-update" | "get" | "head" | "list" | "delete";

export interface AzureErrorContext {
  readonly backend: string;
  readonly operation: AzureOperation;
  /** The store key (not the full blob name) when the call was about one. */
  readonly key?: string;
  /** Secret strings to redact from messages, beyond the generic patterns. */
  readonly secrets?: readonly string[];
}

/**
 * What is kept of an SDK error as `cause`: status, service error code, request id and a redacted
 * message. The SDK's `RestError` is not kept because it carries the request (headers with the
 * `Authorization` signature, and the URL with any SAS token) and the response.
 */
export class AzureErrorDetail extends Error {
  override readonly name = "AzureErrorDetail";
  constructor(
    message: string,
    /** HTTP status, when a response arrived. */
    readonly statusCode: number | undefined,
    /** Service error code (`BlobNotFound`, `ServerBusy`, ...) or a Node network code (`ECONNRESET`). */
    readonly code: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

const UNAUTHENTICATED_CODES = new Set([
  "AuthenticationFailed",
  "InvalidAuthenticationInfo",
  "NoAuthenticationInformation",
  "InvalidAuthenticationInfoHeader",
]);
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  "ServerBusy",
  "OperationTimedOut",
  "InternalError",
  "ContainerBeingDeleted",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "REQUEST_SEND_ERROR",
]);

/**
 * Maps anything the Azure SDK (or the network under it) throws onto the closed `StoreError` set.
 * The one place where Azure and Azurite quirks are decided:
 * - create (`If-None-Match: *`) conflicts: Azure answers 412, Azurite 409 `BlobAlreadyExists`; both
 *   are `AlreadyExists`.
 * - update (`If-Match`) against a changed version is 412, against a missing blob 404; both are
 *   `PreconditionFailed`.
 * A `StoreError` passes through unchanged. Never throws.
 */
export function mapAzureError(error: unknown, context: AzureErrorContext): StoreError {
  if (error instanceof StoreError) return error;
  const { operation, key } = context;
  const facts = readFacts(error);
  const detail = new AzureErrorDetail(
    redactSecrets(facts.message, context.secrets),
    facts.statusCode,
    facts.code,
    facts.requestId,
  );
  const options: StoreErrorOptions = { backend: context.backend, key, cause: detail };
  const what = describe(operation, key, facts, detail.message);
  const status = facts.statusCode;
  const code = facts.code ?? "";

  if (operation === "put-create" && (status === 412 || (status === 409 && code === "BlobAlreadyExists"))) {
    return new AlreadyExistsError(`object already exists: ${key}`, options);
  }
  if (operation === "put-update" && (status === 412 || (status === 404 && code !== "ContainerNotFound"))) {
    return new PreconditionFailedError(`version of ${key} did not match (${status} ${code || "no code"})`, options);
  }
  if (status === 412) return new PreconditionFailedError(what, options);
  if (status === 404) return new NotFoundError(what, options);
  // Azurite answers a bad signature with 403 AuthorizationFailure; its message tells the two apart.
  const authentication =
    UNAUTHENTICATED_CODES.has(code) || (status === 403 && /failed to authenticate/i.test(facts.message));
  if (status === 401 || authentication) return new UnauthenticatedError(what, options);
  if (status === 403) return new PermissionDeniedError(what, options);
  if (status === 501) return new NotImplementedError(what, options);
  if ((status !== undefined && RETRYABLE_STATUS.has(status)) || RETRYABLE_CODES.has(code) || facts.timeout) {
    return new UnavailableError(what, options);
  }
  return new GenericStoreError(what, options);
}

interface ErrorFacts {
  readonly message: string;
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly timeout: boolean;
}

function readFacts(error: unknown): ErrorFacts {
  if (typeof error !== "object" || error === null) {
    return { message: String(error), statusCode: undefined, code: undefined, requestId: undefined, timeout: false };
  }
  const e = error as {
    message?: unknown;
    name?: unknown;
    statusCode?: unknown;
    code?: unknown;
    details?: { errorCode?: unknown; requestId?: unknown };
    response?: { headers?: { get?: (name: string) => string | undefined } };
    cause?: { code?: unknown };
  };
  const statusCode = typeof e.statusCode === "number" ? e.statusCode : undefined;
  // Storage errors put the service code in `code`; HEAD responses have no body, so fall back to
  // the x-ms-error-code header. Network failures put the Node code on the error or its cause.
  const serviceCode =
    (typeof e.code === "string" ? e.code : undefined) ??
    (typeof e.details?.errorCode === "string" ? e.details.errorCode : undefined) ??
    safeHeader(e.response, "x-ms-error-code") ??
    (typeof e.cause?.code === "string" ? e.cause.code : undefined);
  const requestId =
    (typeof e.details?.requestId === "string" ? e.details.requestId : undefined) ?? safeHeader(e.response, "x-ms-request-id");
  const name = typeof e.name === "string" ? e.name : "";
  const message = typeof e.message === "string" ? firstLine(e.message) : String(error);
  const timeout = name === "TimeoutError" || /timed? ?out/i.test(message);
  return { message, statusCode, code: serviceCode, requestId, timeout };
}

function safeHeader(
  response: { headers?: { get?: (name: string) => string | undefined } } | undefined,
  name: string,
): string | undefined {
  try {
    const value = response?.headers?.get?.(name);
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}

// Service messages continue with "RequestId:...\nTime:..." lines; the request id is kept separately.
function firstLine(message: string): string {
  const line = message.split("\n")[0]?.trim() ?? "";
  return line === "" ? message.trim() : line;
}

function describe(operation: AzureOperation, key: string | undefined, facts: ErrorFacts, redacted: string): string {
  const status = facts.statusCode === undefined ? "no response" : `HTTP ${facts.statusCode}`;
  const target = key === undefined ? "" : ` ${key}`;
  const text = redacted === "" ? "" : `: ${redacted}`;
  return `azure ${operation}${target} failed (${status}${facts.code ? ` ${facts.code}` : ""})${text}`;
}
