import { isIPv4, isIPv6 } from 'node:net';

/** Leading bits of an IPv6 address that name one host's network: what one host or customer is usually given. */
export const IPV6_NETWORK_PREFIX_BITS = 64;
const PREFIX_GROUPS = IPV6_NETWORK_PREFIX_BITS / 16;

/**
 * The key an address's limits are kept under. An IPv4 address is itself, also when a dual-stack
 * socket reports it IPv4-mapped (`::ffff:192.0.2.1`), so it cannot take two buckets. An IPv6
 * address counts by its /64: one host with a /64 could otherwise take a fresh burst from each of
 * its 2^64 addresses. Anything else (never from a socket) is its own key.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = isIPv6(address) ? ipv6Groups(address) : undefined;
  if (!groups) return address;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, PREFIX_GROUPS)
    .map((group) => group.toString(16))
    .join(':')}::/${IPV6_NETWORK_PREFIX_BITS}`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone and embedded IPv4 tail allowed). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0];
  const tailAt = text.lastIndexOf(':') + 1;
  const tail = text.slice(tailAt);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number);
    text = `${text.slice(0, tailAt)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const elided = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...Array<string>(elided).fill('0'), ...rest].map((group) => parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff) ? groups : undefined;
}
