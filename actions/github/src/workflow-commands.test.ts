import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRunner, formatFileCommand } from "./workflow-commands.ts";

// The action speaks the runner protocol itself (see README); these tests pin it to what
// @actions/core, the reference implementation, writes for the same calls.

function captureStdout(action: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    action();
  } finally {
    spy.mockRestore();
  }
  return chunks.join("");
}

function tempFile(name: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "versioner-gha-")), name);
  writeFileSync(path, "");
  return path;
}

function normalizeDelimiters(text: string): string {
  return text.replace(/ghadelimiter_[0-9a-f-]+/g, "ghadelimiter_X");
}

const tricky = "50% done\r\nnext line: a, b";
const reference = { notice: core.notice, warning: core.warning, error: core.error };

function ours(env: Record<string, string> = {}) {
  const chunks: string[] = [];
  const runner = createRunner({
    env,
    write: (text) => chunks.push(text),
    appendFile: (path, data) => writeFileSync(path, data, { flag: "a" }),
  });
  return { runner, stdout: () => chunks.join("") };
}

describe("workflow commands match @actions/core", () => {
  afterEach(() => {
    delete process.env.GITHUB_OUTPUT;
    delete process.env.GITHUB_STEP_SUMMARY;
  });

  it.each(["notice", "warning", "error"] as const)("%s annotations, escaped", (level) => {
    const expected = captureStdout(() => reference[level](tricky, { title: "Versioner: a, b" }));
    const { runner, stdout } = ours();
    runner[level](tricky, { title: "Versioner: a, b" });
    expect(stdout()).toBe(expected);
  });

  it("masks secrets", () => {
    const expected = captureStdout(() => core.setSecret("s3cr%t"));
    const { runner, stdout } = ours();
    runner.setSecret("s3cr%t");
    expect(stdout()).toBe(expected);
  });

  it("writes outputs to GITHUB_OUTPUT as heredoc blocks", () => {
    process.env.GITHUB_OUTPUT = tempFile("theirs");
    core.setOutput("deployment_id", "d-1");
    core.setOutput("multi", "a\nb");
    const mine = tempFile("ours");
    const { runner } = ours({ GITHUB_OUTPUT: mine });
    runner.setOutput("deployment_id", "d-1");
    runner.setOutput("multi", "a\nb");
    expect(normalizeDelimiters(readFileSync(mine, "utf8"))).toBe(
      normalizeDelimiters(readFileSync(process.env.GITHUB_OUTPUT, "utf8")),
    );
  });

  it("appends the job summary to GITHUB_STEP_SUMMARY", async () => {
    process.env.GITHUB_STEP_SUMMARY = tempFile("theirs");
    await core.summary.addRaw("### Title\n\n| a | b |", true).write();
    const mine = tempFile("ours");
    ours({ GITHUB_STEP_SUMMARY: mine }).runner.appendSummary("### Title\n\n| a | b |");
    expect(readFileSync(mine, "utf8")).toBe(readFileSync(process.env.GITHUB_STEP_SUMMARY, "utf8"));
  });

  it("refuses a value that contains the delimiter", () => {
    expect(() => formatFileCommand("x", "ghadelimiter_1", "ghadelimiter_1")).toThrow(/delimiter/);
  });
});
