export interface BenchContext {
  /** Tiny sizes and durations, a few seconds in all (CI keeps the code from rotting with it). */
  readonly smoke: boolean;
  /** A scratch directory the scenario may fill; removed by the runner afterwards. */
  readonly scratch: string;
  readonly log: (line: string) => void;
}
