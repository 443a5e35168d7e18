import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../testing/http-receiver.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { postJson } from "./http-sender.ts";
import {
  assertPublicHost,
  checkOutboundUrl,
  guardedLookup,
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
    // Every range of the block list, and its edges.
    ["9.255.255.255", false],
    ["11.0.0.0", false],
    ["100.63.255.255", false],
    ["100.127.255.255", true],
    ["100.128.0.0", false],
    ["126.255.255.255", false],
    ["169.253.255.255", false],
    ["169.255.0.0", false],
    ["172.31.255.255", true],
    ["192.0.0.8", true],
    ["192.0.1.0", false],
    ["192.167.255.255", false],
    ["198.18.0.1", true],
    ["198.19.255.255", true],
    ["198.20.0.0", false],
    ["223.255.255.255", false],
    ["224.0.0.1", true],
    ["239.255.255.250", true],
    ["240.0.0.1", true],
    ["255.255.255.255", true],
    ["ff02::1", true],
    ["fe80::1%eth0", true],
    ["100::1", true],
    ["100:0:0:1::1", false],
    ["64:ff9b:1:ffff::1", true],
    ["64:ff9b:2::1", false],
    ["64:ff9b:0:0:0:0:a9fe:a9fe", true],
    ["64:ff9b::1:a9fe:a9fe", false],
    ["::ffff:0:0:127.0.0.1", false],
    ["0:0:0:0:ffff:0:7f00:1", true],
    ["2002:0808:0808::1", false],
    ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", false],
    ["2001:1::ffff:7f00:1", false],
    ["fbff::1", false],
    ["fec0::1", false],
    ["fe7f::1", false],
    // The low 16 bits of an embedded address decide (192.0.1.5 is public, 192.0.0.0/24 is not).
    ["::ffff:c000:105", false],
    ["64:ff9b::c000:105", false],
    ["2002:c000:105::", false],
    ["::ffff:127.0.0.10", true],
    // Only the exact prefixes carry an IPv4 address.
    ["64:1::c0a8:1", false],
    ["1:ff9b::c0a8:1", false],
    ["2606:4700::c0a8:1", false],
    ["2600:0::ffff:ffff", false],
    ["2001:db8::ffff:ffff", false],
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

  it("says why, naming the address and the setting that allows it", () => {
    let caught: unknown;
    try {
      checkOutboundUrl("http://10.1.2.3/hook", false);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OutboundRefusedError);
    expect((caught as Error).name).toBe("OutboundRefusedError");
    expect((caught as Error).message).toBe(
      "points to 10.1.2.3, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)",
    );
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

describe("public targets pass the guard", () => {
  it("accepts an https URL to a public host, keeping it as given", () => {
    const url = checkOutboundUrl("https://hooks.example.com/services/T0/B0?x=1", false);
    expect(url.protocol).toBe("https:");
    expect(url.href).toBe("https://hooks.example.com/services/T0/B0?x=1");
  });

  it("accepts public IPv4 and IPv6 literals without resolving anything", async () => {
    await expect(assertPublicHost(new URL("https://8.8.8.8/hook"))).resolves.toBeUndefined();
    await expect(assertPublicHost(new URL("https://[2606:4700::1111]/hook"))).resolves.toBeUndefined();
  });

  it("refuses a private literal at creation naming the address", async () => {
    await expect(assertPublicHost(new URL("http://[::1]:8080/"))).rejects.toThrow(
      new OutboundRefusedError("points to ::1, a non-public address"),
    );
  });

  it("does not refuse an unresolvable host at creation: delivery retries report it", async () => {
    await expect(assertPublicHost(new URL("https://hooks.nothing.invalid/x"))).resolves.toBeUndefined();
  });
});

describe("guardedLookup", () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };
  const lookup = (host: string, options: { all?: boolean; family?: number | string }) =>
    new Promise<Answer>((resolve) =>
      guardedLookup(host, options, (error, address, family) => resolve({ error, address, family })),
    );

  it("answers one address and its family, or all of them, as http.request asks", async () => {
    expect(await lookup("8.8.8.8", {})).toEqual({ error: null, address: "8.8.8.8", family: 4 });
    expect(await lookup("8.8.8.8", { all: true })).toEqual({
      error: null,
      address: [{ address: "8.8.8.8", family: 4 }],
      family: undefined,
    });
  });

  it("refuses a host resolving to loopback with a code the sender recognises", async () => {
    const { error, address } = await lookup("localhost", { family: 4 });
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(error?.code).toBe("EREFUSED_PRIVATE");
    expect(error?.message).toBe(
      "localhost resolves to 127.0.0.1, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)",
    );
    expect(address).toEqual([]);
  });

  it("passes a resolver error through unchanged", async () => {
    const { error, address } = await lookup("hooks.nothing.invalid", {});
    expect(error).not.toBeInstanceOf(OutboundRefusedError);
    expect(error?.code).toBe("ENOTFOUND");
    expect(address).toEqual([]);
  });
});

describe("channel creation with the guard on (the default)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ VERSIONER_LOG_LEVEL: "silent" });
  });
  afterAll(() => t.close());

  const create = (url: string) =>
    t.call("POST", "/notification-channels", {
      name: unique("guarded"),
      kind: "webhook",
      url,
      subscriptions: [{ event_types: ["deployment.completed"] }],
    });

  it.each(["https://8.8.8.8/hook", "https://[2606:4700::1111]/hook", "https://hooks.nothing.invalid/hook"])(
    "accepts %s",
    async (url) => {
      const res = await create(url);
      expect(res.status).toBe(201);
      expect(res.body.url_hint).toMatch(/^https:\/\//);
    },
  );

  it.each([
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://169.254.169.254/latest/meta-data",
    "http://localhost:8080/",
    "http://[::ffff:7f00:1]/",
  ])("refuses %s naming the url field", async (url) => {
    const res = await create(url);
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toContain("url");
  });
});
