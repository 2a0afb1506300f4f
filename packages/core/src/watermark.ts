import { abortable } from "./once-cell.js";

/**
 * How far the log is durable, as a count of batches: every batch position below `value` is on
 * storage. It only moves forward. Once failed (fenced, poisoned, closed) it stays where it is and
 * every wait beyond it rejects with the failure, so no waiter hangs.
 */
export class DurableWatermark {
  private current = 0;
  private failure: { error: unknown } | undefined;
  private waiters: Array<{ position: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  get value(): number {
    return this.current;
  }

  get failed(): unknown {
    return this.failure?.error;
  }

  isDurable(position: number): boolean {
    return position < this.current;
  }

  /** Moves the watermark to `to` (ignored if not forward) and wakes every waiter now covered. */
  advance(to: number): void {
    if (to <= this.current) return;
    this.current = to;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.position < to) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Rejects every waiter beyond the watermark, now and in future, with `error`. The first failure wins. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  /** Resolves once batch `position` is durable. @throws the failure, or `signal.reason` on abort. */
  waitFor(position: number, signal?: AbortSignal): Promise<void> {
    if (position < this.current) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure.error);
    return abortable<void>(signal, (resolve, reject) => {
      const w = { position, resolve, reject };
      this.waiters.push(w);
      return () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      };
    });
  }
}
