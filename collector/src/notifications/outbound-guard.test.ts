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
    ["64:ff9b::a9fe:a9fe", true],
    ["64:ff9b:1::a00:1", true],
    ["::127.0.0.1", true],
    ["::7f00:1", true],
    ["::ffff:0:127.0.0.1", true],
    ["::ffff:0:7f00:1", true],
    ["0:0:0:0:0:ffff:7f00:1", true],
    ["2002:7f00:1::", true],
    ["2002:a9fe:a9fe::1", true],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", true],
    ["::8.8.8.8", false],
    ["::ffff:8.8.8.8", false],
    ["::ffff:0:808:808", false],
    ["64:ff9b::8.8.8.8", false],
    ["2002:808:808::", false],
    ["2001:db8::ffff:7f00:1", false],
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
    "http://[::127.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
  ])("refuses the literal private address in %s unless allowed", (url) => {
    expect(() => checkOutboundUrl(url, false)).toThrow(OutboundRefusedError);
    expect(checkOutboundUrl(url, true).href).toBe(new URL(url).href);
  });

  it("refuses credentials in the URL, private or not", () => {
    expect(() => checkOutboundUrl("https://user:pass@hooks.example.com/x", true)).toThrow(/credentials/);
    expect(() => checkOutboundUrl("https://token@hooks.example.com/x", false)).toThrow(/credentials/);
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

  it("reports a header Node cannot send as a final failure, never a throw", async () => {
    const receiver = await startReceiver();
    try {
      const outcome = await postJson(
        receiver.url,
        "{}",
        { "X-Key": "b\r\nX-Injected: 1" },
        { timeoutMs: 2000, allowPrivate: true },
      );
      expect(outcome).toMatchObject({ ok: false, retryable: false, response_code: null });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});
