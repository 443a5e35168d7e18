// Types for the part of pages-section.mjs that an end-to-end test uses (test/e2e/bench-pages.test.ts).

export const pagesSection: {
  id: string;
  title: string;
  run(context: { log(line: string): void }): Promise<{ figures: Record<string, string> }>;
};
