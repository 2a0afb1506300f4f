import { inject, describe, it } from "vitest";
import { runConformance } from "../src/index.js";
import type { BackendConnector } from "../src/backends/types.js";
import { selectedBackends } from "../src/backends/registry.js";

/**
 * The whole body of every backend's test file: read what global setup provided and run the suite.
 * A backend left out by `BACKENDS` or unable to start locally is reported as skipped, with the reason
 * in the test name, never silently.
 */
export function testBackend(name: string, connector: BackendConnector): void {
  if (!selectedBackends().includes(name)) {
    describe(`${name} (not selected by BACKENDS)`, () => {
      it.skipIf(true)(`skipped: BACKENDS=${process.env.BACKENDS}`, () => undefined);
    });
    return;
  }
  const provided = JSON.parse(inject(`backend:${name}` as never) as string) as
    | { config: Record<string, string> }
    | { skipped: string };
  if ("skipped" in provided) {
    describe(`${name} (could not start)`, () => {
      it.skipIf(true)(`skipped: ${provided.skipped}`, () => undefined);
    });
    return;
  }
  runConformance({
    name,
    capabilities: connector.capabilities,
    create: () => connector.create(provided.config),
  });
}
