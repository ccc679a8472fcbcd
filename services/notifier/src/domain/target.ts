/**
 * Where a webhook may send (SSRF): what an address is, and whether a URL's scheme and address
 * are allowed. Pure: the DNS lookups are the caller's (registration and every delivery check
 * the addresses a name resolves to, and a delivery connects to the address it checked).
 */
import { BlockList, isIP } from 'node:net';

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'reserved';

const ranges = (entries: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList => {
  const list = new BlockList();
  for (const [network, prefix, family] of entries) list.addSubnet(network, prefix, family);
  return list;
};

const LOOPBACK = ranges([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = ranges([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT: inside a provider's network
  ['fc00::', 7, 'ipv6'], // unique local
]);
/** Link-local, the cloud metadata service (169.254.169.254) among them: never a webhook's. */
const LINK_LOCAL = ranges([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const UNSPECIFIED = ranges([
  ['0.0.0.0', 8, 'ipv4'], // "this network": 0.0.0.0 reaches the local host on Linux
  ['::', 128, 'ipv6'],
]);
/** Neither public nor anyone's endpoint: multicast, broadcast, documentation, benchmarking, reserved, IPv4-compatible/NAT64 forms. */
const RESERVED = ranges([
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['ff00::', 8, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['2002::', 16, 'ipv6'], // 6to4 embeds an IPv4 address that may be private
  ['2001::', 32, 'ipv6'], // Teredo, likewise
  ['100::', 64, 'ipv6'],
  ['::', 96, 'ipv6'], // IPv4-compatible (deprecated) ::a.b.c.d
]);

/** `::ffff:a.b.c.d` (and its hex form) is the IPv4 address a.b.c.d: judged as that. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return address;
}

/** What an IP address is. Throws on something that is not an IP address. */
export function addressKind(raw: string): AddressKind {
  const address = unmapped(raw.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address: ${raw}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (UNSPECIFIED.check(address, type)) return 'unspecified';
  if (LOOPBACK.check(address, type)) return 'loopback';
  if (LINK_LOCAL.check(address, type)) return 'link-local';
  if (PRIVATE.check(address, type)) return 'private';
  if (RESERVED.check(address, type) || (type === 'ipv4' && address === '255.255.255.255')) return 'reserved';
  return 'public';
}

export interface TargetRules {
  /** COFFER_WEBHOOK_ALLOW_PRIVATE=1: loopback and private addresses allowed, over http:// too. */
  allowPrivate: boolean;
}

/** Why a webhook may not reach `address` over `protocol` ('http:' | 'https:'), or null when it may. */
export function addressRefusal(protocol: string, address: string, rules: TargetRules): string | null {
  const kind = addressKind(address);
  const privateOk = rules.allowPrivate && (kind === 'loopback' || kind === 'private');
  if (kind !== 'public' && !privateOk) return `the URL leads to a ${kind} address (${address}), which webhooks may not reach`;
  if (protocol === 'http:' && kind === 'public') return 'webhooks to public addresses must use https://';
  if (protocol === 'http:' && !rules.allowPrivate) return 'webhooks must use https://';
  if (protocol !== 'http:' && protocol !== 'https:') return 'webhooks must use https://';
  return null;
}

/** Why a URL may not be a webhook before any lookup (its scheme, a literal address), or null. */
export function urlRefusal(url: URL, rules: TargetRules): string | null {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rules.allowPrivate)) return 'webhooks must use https://';
  const host = hostOf(url);
  return isIP(host) ? addressRefusal(url.protocol, host, rules) : null;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
