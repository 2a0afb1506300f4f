import type { RecordBatch } from "apache-arrow";
import { InvalidArgumentError } from "./errors.js";

/** Result of `BatchStore.append`: the batch's position, or "full" when no slot is free. */
export type BatchAppendResult = { readonly ok: true; readonly position: number } | { readonly ok: false; readonly reason: "full" };

/** Bytes of column data a batch holds (buffers it references, not a serialized size). */
export function batchByteSize(batch: RecordBatch): number {
  return batch.data.byteLength;
}

/**
 * A fixed-capacity buffer of batches waiting to become durable. Positions are a batch sequence
 * number (0, 1, 2, ... for the writer's life), distinct from WAL entry positions. Batches are released
 * once durable, freeing their slots; a full store is reported, not grown, so memory stays bounded and
 * producers feel backpressure.
 */
export class BatchStore {
  private readonly slots: Array<{ batch: RecordBatch; bytes: number } | undefined>;
  private startPosition = 0;
  private endPosition = 0;
  private buffered = 0;
  /** Bytes appended before each held position, so any range's size is one subtraction. */
  private readonly bytesBefore: number[];
  private appendedBytes = 0;

  /** @throws InvalidArgumentError when `capacity` is not a positive integer. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new InvalidArgumentError(`batch store capacity must be a positive integer, got ${capacity}`);
    }
    this.slots = new Array(capacity);
    this.bytesBefore = new Array(capacity);
  }

  /** Position the next appended batch gets. */
  get end(): number {
    return this.endPosition;
  }

  /** First position still held (everything before it was released). */
  get start(): number {
    return this.startPosition;
  }

  get size(): number {
    return this.endPosition - this.startPosition;
  }

  /** Bytes of column data held by unreleased batches. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  append(batch: RecordBatch): BatchAppendResult {
    if (this.size >= this.capacity) return { ok: false, reason: "full" };
    const position = this.endPosition++;
    const bytes = batchByteSize(batch);
    this.slots[position % this.capacity] = { batch, bytes };
    this.bytesBefore[position % this.capacity] = this.appendedBytes;
    this.appendedBytes += bytes;
    this.buffered += bytes;
    return { ok: true, position };
  }

  /** Batches at positions `[from, to)`. @throws InvalidArgumentError when the range is not held. */
  slice(from: number, to: number): RecordBatch[] {
    this.checkHeld(from, to);
    const out: RecordBatch[] = [];
    for (let p = from; p < to; p++) out.push(this.slots[p % this.capacity]!.batch);
    return out;
  }

  /** Bytes of column data in `[from, to)`, in constant time. */
  bytesBetween(from: number, to: number): number {
    this.checkHeld(from, to);
    const before = (p: number): number => (p === this.endPosition ? this.appendedBytes : this.bytesBefore[p % this.capacity]!);
    return before(to) - before(from);
  }

  /** Frees every slot before `upTo` (they are durable). Releasing backwards is a no-op. */
  release(upTo: number): void {
    const target = Math.min(upTo, this.endPosition);
    while (this.startPosition < target) {
      const i = this.startPosition % this.capacity;
      this.buffered -= this.slots[i]!.bytes;
      this.slots[i] = undefined;
      this.startPosition++;
    }
  }

  private checkHeld(from: number, to: number): void {
    if (!(from >= this.startPosition && to <= this.endPosition && from <= to)) {
      throw new InvalidArgumentError(
        `batch range [${from}, ${to}) is not held (held: [${this.startPosition}, ${this.endPosition}))`,
      );
    }
  }
}
