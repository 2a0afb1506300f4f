#!/usr/bin/env node
// Runs a pnpm command after making sure the pinned pnpm and the workspace's dependencies are
// installed, so the README's quick start works on a machine that has only Node and npm.
// Usage: node scripts/run.mjs <pnpm arguments...>
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];

function pnpmVersion() {
  try {
    return execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (pnpmVersion() !== pinned) {
  console.error(`[run] installing pnpm@${pinned} (npm i -g)`);
  run("npm", ["install", "-g", `pnpm@${pinned}`]);
}
run("pnpm", ["install", "--frozen-lockfile", "--prefer-offline", "--reporter=silent"]);
const args = process.argv.slice(2);
if (args.length > 0) run("pnpm", args);
