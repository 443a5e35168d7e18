import { UsageError } from "@versioner/ci-env";
import { describe, expect, it } from "vitest";
import { parseBoolean, parseCommandLine } from "./command-line.ts";

describe("parseCommandLine", () => {
  it("parses a track build with aliases folded to canonical names", () => {
    expect(
      parseCommandLine([
        "track",
        "build",
        "--product-name",
        "api",
        "--version",
        "1.0.0",
        "--status=success",
        "-q",
      ]),
    ).toEqual({
      command: "track build",
      values: { product: "api", version: "1.0.0", status: "success", quiet: true },
      filters: {},
    });
  });

  it("parses a track deployment with --environment-name", () => {
    const parsed = parseCommandLine([
      "track",
      "deployment",
      "--environment-name",
      "prod",
      "--deploy-url",
      "https://x",
    ]);
    expect(parsed).toEqual({
      command: "track deployment",
      values: { environment: "prod", "deploy-url": "https://x" },
      filters: {},
    });
  });

  it("collects repeated state filters, aliases included", () => {
    expect(
      parseCommandLine([
        "state",
        "--product",
        "shop",
        "--product-name=web",
        "--environment",
        "prod",
        "--type",
        "staging",
        "--type",
        "production",
        "--json",
      ]),
    ).toEqual({
      command: "state",
      values: { json: true },
      filters: { product: ["shop", "web"], environment: ["prod"], type: ["staging", "production"] },
    });
  });

  it("treats a lone --version as the CLI version, and as a value inside track", () => {
    expect(parseCommandLine(["--version"]).command).toBe("version");
    expect(parseCommandLine(["-V"]).command).toBe("version");
    expect(() => parseCommandLine(["track", "build", "--version"])).toThrow(UsageError);
  });

  it.each([
    [["track", "build", "--deploy-url", "x"], /--deploy-url does not apply to 'versioner track build'/],
    [["track", "deployment", "--built-by", "x"], /--built-by does not apply/],
    [["track", "build", "--scm-committed-at", "2026-01-01T00:00:00Z", "--environment", "p"], /--environment/],
    [["state", "--status", "x"], /--status does not apply to 'versioner state'/],
    [["track", "build", "--type", "production"], /--type does not apply to 'versioner track build'/],
    [["track", "deployment", "--environment", "a", "--environment", "b"], /--environment was given twice/],
    [["track", "build", "--bogus"], /Unknown option '--bogus'/],
    [["track", "release"], /Unknown command 'track release'/],
    [["deploy"], /Unknown command 'deploy'/],
    [["track", "build", "--product", "a", "--product-name", "b"], /--product was given twice/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it("routes --help and help <command> to help", () => {
    expect(parseCommandLine(["--help"])).toMatchObject({ command: "help" });
    expect(parseCommandLine(["track", "build", "--help"])).toMatchObject({
      command: "help",
      topic: "track build",
    });
    expect(parseCommandLine(["help", "state"])).toMatchObject({ command: "help", topic: "state" });
    expect(parseCommandLine([])).toMatchObject({ command: "help" });
  });
});

describe("parseBoolean", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    [" False ", false],
    ["0", false],
    ["no", false],
  ])("%s → %s", (value, expected) => {
    expect(parseBoolean(value, "x")).toBe(expected);
  });

  it("rejects anything else", () => {
    expect(() => parseBoolean("maybe", "--fail-on-api-error")).toThrow(
      /--fail-on-api-error must be true or false/,
    );
  });
});
