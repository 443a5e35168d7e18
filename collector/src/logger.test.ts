import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

describe("logger", () => {
  it("logs a failed query's SQL and cause, never its bound values", () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    const hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
    const error = new DrizzleQueryError(
      "select * from api_keys where hash = ?",
      [hash],
      new Error("disk I/O error"),
    );
    logger.error("unhandled error", { error });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string);
    expect(entry.error.message).toBe("Failed query: select * from api_keys where hash = ?");
    expect(entry.error.cause.message).toBe("disk I/O error");
    expect(lines[0]).not.toContain(hash);
  });

  it("redacts fields named like secrets", () => {
    const lines: string[] = [];
    createLogger("info", (line) => lines.push(line)).info("x", { token: "abc", api_key: "def", kept: 1 });
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      token: "[redacted]",
      api_key: "[redacted]",
      kept: 1,
    });
  });
});
