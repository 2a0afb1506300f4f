import type { TestProject } from "vitest/node";
import { loadBackend, selectedBackends } from "../src/backends/registry.js";
import type { StartedBackend } from "../src/backends/types.js";

/**
 * Starts every selected backend's emulator once for the whole run and hands each test file its
 * connection info through `provide("backend:<name>", ...)`. A backend that cannot start fails the run
 * in CI; locally it is provided as `{ skipped: reason }` and its test file reports it as skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: Array<[string, StartedBackend]> = [];
  const inCi = process.env.CI === "true" || process.env.CI === "1";
  for (const name of selectedBackends()) {
    try {
      const backend = await loadBackend(name);
      const handle = await backend.start();
      started.push([name, handle]);
      project.provide(`backend:${name}` as never, JSON.stringify({ config: handle.config }) as never);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (inCi) {
        for (const [, h] of started.reverse()) await h.stop().catch(() => undefined);
        throw new Error(`backend ${name} could not start in CI: ${reason}`, { cause: e });
      }
      console.warn(`[conformance] backend ${name} SKIPPED: ${reason}`);
      project.provide(`backend:${name}` as never, JSON.stringify({ skipped: reason }) as never);
    }
  }
  return async () => {
    for (const [name, h] of started.reverse()) {
      try {
        await h.stop();
      } catch (e) {
        console.error(`[conformance] stopping ${name} failed:`, e);
      }
    }
  };
}
