import { defineConfig } from "vitest/config";

// End-to-end tests start real processes (collector, CLI, gitlab-ci-local, groovy): give them time,
// and run files one at a time so the two cores are not oversubscribed.
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    setupFiles: ["support/database-setup.ts"],
  },
});
