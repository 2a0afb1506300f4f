import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FsStore } from "../src/index.js";
import { tempDir, text } from "./helpers.js";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const PROCESSES = 4;
const KEYS = 25;

// Each child waits for a shared start time, then tries to create every key; it prints one line per key.
const childSource = `
const { FsStore } = await import(process.argv[2]);
const [root, id, startAt, keys] = process.argv.slice(3);
const store = new FsStore({ root });
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
const out = [];
for (let k = 0; k < Number(keys); k++) {
  try {
    await store.put("race/key-" + k, new TextEncoder().encode("writer-" + id), { mode: { kind: "create" } });
    out.push(k + " won");
  } catch (e) {
    out.push(k + " " + (e.code ?? "unknown:" + e.message));
  }
}
console.log(out.join("\\n"));
`;

function runChild(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe("FsStore create across processes", () => {
  it("lets exactly one of several processes create each key", async () => {
    if (!existsSync(dist)) throw new Error("build @wal/store-fs first: pnpm --filter @wal/store-fs build");
    const scratch = await tempDir();
    const root = path.join(scratch, "root");
    const script = path.join(scratch, "child.mjs");
    await writeFile(script, childSource);
    const startAt = String(Date.now() + 700);
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, id) =>
        runChild(script, [pathToFileURL(dist).href, root, String(id), startAt, String(KEYS)]),
      ),
    );
    const store = new FsStore({ root });
    for (let k = 0; k < KEYS; k++) {
      const results = outputs.map((o) => o.split("\n").find((line) => line.startsWith(`${k} `))?.slice(`${k} `.length));
      expect(results.filter((r) => r === "won")).toHaveLength(1);
      expect(results.filter((r) => r === "AlreadyExists")).toHaveLength(PROCESSES - 1);
      const winner = results.indexOf("won");
      expect(text((await store.get(`race/key-${k}`)).bytes)).toBe(`writer-${winner}`);
    }
  });
});
