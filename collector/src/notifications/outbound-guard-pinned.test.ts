import { describe, expect, it } from "vitest";
import {
  assertPublicHost,
  checkOutboundUrl,
  isBlockedAddress,
  OutboundRefusedError,
} from "./outbound-guard.ts";

// The edges of the IPv6 forms that carry an IPv4 address, beyond outbound-guard.test.ts.
describe("isBlockedAddress at the edges of the embedded forms", () => {
  it.each([
    // ::/96 carries an IPv4 address only from ::1:0 up; below it are :: and ::1-style addresses.
    ["::ffff", false],
    ["::0.1.0.0", true],
    ["::1:0", true],
    // Any other group before the last 32 bits leaves ::/96.
    ["::1:7f00:1", false],
    ["::abcd:7f00:1", false],
    ["::1:0:7f00:1", false],
    // IPv4-mapped, in every spelling.
    ["::ffff:0:1", true],
    ["::FFFF:127.0.0.1", true],
    ["0:0:0:0:0:ffff:127.0.0.1", true],
    ["::ffff:93.184.216.34", false],
    ["::ffff:5db8:d822", false],
    // IPv4-translated, NAT64, 6to4 and Teredo with public multi-digit octets.
    ["::ffff:0:93.184.216.34", false],
    ["::ffff:0:10.20.30.40", true],
    ["64:ff9b::93.184.216.34", false],
    ["64:FF9B::192.168.10.20", true],
    ["2002:5db8:d822::", false],
    ["2002:c0a8:a14:1:2:3:4:5", true],
    ["2001:0:1:2:3:4:3f57:fefe", true],
    ["2001:0:1:2:3:4:a247:27dd", false],
    // A dotted quad after six groups, no `::`.
    ["1:2:3:4:5:6:127.0.0.1", false],
    ["0:0:0:0:0:0:127.0.0.1", true],
    // A zone names an interface; the address decides.
    ["::ffff:0:127.0.0.1%eth0", true],
    ["::ffff:0:8.8.8.8%eth0", false],
    ["2606:4700::1111%2", false],
    ["fe80::1%en0.1", true],
  ])("%s → %s", (address, blocked) => {
    expect(isBlockedAddress(address)).toBe(blocked);
  });
});

describe("checkOutboundUrl on IPv6 literals", () => {
  it.each([
    ["http://[::1]/", "::1"],
    ["http://[::ffff:7f00:1]/", "::ffff:7f00:1"],
    ["https://[64:ff9b::c0a8:a14]:8443/x", "64:ff9b::c0a8:a14"],
  ])("refuses %s naming the address without brackets", (url, address) => {
    expect(() => checkOutboundUrl(url, false)).toThrow(
      new OutboundRefusedError(
        `points to ${address}, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)`,
      ),
    );
  });

  it("keeps a public IPv6 literal", async () => {
    expect(checkOutboundUrl("https://[2606:4700::1111]/hook", false).hostname).toBe("[2606:4700::1111]");
    await expect(assertPublicHost(new URL("https://[::ffff:5db8:d822]/"))).resolves.toBeUndefined();
    await expect(assertPublicHost(new URL("https://[2002:c0a8:a14::]/"))).rejects.toThrow(
      new OutboundRefusedError("points to 2002:c0a8:a14::, a non-public address"),
    );
  });
});
