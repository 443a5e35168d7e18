import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, freePort, SERVER_ENTRY, startCollector } from "../support/collector.ts";
import { databaseEnv } from "../support/database.ts";
import { type ProcessResult, runProcess } from "../support/run-process.ts";

/** Runs `node collector/dist/server.js …args` to its end. */
function runServer(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return runProcess(process.execPath, [SERVER_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? "", VERSIONER_LOG_LEVEL: "warn", ...env },
  });
}

describe("collector start-up", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "versioner-start-up-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("on a busy port prints one line naming the port and PORT, and exits 1 without a stack", async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    try {
      const run = await runServer([], {
        ...(await databaseEnv(join(dir, "busy.db"))),
        PORT: String(port),
        HOST: "127.0.0.1",
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `Versioner collector: port ${port} is already in use on 127.0.0.1: set PORT to a free port, or stop the program using it\n`,
      );
      expect(run.stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      squatter.close();
    }
  });

  it("warns once when VERSIONER_BOOTSTRAP_TOKEN is not the admin's, and reset-token gives a way back in", async () => {
    const dbPath = join(dir, "restart.db");
    const first = await startCollector({ dbPath, token: "first-admin-token" });
    expect(first.output()).not.toContain("is ignored");
    await first.stop();

    // The same token on a restart is still the admin's: nothing to warn about.
    const same = await startCollector({ dbPath, token: "first-admin-token" });
    expect(same.output()).not.toContain("is ignored");
    await same.stop();

    const changed = await startCollector({ dbPath, token: "changed-after-first-start" });
    try {
      const warnings = changed
        .output()
        .split("\n")
        .filter((line) => line.includes("VERSIONER_BOOTSTRAP_TOKEN is ignored"));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0] ?? "{}")).toMatchObject({
        level: "warn",
        msg: expect.stringContaining("npm run admin -- reset-token"),
      });
      expect((await api(changed, "GET", "/users/me")).status).toBe(401);

      // Recovery runs on the database while the collector keeps serving.
      const reset = await runServer(["admin", "reset-token"], await databaseEnv(dbPath));
      expect(reset.stderr).toBe("");
      expect(reset.code).toBe(0);
      const token = reset.stdout.trim().split("\n").at(-1) ?? "";
      expect(token).toMatch(/^pat_/);
      const me = await api({ url: changed.url, token }, "GET", "/users/me");
      expect(me.body).toMatchObject({ email: "admin@localhost", role: "admin" });
      expect((await api({ url: changed.url, token: "first-admin-token" }, "GET", "/users/me")).status).toBe(
        401,
      );
      expect(changed.output()).not.toContain(token);
    } finally {
      await changed.stop();
    }
  });

  it("admin reset-token for an unknown email exits 1 naming the admins", async () => {
    const dbPath = join(dir, "unknown.db");
    const collector = await startCollector({ dbPath });
    await collector.stop();
    const run = await runServer(["admin", "reset-token", "--email", "who@example.com"], {
      ...(await databaseEnv(dbPath)),
      PORT: String(await freePort()),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "No user with email 'who@example.com'. Active admins: admin@localhost; pass --email <email>.\n",
    );
  });
});
