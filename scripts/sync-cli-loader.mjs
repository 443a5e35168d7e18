// Copies the CLI loader (packages/cli/loader/fetch-cli.mjs) to where the CI wrappers read it: the
// Jenkins library's resources and the VERSIONER_CLI_LOADER variable of each GitLab template.
// `node scripts/sync-cli-loader.mjs`; packages/cli/src/loader.test.ts fails when a copy is stale.
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const loader = readFileSync(new URL("packages/cli/loader/fetch-cli.mjs", root), "utf8");

writeFileSync(new URL("actions/jenkins/resources/org/versioner/jenkins/fetch-cli.mjs", root), loader);

/** The `VERSIONER_CLI_LOADER: |` block of a job's variables (4 spaces), its lines indented by 6. */
const GITLAB_LOADER_BLOCK = /^( {4}VERSIONER_CLI_LOADER: \|\n)((?: {6}.*\n|\n)+)/m;

for (const template of ["track-build", "track-deployment"]) {
  const url = new URL(`actions/gitlab/templates/${template}.yml`, root);
  const text = readFileSync(url, "utf8");
  if (!GITLAB_LOADER_BLOCK.test(text))
    throw new Error(`${template}.yml has no VERSIONER_CLI_LOADER: | block`);
  const indented = loader
    .trimEnd()
    .split("\n")
    .map((line) => (line ? `      ${line}` : ""))
    .join("\n");
  writeFileSync(
    url,
    text.replace(GITLAB_LOADER_BLOCK, (_, head) => `${head}${indented}\n`),
  );
}
