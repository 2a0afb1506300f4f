export { GcsStore } from "./gcs-store.js";
export { parseGcsUri, resolveGcsConfig, normalizePrefix } from "./config.js";
export type { GcsStoreOptions, GcsUri, ResolvedGcsConfig } from "./config.js";
export { mapGcsError } from "./map-error.js";
export type { GcsErrorContext, GcsOperation } from "./map-error.js";
