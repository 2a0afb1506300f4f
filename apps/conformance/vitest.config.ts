import { packageTestConfig } from "../../vitest.shared.js";

// Emulators are started once, in global setup, and shared by all backend test files.
export default packageTestConfig({
  test: { globalSetup: ["test/global-setup.ts"], testTimeout: 60_000, hookTimeout: 120_000 },
});
