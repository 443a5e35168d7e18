import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const PACKAGE = resolve(import.meta.dirname, "..");
const REPO = resolve(PACKAGE, "../..");
const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

function exec(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    // Offline: if `versioner` were not found in the repository, npx would fetch the unrelated npm
    // package of that name; offline that fails instead of running someone else's code.
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      npm_config_offline: "true",
    };
    execFile(command, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("the versioner command of this repository", () => {
  it.each([
    ["the repository root", REPO],
    ["a workspace (collector/)", join(REPO, "collector")],
    ["a folder without package.json (docs/)", join(REPO, "docs")],
  ])("`npx versioner --help` in %s runs this CLI", { timeout: 60_000 }, async (_, cwd) => {
    const result = await exec("npx", ["versioner", "--help"], cwd);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: versioner <command> \[flags\]\n/);
    expect(result.stdout).toContain("track deployment");
  });

  it("builds the bundle on first use when dist/ is missing", async () => {
    // A copy of the package without dist/, resolving its dependencies from this repository.
    const root = mkdtempSync(join(tmpdir(), "versioner-launcher-"));
    copies.push(root);
    const copy = join(root, "packages/cli");
    for (const part of ["bin", "src", "build.mjs", "package.json"]) {
      cpSync(join(PACKAGE, part), join(copy, part), { recursive: true });
    }
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
    expect(existsSync(join(copy, "dist/versioner.mjs"))).toBe(false);

    const result = await exec(process.execPath, [join(copy, "bin/versioner.mjs"), "--version"], root);
    expect(result).toMatchObject({ code: 0, stdout: "0.1.0\n" });
    expect(existsSync(join(copy, "dist/versioner.mjs"))).toBe(true);
  }, 60_000);
});
