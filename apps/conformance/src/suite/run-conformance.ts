import type { ObjectStore, StoreCapabilities } from "@wal/core";
import { conditionalCases } from "./conditional.js";
import { crudCases } from "./crud.js";
import { listingCases } from "./listing.js";
import { objectCases } from "./objects.js";
import { walCases } from "./wal.js";
import { describe } from "vitest";

/** What {@link runConformance} needs to know about the store under test. */
export interface ConformanceOptions {
  /** Names the `describe` block, e.g. `"s3"`. */
  readonly name: string;
  /**
   * A new, empty store isolated from every other store this factory returns (its own directory,
   * bucket prefix or instance). Called once per test; tests run one after another.
   */
  readonly create: () => Promise<ObjectStore>;
  /**
   * What the backend claims to support. A missing capability is not skipped: the suite then asserts
   * that the matching call rejects with `NotImplementedError`.
   */
  readonly capabilities: StoreCapabilities;
}

/**
 * Registers the whole conformance suite as vitest `describe`/`it` blocks (call it at the top level of
 * a test file). Every backend runs the same cases; what differs is only `capabilities`.
 */
export function runConformance(options: ConformanceOptions): void {
  describe(`${options.name} object store conformance`, () => {
    crudCases(options);
    objectCases(options);
    conditionalCases(options);
    listingCases(options);
    walCases(options);
  });
}
