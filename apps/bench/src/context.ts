import type { ReplayOptions, ShardWriterOptions } from "@wal/core";

export interface BenchContext {
  /** Tiny sizes and durations, a few seconds in all (CI keeps the code from rotting with it). */
  readonly smoke: boolean;
  /** A scratch directory the scenario may fill; removed by the runner afterwards. */
  readonly scratch: string;
  readonly log: (line: string) => void;
}

// The depth options are being added to core while this package is written; going through `object`
// keeps the benchmarks compiling against a core with or without them, and both names live only here.

/** Writer options with pipeline depth K (entries in flight per writer). */
export function withPipelineDepth(k: number, options: ShardWriterOptions = {}): ShardWriterOptions {
  return { ...options, ...({ pipelineDepth: k } as object) };
}

/** Replay options with prefetch depth K (entries read ahead). */
export function withPrefetch(k: number, options: ReplayOptions = {}): ReplayOptions {
  return { ...options, ...({ prefetch: k } as object) };
}
