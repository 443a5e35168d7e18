import { defineConfig } from "vitest/config";
import { TEST_ENGINE } from "./src/testing/test-engine.ts";

// On a libSQL server every statement is an HTTP round trip: a test that writes a few hundred
// events takes several times longer than on a file (docs/testing.md), so it gets more time.
const slow = TEST_ENGINE === "sqld";

export default defineConfig({
  test: {
    // Starts the libSQL server when VERSIONER_TEST_ENGINE=sqld; nothing otherwise.
    globalSetup: ["./src/testing/sqld-global-setup.ts"],
    testTimeout: slow ? 30_000 : 5_000,
    hookTimeout: slow ? 60_000 : 10_000,
  },
});
