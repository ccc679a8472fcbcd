import { addressKey } from './client-address';

describe('addressKey', () => {
  it('keeps an IPv4 address as it is, also when it arrives IPv4-mapped on a dual-stack socket', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::FFFF:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:c000:207')).toBe('192.0.2.7');
    expect(addressKey('0:0:0:0:0:ffff:c000:0207')).toBe('192.0.2.7');
  });

  it('puts every address of one IPv6 /64 under one key, whatever its spelling', () => {
    const network = '2001:db8:85a3:42::/64';
    for (const address of [
      '2001:db8:85a3:42::1',
      '2001:db8:85a3:42:ffff:ffff:ffff:ffff',
      '2001:0DB8:85A3:0042:0000:0000:0000:0002',
      '2001:db8:85a3:42:1:2:192.0.2.1',
      '2001:db8:85a3:42::3%eth0',
    ]) {
      expect({ address, key: addressKey(address) }).toEqual({ address, key: network });
    }
  });

  it('keeps neighbouring /64s apart, and IPv4-compatible or other ::/96 forms apart from IPv4', () => {
    expect(addressKey('2001:db8:85a3:43::1')).toBe('2001:db8:85a3:43::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::192.0.2.7')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('takes anything that is not an address as its own key', () => {
    expect(addressKey('not-an-address')).toBe('not-an-address');
    expect(addressKey('')).toBe('');
  });
});
