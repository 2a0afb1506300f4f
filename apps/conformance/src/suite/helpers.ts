import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { ObjectMeta, ObjectStore, StoreErrorCode } from "@wal/core";

/** Cases that move many objects or megabytes: cloud emulators need far longer than memory or fs. */
export const SLOW_TIMEOUT_MS = 120_000;

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((m: ObjectMeta) => m.key).sort();
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** `size` bytes of a deterministic pseudo-random pattern (so misplaced or repeated blocks are caught). */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/**
 * Awaits `promise`, which must reject with a store error of `code` (and, when given, naming `key`).
 * Branches on `code` only, as callers of the library must. Returns the error for further checks.
 */
export async function expectStoreError(
  promise: Promise<unknown>,
  code: StoreErrorCode,
  store: ObjectStore,
  key?: string,
): Promise<Error & { code: string; key?: string }> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, `expected a ${code} error`).toBeInstanceOf(Error);
  const e = error as Error & { code: string; key?: string; backend?: string };
  expect(e.code, `error code (message: ${e.message})`).toBe(code);
  expect(e.backend).toBe(store.name);
  if (key !== undefined) expect(e.key).toBe(key);
  return e;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
