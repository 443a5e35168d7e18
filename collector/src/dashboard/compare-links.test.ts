import { describe, expect, it } from "vitest";
import { compareUrl, repositoryWebUrl } from "./compare-links.ts";

describe("compare links", () => {
  it.each([
    ["https://github.com/acme/pay", "https://github.com/acme/pay/compare/aaa...bbb"],
    ["https://github.com/acme/pay.git", "https://github.com/acme/pay/compare/aaa...bbb"],
    ["git@github.com:acme/pay.git", "https://github.com/acme/pay/compare/aaa...bbb"],
    ["https://gitlab.com/group/sub/pay", "https://gitlab.com/group/sub/pay/-/compare/aaa...bbb"],
    ["https://gitlab.example.com/pay/", "https://gitlab.example.com/pay/-/compare/aaa...bbb"],
    ["https://bitbucket.org/acme/pay", "https://bitbucket.org/acme/pay/branches/compare/bbb..aaa#diff"],
  ])("%s", (repository, expected) => {
    expect(compareUrl(repository, "aaa", "bbb")).toBe(expected);
  });

  it("gives no link for unknown hosts, missing SHAs or non-web schemes", () => {
    expect(compareUrl("https://git.example.com/pay", "aaa", "bbb")).toBeNull();
    expect(compareUrl("https://github.com/acme/pay", "", "bbb")).toBeNull();
    expect(compareUrl(null, "aaa", "bbb")).toBeNull();
    expect(repositoryWebUrl("javascript:alert(1)")).toBeNull();
    expect(repositoryWebUrl("not a url")).toBeNull();
  });
});
