import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Starts the libSQL server when VERSIONER_TEST_ENGINE=sqld (docs/testing.md); nothing otherwise.
    globalSetup: ["./src/testing/sqld-global-setup.ts"],
  },
});
