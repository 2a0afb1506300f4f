import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FsStore } from "@wal/store-fs";
import type { BackendConnector, BackendDefinition } from "./types.js";

/** A temporary directory for the whole run; each store gets its own subdirectory of it. */
export const backend: BackendDefinition = {
  name: "fs",
  start: async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "wal-conformance-fs-"));
    return { config: { root }, stop: () => rm(root, { recursive: true, force: true }) };
  },
};

export const connector: BackendConnector = {
  capabilities: { create: true, update: false },
  create: async (config) => {
    const root = config.root;
    if (!root) throw new Error("fs backend config has no 'root'");
    return new FsStore({ root: path.join(root, randomUUID()) });
  },
};
