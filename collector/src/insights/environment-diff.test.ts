import { describe, expect, it } from "vitest";
import { aheadSide, type DiffCell, diffEnvironments } from "./environment-diff.ts";

function cell(
  product: string,
  version: string,
  firstDeployedAt: string,
  extra: Partial<DiffCell> = {},
): DiffCell {
  return {
    product_id: `p-${product}`,
    product_name: product,
    version,
    version_id: `v-${product}-${version}`,
    scm_sha: `sha${version.replaceAll(".", "")}`,
    scm_repository: `acme/${product}`,
    source_system: "github",
    deployment_id: `d-${product}-${version}`,
    deployed_at: "2026-03-05T00:00:00.000Z",
    first_deployed_at: firstDeployedAt,
    version_created_at: "2026-03-01T00:00:00.000Z",
    ...extra,
  };
}

describe("environment diff", () => {
  it("orders by first deployment, not by string: 1.10 deployed after 1.9 is ahead", () => {
    const staging = cell("api", "1.10", "2026-03-02T00:00:00.000Z");
    const production = cell("api", "1.9", "2026-03-01T00:00:00.000Z");
    expect(aheadSide(staging, production)).toBe("a");
    expect(aheadSide(production, staging)).toBe("b");
  });

  it("breaks a tie of first deployment by recording time, and says null when both tie", () => {
    const at = "2026-03-02T00:00:00.000Z";
    const older = cell("api", "2.0", at, { version_created_at: "2026-03-01T00:00:00.000Z" });
    const newer = cell("api", "1.0", at, { version_created_at: "2026-03-01T00:00:01.000Z" });
    expect(aheadSide(older, newer)).toBe("b");
    expect(aheadSide(older, { ...newer, version_created_at: older.version_created_at })).toBeNull();
  });

  it("lists differing products and one-sided ones by name, counts the same ones, links behind → ahead", () => {
    const a = [
      cell("web", "2.0", "2026-03-03T00:00:00.000Z"),
      cell("api", "1.9", "2026-03-01T00:00:00.000Z"),
      cell("db", "5", "2026-03-01T00:00:00.000Z"),
      cell("cron", "1", "2026-03-01T00:00:00.000Z"),
    ];
    const b = [
      cell("web", "1.0", "2026-03-01T00:00:00.000Z"),
      cell("api", "1.10", "2026-03-02T00:00:00.000Z"),
      cell("db", "5", "2026-03-01T00:00:00.000Z"),
      cell("mail", "3", "2026-03-01T00:00:00.000Z"),
    ];
    const { items, same } = diffEnvironments(a, b);
    expect(same).toBe(1);
    expect(items.map((item) => [item.product_name, item.status, item.ahead])).toEqual([
      ["api", "differs", "b"],
      ["cron", "only_in_a", null],
      ["mail", "only_in_b", null],
      ["web", "differs", "a"],
    ]);
    expect(items[0]?.compare_url).toBe("https://github.com/acme/api/compare/sha19...sha110");
    expect(items[3]?.compare_url).toBe("https://github.com/acme/web/compare/sha10...sha20");
    expect(items[1]?.compare_url).toBeNull();
  });

  it("gives no link without both SHAs, with equal SHAs, or on an unknown host", () => {
    const x = cell("api", "1", "2026-03-01T00:00:00.000Z");
    const y = cell("api", "2", "2026-03-02T00:00:00.000Z");
    expect(diffEnvironments([x], [{ ...y, scm_sha: null }]).items[0]?.compare_url).toBeNull();
    expect(diffEnvironments([x], [{ ...y, scm_sha: x.scm_sha }]).items[0]?.compare_url).toBeNull();
    expect(
      diffEnvironments(
        [x],
        [{ ...y, scm_repository: "https://git.example.com/a/b", source_system: "jenkins" }],
      ).items[0]?.compare_url,
    ).toBeNull();
  });

  it("two empty environments differ in nothing", () => {
    expect(diffEnvironments([], [])).toEqual({ items: [], same: 0 });
  });
});
