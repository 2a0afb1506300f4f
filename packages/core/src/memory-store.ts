import type { GetOptions, GetResult, ObjectMeta, ObjectStore, PutOptions, PutResult, StoreCapabilities } from "./object-store.js";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, PreconditionFailedError } from "./errors.js";
import { sliceRange, validateKey } from "./keys.js";

interface Stored {
  bytes: Uint8Array;
  version: number;
  lastModified: Date;
}

/**
 * An in-process `ObjectStore` with full conditional semantics: the embedded default for tests and
 * simulations. Every call is atomic because JavaScript runs it to completion before another starts;
 * each call still yields to the event loop first so that callers see real interleavings.
 */
export class MemoryStore implements ObjectStore {
  readonly name = "memory";
  readonly capabilities: StoreCapabilities = { create: true, update: true };
  private readonly objects = new Map<string, Stored>();
  private nextVersion = 1;

  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    validateKey(key, this.name);
    await Promise.resolve();
    options.signal?.throwIfAborted();
    const existing = this.objects.get(key);
    const mode = options.mode;
    if (mode.kind === "create" && existing) {
      throw new AlreadyExistsError(`object already exists: ${key}`, { backend: this.name, key });
    }
    if (mode.kind === "update" && (!existing || String(existing.version) !== mode.version)) {
      throw new PreconditionFailedError(`version of ${key} is not ${mode.version}`, { backend: this.name, key });
    }
    if (mode.kind !== "create" && mode.kind !== "update" && mode.kind !== "overwrite") {
      throw new InvalidArgumentError(`unknown put mode ${JSON.stringify(mode)} for ${key}`);
    }
    const version = this.nextVersion++;
    // Copy so a caller reusing its buffer cannot change what is stored.
    this.objects.set(key, { bytes: bytes.slice(), version, lastModified: new Date() });
    return { version: String(version) };
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    validateKey(key, this.name);
    await Promise.resolve();
    options?.signal?.throwIfAborted();
    const stored = this.objects.get(key);
    if (!stored) throw new NotFoundError(`object not found: ${key}`, { backend: this.name, key });
    const bytes = options?.range ? sliceRange(stored.bytes, options.range).slice() : stored.bytes.slice();
    return { bytes, meta: this.meta(key, stored) };
  }

  async head(key: string): Promise<ObjectMeta> {
    validateKey(key, this.name);
    await Promise.resolve();
    const stored = this.objects.get(key);
    if (!stored) throw new NotFoundError(`object not found: ${key}`, { backend: this.name, key });
    return this.meta(key, stored);
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    await Promise.resolve();
    // Snapshot first: the caller may put or delete while iterating.
    const hits = [...this.objects.entries()].filter(([k]) => k.startsWith(prefix));
    for (const [key, stored] of hits) yield this.meta(key, stored);
  }

  async delete(key: string): Promise<void> {
    validateKey(key, this.name);
    await Promise.resolve();
    this.objects.delete(key);
  }

  private meta(key: string, stored: Stored): ObjectMeta {
    return { key, size: stored.bytes.byteLength, version: String(stored.version), lastModified: stored.lastModified };
  }
}
