import { defineConfig, mergeConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest settings every package shares. The JSON report is what `.ci/run` sums into its closing
 * "N passed, N failed" line, so every package writes one to `reports/vitest.json`.
 */
export function packageTestConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  return mergeConfig(
    defineConfig({
      test: {
        include: ["test/**/*.test.ts"],
        reporters: ["default", "json"],
        outputFile: { json: "reports/vitest.json" },
        testTimeout: 30_000,
      },
    }),
    overrides,
  );
}
