import { StoreError } from "./errors.js";

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  readonly retries?: number;
  /** Base of the exponential backoff in ms (default 50). */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay in ms (default 5000). */
  readonly maxDelayMs?: number;
}

export const DEFAULT_RETRY = { retries: 3, baseDelayMs: 50, maxDelayMs: 5000 } as const;

const TRANSIENT_CODES = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"]);

/**
 * True for failures that may go away when the same call is repeated: a store's `UnavailableError`
 * (5xx, throttling, timeouts) and raw network errors an adapter did not map.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof StoreError) return e.retryable;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Math.random() * Math.min(max, base * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
