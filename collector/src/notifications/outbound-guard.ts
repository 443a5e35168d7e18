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
  return blocked.check(address, "ipv6");
}

/**
 * The IPv4 address an IPv6 address carries, for every form that reaches an IPv4 host or hides one:
 * IPv4-compatible (::a.b.c.d), IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d),
 * NAT64 (64:ff9b::/96), 6to4 (2002:AABB:CCDD::) and Teredo (2001:0::/32, client address inverted).
 * `::` and `::1` are left to the IPv6 list.
 */
function embeddedIpv4(address: string): string | undefined {
  const h = ipv6Hextets(address);
  if (!h) return undefined;
  const dotted = (high: number, low: number) => [high >> 8, high & 255, low >> 8, low & 255].join(".");
  const zeros = (from: number, to: number) => h.slice(from, to).every((part) => part === 0);
  const last = dotted(h[6] ?? 0, h[7] ?? 0);
  if (zeros(0, 5) && (h[5] === 0 || h[5] === 0xffff)) {
    return h[5] === 0 && (h[6] ?? 0) === 0 ? undefined : last; // ::/96 and ::ffff:0:0/96
  }
  if (zeros(0, 4) && h[4] === 0xffff && h[5] === 0) return last; // ::ffff:0:0:0/96
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return last; // 64:ff9b::/96
  if (h[0] === 0x2002) return dotted(h[1] ?? 0, h[2] ?? 0);
  if (h[0] === 0x2001 && h[1] === 0) return dotted((h[6] ?? 0) ^ 0xffff, (h[7] ?? 0) ^ 0xffff);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted quad expanded). */
function ipv6Hextets(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, "");
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail, extra] = text.split("::");
  if (extra !== undefined) return undefined;
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}

/** Hostname without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
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
    if (refused || addresses.length === 0) {
      const reason = new OutboundRefusedError(
        `${hostname} resolves to ${refused?.address ?? "nothing"}, a loopback, private, link-local or metadata address (set VERSIONER_ALLOW_PRIVATE_WEBHOOKS=true to allow)`,
      ) as NodeJS.ErrnoException;
      reason.code = "EREFUSED_PRIVATE";
      return callback(reason, []);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    // `addresses` is non-empty here (checked above).
    return callback(null, first?.address ?? "", first?.family);
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
    guardedLookup(host, { all: true }, (error) => {
      // An unresolvable host is not refused here: DNS may be down; delivery retries will say so.
      if (error && error instanceof OutboundRefusedError) reject(error);
      else resolve();
    });
  });
}
