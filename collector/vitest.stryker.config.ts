import { configDefaults, defineConfig } from "vitest/config";

// The tests `npm run test:mutation` runs against mutants of one rule module: each Stryker config in
// stryker/ points vitest's `dir` at its module's folder, so a mutant only meets that module's own
// tests (the whole collector suite, fuzz and end-to-end walks included, would make one run take
// hours on a 2-core machine). Patterns are relative to that folder.
export default defineConfig({
  test: {
    // Password hashing and whole-app tests run slowly beside Stryker's other workers.
    testTimeout: 120_000,
    include: ["**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      "**/.stryker-tmp/**",
      // The route × role walk pins capabilities.ts, which is not mutated here.
      "**/access-control*.test.ts",
      // 200 random sequences checked against a model: minutes per surviving mutant. npm test runs it.
      "**/ingest-property.test.ts",
      // Notifications: only the outbound guard and the retry policy are mutated.
      "**/{messages,delivery-worker,notifications,cdevents-channel}.test.ts",
    ],
  },
});
