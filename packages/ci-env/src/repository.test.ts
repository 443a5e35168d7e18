import { describe, expect, it } from "vitest";
import { normalizeRepository, repositoryName } from "./repository.ts";

describe("normalizeRepository", () => {
  it.each([
    ["https://github.com/org/repo.git", "org/repo"],
    ["https://github.com/org/repo", "org/repo"],
    ["https://github.com/org/repo/", "org/repo"],
    ["git@github.com:org/repo.git", "org/repo"],
    ["git@gitlab.example.com:group/sub/repo.git", "group/sub/repo"],
    ["ssh://git@host:2222/org/repo.git", "org/repo"],
    ["https://user:token@host/org/repo.git", "org/repo"],
    ["org/repo", "org/repo"],
    ["  ", undefined],
    [undefined, undefined],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRepository(input)).toBe(expected);
  });
});

describe("repositoryName", () => {
  it("takes the last path segment", () => {
    expect(repositoryName("group/sub/repo")).toBe("repo");
    expect(repositoryName(undefined)).toBeUndefined();
  });
});
