import { defineConfig } from "vitest/config";

// The JSON report is what .ci/run sums into its closing "N passed, N failed" line.
// Emulators are started once, in global setup, and shared by all backend test files.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
