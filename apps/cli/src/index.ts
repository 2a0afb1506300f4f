export { runDemo, type DemoOptions, type DemoResult } from "./demo.js";
export { runInspect, inspectShard, locateShards, type InspectedEntry, type InspectedShard } from "./inspect.js";
export { demoBatch, demoSchema } from "./demo-data.js";
export { runVerify, verifyShard, type VerifyReport } from "./verify.js";
export { runDump, type DumpOptions } from "./dump.js";
