import { UsageError } from "@versioner/ci-env";
import { describe, expect, it } from "vitest";
import { readSettings } from "./inputs.ts";

const base = { INPUT_API_URL: "https://versioner.example.com/", INPUT_API_KEY: "key-123" };

describe("readSettings", () => {
  it("applies the action.yml defaults when inputs are empty", () => {
    const settings = readSettings({ ...base, INPUT_VERSION: "", INPUT_STATUS: "", INPUT_EVENT_TYPE: "" });
    expect(settings).toEqual({
      apiUrl: "https://versioner.example.com",
      apiKey: "key-123",
      eventType: "deployment",
      productName: undefined,
      version: undefined,
      environment: undefined,
      status: "success",
      metadata: undefined,
      failOnApiError: true,
    });
  });

  it("reads INPUT_* names upper-cased with underscores kept, trimmed", () => {
    const settings = readSettings({
      ...base,
      INPUT_PRODUCT_NAME: " api ",
      INPUT_VERSION: "1.2.3",
      INPUT_ENVIRONMENT: "production",
      INPUT_EVENT_TYPE: "Build",
      INPUT_STATUS: "failure",
      INPUT_METADATA: '{"ticket":"OPS-1"}',
      INPUT_FAIL_ON_API_ERROR: "FALSE",
    });
    expect(settings).toMatchObject({
      productName: "api",
      version: "1.2.3",
      environment: "production",
      eventType: "build",
      status: "failure",
      metadata: '{"ticket":"OPS-1"}',
      failOnApiError: false,
    });
  });

  it("falls back to VERSIONER_API_URL and VERSIONER_API_KEY", () => {
    const settings = readSettings({
      VERSIONER_API_URL: "http://127.0.0.1:3000",
      VERSIONER_API_KEY: "env-key",
    });
    expect(settings.apiUrl).toBe("http://127.0.0.1:3000");
    expect(settings.apiKey).toBe("env-key");
  });

  it("prefers the inputs over the environment", () => {
    const settings = readSettings({ ...base, VERSIONER_API_URL: "http://other", VERSIONER_API_KEY: "other" });
    expect(settings.apiUrl).toBe("https://versioner.example.com");
    expect(settings.apiKey).toBe("key-123");
  });

  it("lists every problem at once", () => {
    const read = () =>
      readSettings({
        INPUT_API_URL: "versioner.example.com",
        INPUT_EVENT_TYPE: "release",
        INPUT_FAIL_ON_API_ERROR: "maybe",
      });
    expect(read).toThrow(UsageError);
    expect(read).toThrow(/api_url must be an http:\/\/ or https:\/\/ URL/);
    expect(read).toThrow(/api_key is required \(or set VERSIONER_API_KEY\)/);
    expect(read).toThrow(/event_type must be build or deployment, got 'release'/);
    expect(read).toThrow(/fail_on_api_error must be true or false, got 'maybe'/);
  });

  it("requires an api_url", () => {
    expect(() => readSettings({ INPUT_API_KEY: "k" })).toThrow(
      /api_url is required \(or set VERSIONER_API_URL\)/,
    );
  });

  it("never puts the API key in an error message", () => {
    try {
      readSettings({ INPUT_API_KEY: "super-secret-key", INPUT_EVENT_TYPE: "nope" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("super-secret-key");
    }
  });
});
