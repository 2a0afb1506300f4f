export * from "./object-store.js";
export * from "./errors.js";
export * from "./keys.js";
export { MemoryStore } from "./memory-store.js";
