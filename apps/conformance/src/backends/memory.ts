import { MemoryStore } from "@wal/core";
import type { BackendConnector, BackendDefinition } from "./types.js";

export const backend: BackendDefinition = {
  name: "memory",
  start: async () => ({ config: {}, stop: async () => undefined }),
};

export const connector: BackendConnector = {
  capabilities: new MemoryStore().capabilities,
  create: async () => new MemoryStore(),
};
