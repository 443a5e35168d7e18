import { describe, expect, it } from "vitest";
import { startReceiver } from "../testing/http-receiver.ts";
import { postJson } from "./http-sender.ts";
import {
  assertPublicHost,
  checkOutboundUrl,
  isBlockedAddress,
  OutboundRefusedError,
} from "./outbound-guard.ts";

describe("isBlockedAddress", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.10.0.1", true],
    ["10.0.0.1", true],
    ["172.16.5.4", true],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["::1", true],
    ["::", true],
    ["fd00:ec2::254", true],
    ["fc00::1", true],
    ["fe80::1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:a9fe:a9fe", true],
    ["64:ff9b::10.0.0.1", true],
    ["8.8.8.8", false],
    ["172.32.0.1", false],
    ["2606:4700::1111", false],
    ["not-an-ip", true],
  ])("%s → %s", (address, blocked) => {
    expect(isBlockedAddress(address)).toBe(blocked);
  });
});

describe("checkOutboundUrl", () => {
  it.each([
    "http://127.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/",
    "http://[::1]:8080/",
    "http://[fd00:ec2::254]/",
  ])("refuses the literal private address in %s unless allowed", (url) => {
    expect(() => checkOutboundUrl(url, false)).toThrow(OutboundRefusedError);
    expect(checkOutboundUrl(url, true).href).toBe(new URL(url).href);
  });

  it("accepts only http and https", () => {
    expect(() => checkOutboundUrl("file:///etc/passwd", true)).toThrow(/http/);
    expect(() => checkOutboundUrl("gopher://example.com", true)).toThrow(/http/);
    expect(() => checkOutboundUrl("not a url", true)).toThrow(/valid URL/);
  });

  it("refuses a hostname that resolves to loopback", async () => {
    await expect(assertPublicHost(new URL("http://localhost:8080/hook"))).rejects.toThrow(/resolves to/);
  });
});

describe("postJson guard at send time", () => {
  it("refuses loopback after resolution (no request reaches the host) unless allowed", async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const options = { timeoutMs: 2000, allowPrivate: false };
      for (const url of [receiver.url, `http://localhost:${port}/hook`]) {
        const outcome = await postJson(url, "{}", {}, options);
        expect(outcome).toMatchObject({ ok: false, retryable: false });
        expect(outcome.error).toMatch(/^refused:/);
      }
      expect(receiver.received).toHaveLength(0);
      const allowed = await postJson(
        `http://localhost:${port}/hook`,
        "{}",
        {},
        { ...options, allowPrivate: true },
      );
      expect(allowed).toMatchObject({ ok: true, response_code: 200 });
    } finally {
      await receiver.close();
    }
  });

  it("does not follow redirects", async () => {
    const receiver = await startReceiver([
      { status: 302, headers: { location: "http://169.254.169.254/x" } },
    ]);
    try {
      const outcome = await postJson(receiver.url, "{}", {}, { timeoutMs: 2000, allowPrivate: true });
      expect(outcome).toMatchObject({ ok: false, retryable: false, response_code: 302 });
      expect(outcome.error).toContain("redirects are not followed (to 169.254.169.254)");
    } finally {
      await receiver.close();
    }
  });
});
