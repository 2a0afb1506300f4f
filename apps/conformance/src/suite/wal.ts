import type { ConformanceOptions } from "./run-conformance.js";
export function walCases(_options: ConformanceOptions): void {}
