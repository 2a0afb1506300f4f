/**
 * The closed set of errors this library throws. Callers branch on `code`, never on messages.
 *
 * Two families:
 * - `StoreError`: what an `ObjectStore` reports (DESIGN.md section 5). Each adapter maps its SDK's
 *   errors onto these in one function.
 * - `WalError`: what the WAL itself reports (fenced, closed, poisoned, corrupt data, bad input).
 *
 * Messages name the key, position or field that was wrong and never contain credentials.
 */

export type StoreErrorCode =
  | "NotFound"
  | "AlreadyExists"
  | "PreconditionFailed"
  | "NotImplemented"
  | "Unauthenticated"
  | "PermissionDenied"
  | "Unavailable"
  | "Generic";

export interface StoreErrorOptions {
  /** Backend name, e.g. "s3". */
  readonly backend: string;
  /** The key the operation was about, when there is one. */
  readonly key?: string;
  readonly cause?: unknown;
}

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  /** True when the same call may succeed if tried again later. */
  readonly retryable: boolean = false;
  readonly backend: string;
  readonly key: string | undefined;

  constructor(message: string, options: StoreErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.backend = options.backend;
    this.key = options.key;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** The object does not exist. */
export class NotFoundError extends StoreError {
  readonly code = "NotFound" as const;
}

/** A create-if-absent put found an existing object. */
export class AlreadyExistsError extends StoreError {
  readonly code = "AlreadyExists" as const;
}

/** An update-if-version put found a different version (or no object). */
export class PreconditionFailedError extends StoreError {
  readonly code = "PreconditionFailed" as const;
}

/** The backend cannot do this operation (see `ObjectStore.capabilities`). */
export class NotImplementedError extends StoreError {
  readonly code = "NotImplemented" as const;
}

/** Credentials are missing, malformed or rejected. */
export class UnauthenticatedError extends StoreError {
  readonly code = "Unauthenticated" as const;
}

/** Credentials are valid but not allowed to do this, or the key is outside what the store may touch. */
export class PermissionDeniedError extends StoreError {
  readonly code = "PermissionDenied" as const;
}

/** A transient failure (5xx, throttling, timeout, connection reset). Retrying may succeed. */
export class UnavailableError extends StoreError {
  readonly code = "Unavailable" as const;
  override readonly retryable = true;
}

/** Anything else; `backend` and `cause` say where it came from. */
export class GenericStoreError extends StoreError {
  readonly code = "Generic" as const;
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}

export type WalErrorCode =
  | "Fenced"
  | "Closed"
  | "Poisoned"
  | "CorruptEntry"
  | "CorruptManifest"
  | "InvalidArgument"
  | "ClaimFailed";

export abstract class WalError extends Error {
  abstract readonly code: WalErrorCode;

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * A newer writer holds the shard. Every pending and later append of this writer fails with this.
 * What to do: stop writing; the newer writer owns the log (it replays what this one made durable).
 */
export class WriterFencedError extends WalError {
  readonly code = "Fenced" as const;
  constructor(
    readonly shardId: string,
    readonly writerEpoch: bigint,
    readonly peerEpoch: bigint | undefined,
    detail?: string,
  ) {
    super(
      `writer of shard ${shardId} at epoch ${writerEpoch} is fenced` +
        (peerEpoch === undefined ? "" : ` by epoch ${peerEpoch}`) +
        (detail ? `: ${detail}` : ""),
    );
  }
}

/** The writer or flusher was closed; nothing more is accepted. Batches acknowledged before stay durable. */
export class WriterClosedError extends WalError {
  readonly code = "Closed" as const;
}

/**
 * A write failed after its retries ran out, so the writer stopped: nothing more is appended and every
 * waiter that was not yet durable rejects with this (the original failure is `cause`).
 * What to do: open a new writer, which replays the log.
 */
export class WriterPoisonedError extends WalError {
  readonly code = "Poisoned" as const;
}

/** A WAL entry could not be decoded. Never skipped silently: it names the key (and position when known). */
export class CorruptEntryError extends WalError {
  readonly code = "CorruptEntry" as const;
  constructor(
    readonly key: string,
    readonly reason: string,
    readonly position?: bigint,
    cause?: unknown,
  ) {
    super(`corrupt WAL entry ${key}${position === undefined ? "" : ` (position ${position})`}: ${reason}`, cause);
  }
}

/** A shard manifest (or its hint) could not be decoded. */
export class CorruptManifestError extends WalError {
  readonly code = "CorruptManifest" as const;
  constructor(
    readonly key: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`corrupt shard manifest ${key}: ${reason}`, cause);
  }
}

/** A caller passed something unusable; the message names the argument or field. */
export class InvalidArgumentError extends WalError {
  readonly code = "InvalidArgument" as const;
}

/** Claiming a shard's epoch failed: a peer claimed an equal or higher epoch, or retries ran out. */
export class ClaimFailedError extends WalError {
  readonly code = "ClaimFailed" as const;
}

/** `Name: message` of an error (or its string form), for messages that wrap a cause. */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
