/**
 * "Absent" as a value: the log and the manifests treat a missing object as an answer (the first
 * gap ends the log, a missing version ends a probe), not as a failure.
 */
import type { GetOptions, ObjectStore } from "./object-store.js";
import { NotFoundError } from "./errors.js";

/** The object's bytes, or undefined when it does not exist. @throws every other store error. */
export async function getIfExists(store: ObjectStore, key: string, options?: GetOptions): Promise<Uint8Array | undefined> {
  try {
    return (await store.get(key, options)).bytes;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** Whether the object exists (by HEAD). @throws every store error other than NotFound. */
export async function objectExists(store: ObjectStore, key: string): Promise<boolean> {
  try {
    await store.head(key);
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
}
