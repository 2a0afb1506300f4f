import type { ObjectStore, StoreCapabilities } from "@wal/core";

/**
 * How the conformance app brings up one backend. Split in two because vitest runs global setup in
 * the main process and test files in workers: `start` runs once per test run (starts the emulator or
 * checks a bring-your-own bucket) and returns serializable connection info; `connect` runs in the
 * test worker and turns that info into stores.
 */
export interface BackendDefinition {
  /** "memory" | "fs" | "s3" | "gcs" | "azure" | ... */
  readonly name: string;
  /**
   * Starts whatever the backend needs. Throws `BackendUnavailable` (with a reason a person can act
   * on) when it cannot start; in CI that fails the run, locally the backend is reported as skipped.
   */
  start(): Promise<StartedBackend>;
}

export interface StartedBackend {
  /** Passed to the test worker through vitest's `provide`; must be JSON-serializable. Never log secrets in it. */
  readonly config: Record<string, string>;
  /** Stops the emulator. Called once after all tests. */
  stop(): Promise<void>;
}

export interface BackendConnector {
  readonly capabilities: StoreCapabilities;
  /**
   * A new, empty, isolated store (for cloud backends: a fresh random prefix in the shared bucket),
   * built from `config` as returned by `start`.
   */
  create(config: Record<string, string>): Promise<ObjectStore>;
}

/** Thrown by `start` when a backend cannot run here; the message says why and what to install. */
export class BackendUnavailable extends Error {
  override readonly name = "BackendUnavailable";
}
