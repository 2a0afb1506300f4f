import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

const made: string[] = [];

/** A fresh directory under the OS temp dir, removed after the current test. */
export async function tempDir(label = "wal-fs-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), label));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The DESIGN.md section 3 rule: the text before the first `.` must be exactly 64 `0`/`1` characters. */
export function parsesAsWalName(name: string): boolean {
  const stem = name.split(".")[0] ?? "";
  return /^[01]{64}$/.test(stem);
}
