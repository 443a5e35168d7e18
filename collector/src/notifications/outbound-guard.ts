import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";

/** Why an outbound URL is refused; the message names the address, never the URL (it may hold a token). */
export class OutboundRefusedError extends Error {
  override readonly name = "OutboundRefusedError";
}

// Loopback, private, link-local (cloud metadata lives there), CGNAT, multicast and other
// special-purpose ranges: a webhook must never reach the collector's own network.
const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique-local, includes AWS's fd00:ec2::254 metadata address
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215): its IPv4 hosts are the operator's own
  ["100::", 64], // discard-only
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** True when an IP address is loopback, private, link-local, metadata or otherwise not public. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true;
  const embedded = embeddedIpv4(address);
  if (embedded) return blocked.check(embedded, "ipv4");
  // BlockList checks an IPv4-mapped address (::ffff:a.b.c.d) against the IPv4 rules itself.
  return blocked.check(address, "ipv6");
}

/**
 * The IPv4 address an IPv6 address carries, for every form that reaches an IPv4 host or hides one
 * (IPv4-mapped is left to BlockList, which knows it): IPv4-compatible (::a.b.c.d), IPv4-translated
 * (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002:AABB:CCDD::) and Teredo (2001:0::/32, client
 * address inverted). `::` and `::1` are left to the IPv6 list.
 */
function embeddedIpv4(address: string): string | undefined {
  const value = ipv6Value(address);
  const low = value & 0xffff_ffffn;
  switch (value >> 32n) {
    case 0n: // ::/96, but for :: and ::1 (and ::0.0.x.x) that only look like it
      return low > 0xffffn ? dotted(low) : undefined;
    case 0xffff_0000n: // ::ffff:0:0/96
    case 0x64_ff9b_0000_0000_0000_0000n: // 64:ff9b::/96
      return dotted(low);
  }
  if (value >> 112n === 0x2002n) return dotted((value >> 80n) & 0xffff_ffffn); // 2002::/16
  if (value >> 96n === 0x2001_0000n) return dotted(low ^ 0xffff_ffffn); // 2001:0::/32
  return undefined;
}

/** A 32-bit value as a dotted quad. */
function dotted(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => (value >> shift) & 255n).join(".");
}

/**
 * The 128-bit value of an address `isIP` accepted as IPv6. The URL parser writes it canonically
 * (hex groups, a trailing dotted quad as two groups, at most one `::`); a zone (`%eth0`) names an
 * interface, not part of the address, and URLs refuse it, so it goes first.
 */
function ipv6Value(address: string): bigint {
  const canonical = new URL(`http://[${address.replace(/%.*/, "")}]`).hostname.slice(1, -1);
  const [left, right] = canonical.split("::");
  const groups = (half: string | undefined) =>
    half ? half.split(":").map((group) => Number.parseInt(group, 16)) : [];
  const high = groups(left);
  const low = groups(right);
  return [...high, ...Array<number>(8 - high.length - low.length).fill(0), ...low].reduce(
    (value, group) => (value << 16n) | BigInt(group),
    0n,
  );
}

/** Hostname without the brackets of an IPv6 literal (no other hostname holds a bracket). */
function bareHost(url: URL): string {
  return url.hostname.replace(/[[\]]/g, "");
}

/**
 * Syntax and literal-address checks, cheap enough for request validation: http(s) only, no
 * credentials in the URL's user part, and no literal private address unless allowed.
 */
export function checkOutboundUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError("is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundRefusedError("must be an http:// or https:// URL");
  }
  if (url.username || url.password) {
    throw new OutboundRefusedError(
      "must not carry credentials (user:password@); use a header or the secret instead",
    );
  }
  const host = bareHost(url);
  if (!allowPrivate && isIP(host) && isBlockedAddress(host)) {
    throw new OutboundRefusedError(
      `points to ${host}, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)`,
    );
  }
  return url;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses a host when any address it resolves to is blocked.
 * Checking the addresses the socket will actually use closes the DNS-rebinding gap that a
 * check-then-connect would leave.
 */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { all: true, family: Number(options.family) || 0 }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((entry) => isBlockedAddress(entry.address));
    if (refused) {
      const reason = new OutboundRefusedError(
        `${hostname} resolves to ${refused.address}, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)`,
      ) as NodeJS.ErrnoException;
      reason.code = "EREFUSED_PRIVATE";
      return callback(reason, []);
    }
    if (options.all) return callback(null, addresses);
    // Node answers an empty lookup with an error (EAI_NODATA), never with an empty list.
    const [first] = addresses as [LookupAddress, ...LookupAddress[]];
    return callback(null, first.address, first.family);
  });
}

/** Resolves a URL's host and refuses it when it reaches a blocked address (for channel creation). */
export async function assertPublicHost(url: URL): Promise<void> {
  const host = bareHost(url);
  if (isIP(host)) {
    if (isBlockedAddress(host)) throw new OutboundRefusedError(`points to ${host}, a non-public address`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    // Every address is checked whatever `all` asks; only the verdict matters here.
    guardedLookup(host, {}, (error) => {
      // An unresolvable host is not refused here: DNS may be down; delivery retries will say so.
      if (error instanceof OutboundRefusedError) reject(error);
      else resolve();
    });
  });
}
