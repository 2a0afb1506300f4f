/**
 * A fault-injecting `ObjectStore` wrapper for tests and simulations. Faults are rules matched against
 * each call in order; the first matching rule with budget left decides what happens.
 */
import type { GetOptions, GetResult, ObjectMeta, ObjectStore, PutOptions, PutResult } from "../object-store.js";
import { UnavailableError } from "../errors.js";

export type FaultOperation = "put" | "get" | "head" | "list" | "delete";

export interface FaultRule {
  /** Operations the rule applies to (default: put only). */
  readonly ops?: readonly FaultOperation[];
  /** Only keys matching this (default: all). */
  readonly keys?: RegExp;
  /**
   * - `fail`: the call fails before reaching the store.
   * - `lostAck`: the call reaches the store (the write lands), then fails as if the reply was lost.
   * - `delay`: the call is delayed by `delayMs`, then proceeds.
   */
  readonly kind: "fail" | "lostAck" | "delay";
  /** Apply to the next N matching calls only (default: unlimited). */
  readonly times?: number;
  /** Apply with this probability (default 1). Drawn from the store's `random`. */
  readonly probability?: number;
  readonly delayMs?: number;
  /** The error to throw (default: a retryable `UnavailableError`). */
  readonly error?: () => Error;
}

export interface FaultyStoreOptions {
  /** Random source in [0, 1), so property tests can be replayed from a seed (default Math.random). */
  readonly random?: () => number;
}

export class FaultyStore implements ObjectStore {
  readonly name: string;
  private rules: Array<{ rule: FaultRule; remaining: number }> = [];
  private readonly random: () => number;
  /** How many faults fired, by kind. */
  readonly injected = { fail: 0, lostAck: 0, delay: 0 };

  constructor(
    readonly inner: ObjectStore,
    options: FaultyStoreOptions = {},
  ) {
    this.name = `faulty(${inner.name})`;
    this.random = options.random ?? Math.random;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  /** Adds a rule; returns a function that removes it. */
  addRule(rule: FaultRule): () => void {
    const entry = { rule, remaining: rule.times ?? Infinity };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((r) => r !== entry);
    };
  }

  /** Fails the next `n` puts (optionally only for keys matching `keys`) with a retryable error. */
  failNextPuts(n: number, keys?: RegExp): () => void {
    return this.addRule({ kind: "fail", times: n, keys });
  }

  /** The next `n` puts land but report failure. */
  loseNextAcks(n: number, keys?: RegExp): () => void {
    return this.addRule({ kind: "lostAck", times: n, keys });
  }

  clearRules(): void {
    this.rules = [];
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    return this.apply("put", key, () => this.inner.put(key, bytes, options));
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    return this.apply("get", key, () => this.inner.get(key, options));
  }

  async head(key: string): Promise<ObjectMeta> {
    return this.apply("head", key, () => this.inner.head(key));
  }

  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    const items = await this.apply("list", prefix, async () => {
      const out: ObjectMeta[] = [];
      for await (const m of this.inner.list(prefix)) out.push(m);
      return out;
    });
    yield* items;
  }

  async delete(key: string): Promise<void> {
    return this.apply("delete", key, () => this.inner.delete(key));
  }

  private pick(op: FaultOperation, key: string): FaultRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (entry.remaining <= 0) continue;
      if (!(rule.ops ?? ["put"]).includes(op)) continue;
      if (rule.keys && !rule.keys.test(key)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      entry.remaining--;
      return rule;
    }
    return undefined;
  }

  private async apply<T>(op: FaultOperation, key: string, call: () => Promise<T>): Promise<T> {
    const rule = this.pick(op, key);
    if (!rule) return call();
    this.injected[rule.kind]++;
    const error = (): Error =>
      rule.error?.() ?? new UnavailableError(`injected ${rule.kind} fault on ${op} ${key}`, { backend: this.name, key });
    switch (rule.kind) {
      case "fail":
        throw error();
      case "lostAck":
        await call();
        throw error();
      case "delay":
        await new Promise((r) => setTimeout(r, rule.delayMs ?? 10));
        return call();
    }
  }
}
