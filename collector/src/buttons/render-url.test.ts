import { describe, expect, it } from "vitest";
import { RenderError, renderUrl, templateVariables } from "./render-url.ts";

const values: Record<string, string> = {
  vi_version: "1.2.3+build 7",
  vi_environment_name: "staging",
  jenkins_url: "https://jenkins.example.com",
  rundeck_base_url: "https://rundeck.example.com",
  job: "deploy app",
};
const resolve = (key: string) =>
  key in values ? { value: values[key] as string, secret: false } : undefined;

function failure(template: string, lookup = resolve): string {
  try {
    renderUrl(template, lookup);
  } catch (error) {
    if (error instanceof RenderError) return error.message;
    throw error;
  }
  throw new Error("rendered");
}

describe("renderUrl", () => {
  it("encodes query-string values as one component and keeps a base URL variable as is", () => {
    expect(
      renderUrl(
        "{jenkins_url}/job/app/buildWithParameters?VERSION={vi_version}&ENV={vi_environment_name}",
        resolve,
      ),
    ).toBe("https://jenkins.example.com/job/app/buildWithParameters?VERSION=1.2.3%2Bbuild%207&ENV=staging");
  });

  it("escapes spaces in the path but keeps its slashes", () => {
    expect(renderUrl("https://ci.example.com/{job}/run", resolve)).toBe(
      "https://ci.example.com/deploy%20app/run",
    );
  });

  it("names the missing variable", () => {
    expect(failure("https://x.example.com/?v={nope}")).toBe("Missing variable: nope");
  });

  it("refuses a secret with the reason", () => {
    expect(failure("https://x.example.com/?t={token}", () => ({ value: "s3cr3t", secret: true }))).toMatch(
      /Variable 'token' is secret: a rendered button is a plain link/,
    );
  });

  it("allows only absolute http(s) results", () => {
    expect(failure("javascript:alert({vi_version})")).toMatch(/Only http and https/);
    expect(failure("/relative?v={vi_version}")).toMatch(/not absolute/);
  });

  it("turns a stored lone surrogate into a render error naming the variable, not a URIError", () => {
    const lone = () => ({ value: "\ud83d", secret: false });
    expect(failure("https://x.example.com/?b={vi_scm_branch}", lone)).toBe(
      "Variable 'vi_scm_branch' holds text that cannot be URL-encoded (a lone surrogate)",
    );
    expect(failure("https://x.example.com/{vi_scm_branch}", lone)).toMatch(/cannot be URL-encoded/);
  });

  it("rejects malformed placeholders and stray braces", () => {
    expect(() => templateVariables("https://x/{VERSION}")).toThrow(/Invalid placeholder/);
    expect(() => templateVariables("https://x/{a")).toThrow(/Unbalanced/);
    expect(templateVariables("https://x/{a}?b={vi_version}")).toEqual(["a", "vi_version"]);
  });
});
