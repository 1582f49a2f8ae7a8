import { ipKey } from './login-throttle.service';

describe('LoginThrottleService address keys', () => {
  it('counts IPv4 addresses one by one', () => {
    expect(ipKey('203.0.113.7')).not.toBe(ipKey('203.0.113.8'));
    expect(ipKey('::ffff:203.0.113.7')).not.toBe(ipKey('::ffff:203.0.113.8'));
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    expect(ipKey('2001:db8:1:2::1')).toBe(ipKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(ipKey('2001:0DB8:0001:0002:0:0:0:1')).toBe(ipKey('2001:db8:1:2::abcd'));
    expect(ipKey('2001:db8:1:2::1')).not.toBe(ipKey('2001:db8:1:3::1'));
  });
});
