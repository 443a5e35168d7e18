import { relative } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Stryker reruns the test files that cover a mutant one after another and stops at the first
 * failure, so the quickest files go first (by their last run's duration): a fast service-level test
 * kills a mutant before the whole-app files load. Vitest's default runs the slowest first.
 */
class QuickestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const duration = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(
        `${file.project.name}:${relative(this.ctx.config.root, file.moduleId)}`,
      )?.duration ?? 0;
    return [...files].sort((a, b) => duration(a) - duration(b));
  }
}

// The tests `npm run test:mutation` runs against mutants of one rule module: each Stryker config in
// stryker/ points vitest's `dir` at its module's folder, so a mutant only meets that module's own
// tests (the whole collector suite, fuzz and end-to-end walks included, would make one run take
// hours on a 2-core machine). Patterns are relative to that folder.
export default defineConfig({
  test: {
    // Password hashing and whole-app tests run slowly beside Stryker's other workers.
    testTimeout: 120_000,
    sequence: { sequencer: QuickestFirst },
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
