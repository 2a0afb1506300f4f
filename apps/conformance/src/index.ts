export { runConformance, type ConformanceOptions } from "./suite/run-conformance.js";
export type { BackendConnector, BackendDefinition, StartedBackend } from "./backends/types.js";
export { BackendUnavailable } from "./backends/types.js";
