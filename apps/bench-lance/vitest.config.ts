import { defineConfig } from "vitest/config";

// The JSON report is what .ci/run sums into its closing "N passed, N failed" line.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
    testTimeout: 30_000,
  },
});
