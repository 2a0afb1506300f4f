/**
 * An `ObjectStore` wrapper that delays every call like a remote object store would, so the effect of
 * pipelining (K entries in flight) and replay prefetch can be measured without a network.
 *
 * Delays are log-normal, fixed by their median and 99th percentile: a log-normal has the long right
 * tail that object-store latencies show, and two quantiles pin down both of its parameters. The
 * default PUT profile (p50 28 ms, p99 67 ms) is the one the benchmarks target; reads (GET, HEAD, LIST,
 * DELETE) default to p50 18 ms / p99 45 ms, smaller than PUT as on S3-like stores, where a write is
 * acknowledged only once it is replicated.
 */
import { sleep, type GetOptions, type GetResult, type ObjectMeta, type ObjectStore, type PutOptions, type PutResult } from "@wal/core";
import { seededRandom } from "./stats.js";

export interface LatencyProfile {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface LatencyStoreOptions {
  /** Delay of each PUT (default p50 28 ms, p99 67 ms). */
  readonly put?: LatencyProfile;
  /** Delay of each GET, HEAD, LIST and DELETE (default p50 18 ms, p99 45 ms). */
  readonly read?: LatencyProfile;
  /**
   * When set, a PUT also takes `bytes / bytesPerSecond`, and a GET `bytes / bytesPerSecond`, on top of
   * the latency (a bandwidth-limited link). Default: unlimited.
   */
  readonly bytesPerSecond?: number;
  /** Seed of the delay draws (default 1). */
  readonly seed?: number;
}

export const DEFAULT_PUT_LATENCY: LatencyProfile = { p50Ms: 28, p99Ms: 67 };
export const DEFAULT_READ_LATENCY: LatencyProfile = { p50Ms: 18, p99Ms: 45 };

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/** A sampler of log-normal delays with the given median and 99th percentile. */
export function logNormalSampler(profile: LatencyProfile, random: () => number): () => number {
  if (!(profile.p50Ms > 0) || !(profile.p99Ms >= profile.p50Ms)) {
    throw new RangeError(`latency profile needs 0 < p50 <= p99, got p50 ${profile.p50Ms}, p99 ${profile.p99Ms}`);
  }
  const mu = Math.log(profile.p50Ms);
  const sigma = Math.log(profile.p99Ms / profile.p50Ms) / Z99;
  return () => {
    // Box-Muller; 1 - u keeps the logarithm's argument away from zero.
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.exp(mu + sigma * z);
  };
}

export class LatencyStore implements ObjectStore {
  readonly name: string;
  /** Every PUT delay drawn so far (ms), to report the latency that was actually injected. */
  readonly putDelays: number[] = [];
  private readonly putDelay: () => number;
  private readonly readDelay: () => number;
  private readonly bytesPerSecond: number | undefined;

  constructor(
    readonly inner: ObjectStore,
    options: LatencyStoreOptions = {},
  ) {
    this.name = `latency(${inner.name})`;
    const random = seededRandom(options.seed ?? 1);
    this.putDelay = logNormalSampler(options.put ?? DEFAULT_PUT_LATENCY, random);
    this.readDelay = logNormalSampler(options.read ?? DEFAULT_READ_LATENCY, random);
    this.bytesPerSecond = options.bytesPerSecond;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  /** @throws whatever the inner store throws. */
  async put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    const delay = this.putDelay();
    this.putDelays.push(delay);
    await sleep(delay + this.transferMs(bytes.byteLength));
    return this.inner.put(key, bytes, options);
  }

  /** @throws whatever the inner store throws. */
  async get(key: string, options?: GetOptions): Promise<GetResult> {
    await sleep(this.readDelay());
    const result = await this.inner.get(key, options);
    const transfer = this.transferMs(result.bytes.byteLength);
    if (transfer > 0) await sleep(transfer);
    return result;
  }

  /** @throws whatever the inner store throws. */
  async head(key: string): Promise<ObjectMeta> {
    await sleep(this.readDelay());
    return this.inner.head(key);
  }

  /** @throws whatever the inner store throws. */
  async *list(prefix: string): AsyncIterable<ObjectMeta> {
    await sleep(this.readDelay());
    yield* this.inner.list(prefix);
  }

  /** @throws whatever the inner store throws. */
  async delete(key: string): Promise<void> {
    await sleep(this.readDelay());
    return this.inner.delete(key);
  }

  private transferMs(bytes: number): number {
    return this.bytesPerSecond === undefined ? 0 : (bytes / this.bytesPerSecond) * 1000;
  }
}
