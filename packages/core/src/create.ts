/**
 * Create-if-absent with retries. Every object this library writes is created this way (entries,
 * sentinels, manifest versions), and all of them meet the same ambiguity: a create whose call failed
 * may still have landed, and its retry then finds the key taken by itself. The object is then read
 * back and compared byte for byte with what was sent; only equal bytes count as our own.
 */
import type { ObjectStore } from "./object-store.js";
import { PutModes } from "./object-store.js";
import { AlreadyExistsError } from "./errors.js";
import { getIfExists } from "./absent.js";
import { backoffDelay, DEFAULT_RETRY, isTransient, sleep, type RetryOptions } from "./retry.js";

/** `created`: the object at the key is ours. `taken`: someone else's object was there first. */
export type CreateOutcome = "created" | "taken";

/**
 * Creates `key` with `bytes` unless it exists, retrying transient failures with exponential backoff
 * and jitter.
 * @throws the last error when it is not transient or retries ran out.
 */
export async function createObject(store: ObjectStore, key: string, bytes: Uint8Array, retry: RetryOptions = {}): Promise<CreateOutcome> {
  const retries = retry.retries ?? DEFAULT_RETRY.retries;
  let mayHaveLanded = false;
  for (let attempt = 0; ; attempt++) {
    try {
      await store.put(key, bytes, { mode: PutModes.create });
      return "created";
    } catch (e) {
      if (e instanceof AlreadyExistsError) {
        if (mayHaveLanded) {
          const stored = await getIfExists(store, key);
          if (stored && sameBytes(stored, bytes)) return "created";
        }
        return "taken";
      }
      if (!isTransient(e) || attempt >= retries) throw e;
      mayHaveLanded = true;
      await sleep(backoffDelay(attempt, retry));
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
