import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateCell } from "../testing/ingest-fixtures.ts";
import { signArgocd } from "../testing/integration-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

const doc = readFileSync(new URL("../../../docs/integrations/argocd.md", import.meta.url), "utf8");

/** The body of `template.<name>` in the doc's argocd-notifications-cm. */
function templateBody(name: string): string {
  const start = doc.indexOf(`template.${name}: |`);
  const body = doc.slice(doc.indexOf("body: |", start) + "body: |".length);
  const lines = body.split("\n").slice(1);
  const indent = /^\s*/.exec(lines[0] ?? "")?.[0].length ?? 0;
  const end = lines.findIndex((line) => line.trim() === "}" && /^\s*/.exec(line)?.[0].length === indent);
  return lines.slice(0, end + 1).join("\n");
}

/** Go-template rendering, as much of it as the template uses: `{{.path}}` and `{{toJson .path}}`. */
function render(template: string, data: Record<string, unknown>): string {
  const lookup = (path: string) =>
    path
      .slice(1)
      .split(".")
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
  return template.replace(
    /\{\{\s*(toJson\s+)?(\.[\w.]+)\s*\}\}/g,
    (_, toJson: string | undefined, path: string) => {
      const value = lookup(path);
      if (toJson) return JSON.stringify(value ?? null);
      return value === undefined ? "<no value>" : String(value);
    },
  );
}

function application(name: string, phase: string) {
  const running = phase === "Running";
  return {
    context: { argocdUrl: "https://argocd.example.com" },
    app: {
      metadata: { name, uid: "5f0e7d1c-aaaa-bbbb-cccc-123456789abc" },
      spec: {
        project: "default",
        destination: { server: "https://kubernetes.default.svc", namespace: "production" },
        source: { repoURL: "https://github.com/acme/deploy.git" },
      },
      status: {
        health: { status: running ? "Progressing" : "Healthy" },
        summary: { images: ["ghcr.io/acme/checkout:2.1.0"] },
        operationState: {
          phase,
          startedAt: "2026-03-01T10:00:00Z",
          ...(running ? {} : { finishedAt: "2026-03-01T10:01:30Z", syncResult: { revision: "abc123def" } }),
          message: running ? undefined : 'successfully synced "all" tasks',
          operation: { sync: { revision: "abc123def" }, initiatedBy: { username: "admin" } },
        },
      },
    },
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("the Argo CD template of docs/integrations/argocd.md", () => {
  it("renders, for each trigger, a body the collector records", async () => {
    const created = await t.call("POST", "/integrations", { name: unique("argocd"), kind: "argocd" });
    const name = unique("checkout");
    const cases = [
      ["versioner-sync-running", "Running", "started"],
      ["versioner-deployed", "Succeeded", "completed"],
      ["versioner-sync-failed", "Failed", "failed"],
    ] as const;
    for (const [template, phase, status] of cases) {
      const body = render(templateBody(template), application(name, phase));
      const res = await t.app.request("/integrations/argocd", {
        method: "POST",
        ...signArgocd(body, created.body.secret),
      });
      const answer = (await res.json()) as { deployment: Record<string, unknown> };
      expect(res.status, `${template}: ${JSON.stringify(answer)}`).toBe(200);
      expect(answer.deployment).toMatchObject({
        product_name: name,
        version: "abc123def",
        environment_name: "production",
        status,
        deployed_by: "admin",
      });
    }
    expect((await stateCell(t, name, "production"))?.failed?.version).toBe("abc123def");
  });
});
