export { FsStore, isTempFileName } from "./fs-store.js";
export { resolveFsStoreOptions, type FsStoreOptions, type ResolvedFsStoreOptions } from "./config.js";
export { mapFsError, type FsOperation } from "./map-error.js";
