import type { ByteRange } from "./object-store.js";
import { InvalidArgumentError } from "./errors.js";

/**
 * Checks the shape every backend agrees on: a non-empty, relative, `/`-separated key with no empty,
 * `.` or `..` segments. Backends may refuse more (the filesystem store also refuses symlink escapes).
 * @throws InvalidArgumentError naming the key and the backend.
 */
export function validateKey(key: string, backend: string): void {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`invalid object key ${JSON.stringify(key)} for ${backend}: ${why}`);
  };
  if (typeof key !== "string" || key.length === 0) bad("empty");
  if (key.startsWith("/")) bad("absolute keys are not allowed");
  if (key.includes("\0")) bad("contains a NUL character");
  for (const segment of key.split("/")) {
    if (segment === "") bad("empty path segment");
    if (segment === "." || segment === "..") bad(`'${segment}' segments are not allowed`);
  }
}

/**
 * The bytes of `range` within `bytes` (no copy), with `end` clipped to the size.
 * @throws InvalidArgumentError for a negative or inverted range.
 */
export function sliceRange(bytes: Uint8Array, range: ByteRange): Uint8Array {
  const { start, end } = resolveRange(range, bytes.byteLength);
  return bytes.subarray(start, end);
}

/** Clips `range` to an object of `size` bytes. @throws InvalidArgumentError for a negative or inverted range. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw new InvalidArgumentError(`range start must be a non-negative integer, got ${range.start}`);
  }
  if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)) {
    throw new InvalidArgumentError(`range end must be an integer >= start (${range.start}), got ${range.end}`);
  }
  const start = Math.min(range.start, size);
  const end = Math.min(range.end ?? size, size);
  return { start, end };
}
