import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const REBUILD = "run `npm run build -w @versioner/github-action` and commit actions/github/dist/";

function git(args: string[]): Buffer | undefined {
  try {
    return execFileSync("git", args, {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}

function freshBuild(): Buffer {
  const outfile = join(mkdtempSync(join(tmpdir(), "versioner-gha-dist-")), "index.js");
  execFileSync(process.execPath, ["build.mjs", "--outfile", outfile], { cwd: root, stdio: "pipe" });
  return readFileSync(outfile);
}

describe("dist/ is the bundle of the current sources", () => {
  const fresh = freshBuild();

  it(`dist/index.js in the working tree is up to date (${REBUILD})`, () => {
    const onDisk = readFileSync(join(root, "dist/index.js"));
    expect(onDisk.length, "size of dist/index.js vs a fresh build").toBe(fresh.length);
    expect(onDisk.equals(fresh), "dist/index.js differs from a fresh build").toBe(true);
  });

  // `npm test` builds before testing, so the working tree alone proves little: the committed blob
  // is what `uses:` runs. Like a check-dist CI job, compare with HEAD when this is a git checkout.
  it(`the committed dist/index.js is up to date (${REBUILD})`, (context) => {
    const committed = git(["show", "HEAD:./dist/index.js"]);
    if (committed === undefined) context.skip();
    expect(committed?.equals(fresh), "HEAD:actions/github/dist/index.js differs from a fresh build").toBe(
      true,
    );
  });

  it("dist/ loads as CommonJS and is tracked by git despite the root dist/ ignore rule", () => {
    expect(JSON.parse(readFileSync(join(root, "dist/package.json"), "utf8"))).toEqual({ type: "commonjs" });
    if (git(["rev-parse", "--git-dir"]) === undefined) return;
    expect(git(["check-ignore", "-q", "dist/index.js"]), "dist/index.js is git-ignored").toBeUndefined();
    expect(
      git(["check-ignore", "-q", "dist/package.json"]),
      "dist/package.json is git-ignored",
    ).toBeUndefined();
  });

  it("builds deterministically", () => {
    expect(freshBuild().equals(fresh)).toBe(true);
  });
});
