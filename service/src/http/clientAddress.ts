import type { IncomingMessage } from "node:http";
import { isIP, isIPv4 } from "node:net";
import ipaddr from "ipaddr.js";
import type { Middleware } from "koa";
import proxyaddr from "proxy-addr";
import type { AppState } from "./context";

/**
 * The client's address: the connection's peer, unless that peer is a trusted proxy (TRUSTED_PROXIES), in which case
 * X-Forwarded-For is walked from the right, past every trusted hop, to the first address no trusted proxy vouches
 * for. Entries a client wrote itself sit left of that and never count. An entry that is not an IP address ends the
 * walk at the last real address before it: a garbled header can make the client look like its proxy, never like
 * whatever string it holds. Koa's own proxy mode is left off: it takes the header from any peer and counts hops
 * instead of checking them.
 */
export function clientAddressOf(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trusted = proxyaddr.compile([...trustedProxies]);
  const trust = (address: string, hop: number) => isIP(address) !== 0 && trusted(address, hop);
  return (req) => {
    // Without trusted proxies the peer is the client, and needs no check as an address before its fast paths.
    if (trustedProxies.length === 0) return unmapped(req.socket.remoteAddress ?? "");
    const chain = proxyaddr.all(req, trust);
    for (let i = chain.length - 1; i >= 0; i--) {
      if (isIP(chain[i]) !== 0) return unmapped(chain[i]);
    }
    return "";
  };
}

const IPV4_MAPPED_PREFIX = "::ffff:";

/**
 * An IPv4 client reaching a dual-stack listener shows as ::ffff:a.b.c.d; it is the IPv4 client a.b.c.d. Node
 * reports a peer in exactly these two spellings (dotted quad, or the mapped prefix and a dotted quad), which are
 * answered without parsing or Node's IPv6 pattern: every request asks, and either cost more than the router's
 * matching. Anything else is parsed as IPv6; "" (no address, e.g. a socket already closed) when it is none.
 */
function unmapped(address: string): string {
  if (isIPv4(address)) return address;
  if (address.startsWith(IPV4_MAPPED_PREFIX) && isIPv4(address.slice(IPV4_MAPPED_PREFIX.length))) {
    return address.slice(IPV4_MAPPED_PREFIX.length);
  }
  if (isIP(address) === 0) return "";
  const parsed = ipaddr.parse(address);
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address().toString()
    : address;
}

/**
 * The key a client is counted under: an IPv4 address as it is, an IPv6 address by its /64 (one subscriber's
 * allocation, which holds more addresses than any limit could count one by one). Always an IP in canonical form,
 * so no header can mint keys of its own.
 */
export function clientKey(address: string): string {
  // Node's isIPv4 takes only the canonical dotted quad (no leading zeros, no spaces): already the key.
  if (isIPv4(address)) return address;
  if (!ipaddr.isValid(address) || isIP(address) === 0) return "unknown";
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** Sets `ctx.ip` to the client's address (see clientAddressOf) for everything after it. */
export function resolveClientAddress(trustedProxies: readonly string[]): Middleware<AppState> {
  const addressOf = clientAddressOf(trustedProxies);
  return (ctx, next) => {
    ctx.request.ip = addressOf(ctx.req);
    return next();
  };
}
