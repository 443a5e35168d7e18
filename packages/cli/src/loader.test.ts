import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type LoopbackServer, startLoopbackServer } from "@versioner/client/testing";
import { afterEach, describe, expect, it } from "vitest";

// loader/fetch-cli.mjs: what the GitLab component's and the Jenkins library's default `cli` runs.
const REPO = resolve(import.meta.dirname, "../../..");
const LOADER = readFileSync(resolve(REPO, "packages/cli/loader/fetch-cli.mjs"), "utf8");
const FAKE_CLI = "console.log('fake cli ' + JSON.stringify(process.argv.slice(2)));\n";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A collector stand-in answering GET /cli/versioner.mjs with `answers` in turn (the last one repeats). */
async function serving(...answers: Array<{ status: number; body?: string; checksum?: string }>) {
  server = await startLoopbackServer((request, response, index) => {
    const answer = answers[Math.min(index, answers.length - 1)] ?? { status: 500 };
    const headers: Record<string, string> = { "content-type": "text/javascript" };
    if (answer.checksum !== undefined) headers["x-checksum-sha256"] = answer.checksum;
    response.writeHead(request.url === "/cli/versioner.mjs" ? answer.status : 404, headers);
    response.end(answer.body ?? "");
  });
  return server;
}

function load(args: string[], env: Record<string, string>, loader = LOADER) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", loader, "--", ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("the CLI loader", () => {
  it("survives GitLab variable expansion and cmd.exe quoting: no dollar sign, double quote or percent sign", () => {
    expect(LOADER).not.toMatch(/[$"%]/);
  });

  it("is copied verbatim into the Jenkins library and both GitLab templates (node scripts/sync-cli-loader.mjs)", () => {
    const jenkins = readFileSync(
      resolve(REPO, "actions/jenkins/resources/org/versioner/jenkins/fetch-cli.mjs"),
      "utf8",
    );
    expect(jenkins).toBe(LOADER);
    for (const template of ["track-build", "track-deployment"]) {
      const text = readFileSync(resolve(REPO, `actions/gitlab/templates/${template}.yml`), "utf8");
      const block = /^ {4}VERSIONER_CLI_LOADER: \|\n((?: {6}.*\n|\n)+)/m.exec(text)?.[1] ?? "";
      const embedded = block
        .split("\n")
        .map((line) => line.slice(6))
        .join("\n");
      expect(embedded, template).toBe(LOADER);
    }
  });

  it("downloads the collector's CLI, checks its checksum and runs it with the arguments after --", async () => {
    const { url, requests } = await serving({ status: 200, body: FAKE_CLI, checksum: sha256(FAKE_CLI) });
    const result = await load(["track", "deployment", "--help", "a b"], { VERSIONER_API_URL: `${url}/` });
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout: 'fake cli ["track","deployment","--help","a b"]\n',
    });
    expect(requests.map((request) => request.url)).toEqual(["/cli/versioner.mjs"]);
  });

  it("works with its lines joined into one, as a Windows agent passes it", async () => {
    const { url } = await serving({ status: 200, body: FAKE_CLI, checksum: sha256(FAKE_CLI) });
    const oneLine = LOADER.split("\n").join(" ");
    const result = await load(["state"], { VERSIONER_API_URL: url }, oneLine);
    expect(result).toEqual({ code: 0, stderr: "", stdout: 'fake cli ["state"]\n' });
  });

  it("never runs a download whose checksum does not match, even when API errors are tolerated", async () => {
    const { url } = await serving({ status: 200, body: FAKE_CLI, checksum: sha256("something else") });
    const refused = await load(["state"], { VERSIONER_API_URL: url });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: the versioner CLI from ${url}/cli/versioner.mjs does not match its X-Checksum-Sha256 header .*not running it\\n$`,
      ),
    );
    const tolerated = await load(["state"], { VERSIONER_API_URL: url, VERSIONER_FAIL_ON_API_ERROR: "false" });
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toBe("");
    expect(tolerated.stderr).toMatch(
      /^warning: .*not running it \(continuing: fail-on-api-error is false\)\n$/,
    );
  });

  it("refuses a download without a checksum header", async () => {
    const { url } = await serving({ status: 200, body: FAKE_CLI });
    const result = await load(["state"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("header (missing, received");
  });

  it("says what to do when the collector does not serve its CLI (404)", async () => {
    const { url } = await serving({ status: 404, body: "{}" });
    const result = await load(["state"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `could not download the versioner CLI from ${url}/cli/versioner.mjs: HTTP 404`,
    );
    expect(result.stderr).toContain("set the cli option");
  });

  it("retries a 5xx answer", async () => {
    const { url, requests } = await serving(
      { status: 503 },
      { status: 200, body: FAKE_CLI, checksum: sha256(FAKE_CLI) },
    );
    const result = await load(["state"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(0);
    expect(requests).toHaveLength(2);
  });

  it("fails on an unreachable collector naming the URL, or warns and exits 0 when tolerated", async () => {
    const { url } = await serving({ status: 200 });
    await server?.close();
    server = undefined;
    const failed = await load(["state"], { VERSIONER_API_URL: url });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `error: could not download the versioner CLI from ${url}/cli/versioner.mjs after 3 attempts: network error: ECONNREFUSED\n`,
    );
    const tolerated = await load(["state"], { VERSIONER_API_URL: url, VERSIONER_FAIL_ON_API_ERROR: "False" });
    expect(tolerated.code).toBe(0);
    expect(tolerated.stderr).toMatch(
      /^warning: could not download .*ECONNREFUSED \(continuing: fail-on-api-error is false\)\n$/,
    );
  }, 30_000);

  it("asks for VERSIONER_API_URL without trying anything, whatever fail-on-api-error says", async () => {
    const result = await load(["state"], { VERSIONER_FAIL_ON_API_ERROR: "false" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot fetch the versioner CLI: set VERSIONER_API_URL/);
  });
});
