import type { DurableWatermark } from "./watermark.js";

/**
 * A producer's handle on one appended batch. `wait()` resolves when the batch is in an entry that is on
 * storage and every earlier batch is too; it rejects with the writer's typed error (fenced, poisoned,
 * closed) instead of hanging.
 */
export class BatchDurableWatcher {
  constructor(
    private readonly watermark: DurableWatermark,
    /** The batch's position in the writer's batch sequence. */
    readonly position: number,
    private readonly onWait?: (position: number) => void,
  ) {}

  isDurable(): boolean {
    return this.watermark.isDurable(this.position);
  }

  /**
   * Resolves once the batch is durable.
   * @throws WriterFencedError | WriterPoisonedError | WriterClosedError when the writer stopped first,
   * or `signal.reason` when aborted (aborting a wait does not cancel the write).
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.isDurable()) return Promise.resolve();
    // Asking for durability is a hint to flush now rather than at the next tick.
    this.onWait?.(this.position);
    return this.watermark.waitFor(this.position, signal);
  }
}
