import { configDefaults, defineConfig } from "vitest/config";

// The suites `npm run test:mutation` runs against mutants of the rule modules (stryker.config.json):
// each module's own tests, not the whole collector suite (the fuzz and end-to-end walks would
// make a mutation run take hours on a 2-core machine for few extra kills).
export default defineConfig({
  test: {
    include: [
      "src/ingest/**/*.test.ts",
      "src/auth/**/*.test.ts",
      "src/notifications/outbound-guard.test.ts",
      "src/notifications/retry-policy.test.ts",
      "src/governance/**/*.test.ts",
    ],
    exclude: [...configDefaults.exclude, "**/.stryker-tmp/**", "src/auth/access-control*.test.ts"],
  },
});
