import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CidrSet, cidrError, cidrReason, formatIp, parseIp } from '../../services/lib/cidr.js';

const DEFAULT_TRUSTED = ['10.0.20.0/22', '192.168.1.0/24', '10.10.0.0/16', '10.96.0.0/12', '100.64.0.0/10'];
const PROTECTED = ['10.42.0.199', '100.64.0.88', '10.42.0.1', '127.0.0.0/8', '::1'];

describe('parseIp', () => {
  it('parses strict dotted quads into unsigned 32-bit values', () => {
    expect(parseIp('0.0.0.0')).toEqual({ family: 4, value: 0 });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, value: 0xffffffff });
    expect(parseIp('10.0.20.5')).toEqual({ family: 4, value: 0x0a001405 });
    expect(parseIp('128.0.0.1')).toEqual({ family: 4, value: 0x80000001 });
  });

  it.each([
    '256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.010', '1.2.3.-1', '1..2.3', '1.2.3.4.', '.1.2.3.4',
    ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '0x1.2.3.4', '1.2.3.4%eth0', '1234.1.1.1', '',
  ])('rejects IPv4-looking garbage %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('parses full, compressed and embedded-IPv4 IPv6 forms', () => {
    expect(parseIp('::1')).toEqual({ family: 6, words: [0, 0, 0, 1] });
    expect(parseIp('::')).toEqual({ family: 6, words: [0, 0, 0, 0] });
    expect(parseIp('2001:db8::')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 0] });
    expect(parseIp('2001:0DB8:0000:0000:0000:ff00:0042:8329')).toEqual({ family: 6, words: [0x20010db8, 0, 0xff00, 0x00428329] });
    expect(parseIp('fe80::1:2')).toEqual({ family: 6, words: [0xfe800000, 0, 0, 0x00010002] });
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual({ family: 6, words: [0x0064ff9b, 0, 0, 0xc0000221] });
    expect(parseIp('1:2:3:4:5:6:7:8')).toEqual({ family: 6, words: [0x00010002, 0x00030004, 0x00050006, 0x00070008] });
  });

  it('strips zone ids from IPv6', () => {
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, words: [0xfe800000, 0, 0, 1] });
    expect(parseIp('fe80::1%')).toBeNull();
  });

  it('reads IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(parseIp('::ffff:10.0.20.5')).toEqual({ family: 4, value: 0x0a001405 });
    expect(parseIp('::FFFF:a00:1405')).toEqual({ family: 4, value: 0x0a001405 });
    expect(parseIp('0:0:0:0:0:ffff:10.0.20.5')).toEqual({ family: 4, value: 0x0a001405 });
  });

  it.each([
    ':', ':::', '1:::2', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7::8', '12345::',
    'g::1', '::1.2.3', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:256.1.1.1', '[::1]', '1:', ':1',
  ])('rejects IPv6-looking garbage %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('round-trips through formatIp', () => {
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('::ffff:10.0.20.5')!)).toBe('10.0.20.5');
    expect(formatIp(parseIp('::')!)).toBe('::');
  });
});

describe('cidrError', () => {
  it('accepts addresses and blocks of both families', () => {
    for (const ok of [...DEFAULT_TRUSTED, ...PROTECTED, '0.0.0.0/0', '::/0', '2001:db8::/32', '::ffff:10.0.0.0/104', '1.2.3.4/32', '::1/128']) {
      expect(cidrError(ok)).toBeNull();
    }
  });

  it('names the entry and what is wrong', () => {
    expect(cidrError('10.0.0.300/8')).toBe('"10.0.0.300/8" is not an IPv4/IPv6 address or CIDR');
    expect(cidrError('10.0.0.0/33')).toBe('"10.0.0.0/33" has prefix length /33; IPv4 allows /0-32');
    expect(cidrError('::/129')).toBe('"::/129" has prefix length /129; IPv6 allows /0-128');
    expect(cidrError('10.0.0.0/')).toBe('"10.0.0.0/" has an invalid prefix length; expected /0-32');
    expect(cidrError('10.0.0.0/08')).toBe('"10.0.0.0/08" has an invalid prefix length; expected /0-32');
    expect(cidrError('10.0.20.5/22')).toBe('"10.0.20.5/22" has host bits set (did you mean 10.0.20.0/22?)');
    expect(cidrError('2001:db8::1/32')).toBe('"2001:db8::1/32" has host bits set (did you mean 2001:db8::/32?)');
    expect(cidrError('fe80::/10%eth0')).toBe('"fe80::/10%eth0" has a zone id (%...), which a network set cannot use');
    expect(cidrError('::ffff:0:0/95')).toMatch(/IPv4-mapped block with a prefix shorter than \/96/);
    expect(cidrError('')).toBe('"" is empty; expected an IPv4/IPv6 address or CIDR');
  });

  it('cidrReason never repeats the text (it may be a secret)', () => {
    expect(cidrReason('s3cr3t-value')).toBe('is not an IPv4/IPv6 address or CIDR');
    expect(cidrReason('10.0.0.0/8')).toBeNull();
  });
});

describe('CidrSet', () => {
  const trusted = CidrSet.parse(DEFAULT_TRUSTED);

  it('matches the default trusted networks at their edges', () => {
    expect(trusted.has('10.0.20.0')).toBe(true);
    expect(trusted.has('10.0.23.255')).toBe(true);
    expect(trusted.has('10.0.24.0')).toBe(false);
    expect(trusted.has('10.0.19.255')).toBe(false);
    expect(trusted.has('100.64.0.1')).toBe(true);
    expect(trusted.has('100.127.255.255')).toBe(true);
    expect(trusted.has('100.128.0.0')).toBe(false);
    expect(trusted.has('10.111.255.255')).toBe(true);
    expect(trusted.has('10.112.0.0')).toBe(false);
    expect(trusted.has('8.8.8.8')).toBe(false);
  });

  it('matches IPv4-mapped addresses as IPv4', () => {
    expect(trusted.has('::ffff:10.0.20.5')).toBe(true);
    expect(trusted.has('::ffff:8.8.8.8')).toBe(false);
    expect(CidrSet.parse(['::ffff:10.0.0.0/104']).has('10.200.1.1')).toBe(true);
    expect(CidrSet.parse(['::ffff:10.0.0.0/104']).has('11.0.0.1')).toBe(false);
  });

  it('handles /0, /32 and /128', () => {
    const all4 = CidrSet.parse(['0.0.0.0/0']);
    expect(all4.has('255.255.255.255')).toBe(true);
    expect(all4.has('0.0.0.0')).toBe(true);
    expect(all4.has('::1')).toBe(false); // families are separate
    const all6 = CidrSet.parse(['::/0']);
    expect(all6.has('2001:db8::1')).toBe(true);
    expect(all6.has('10.0.0.1')).toBe(false);
    expect(all6.has('::ffff:10.0.0.1')).toBe(false);
    const one = CidrSet.parse(['1.2.3.4/32', '2001:db8::7/128']);
    expect(one.has('1.2.3.4')).toBe(true);
    expect(one.has('1.2.3.5')).toBe(false);
    expect(one.has('2001:db8::7')).toBe(true);
    expect(one.has('2001:db8::8')).toBe(false);
    expect(one.has('2001:db8:0:0:0:0:0:7')).toBe(true);
  });

  it('matches the protected set, including ::1 and loopback', () => {
    const prot = CidrSet.parse(PROTECTED);
    expect(prot.has('10.42.0.199')).toBe(true);
    expect(prot.has('10.42.0.198')).toBe(false);
    expect(prot.has('127.8.9.10')).toBe(true);
    expect(prot.has('::1')).toBe(true);
    expect(prot.has('0:0:0:0:0:0:0:1')).toBe(true);
    expect(prot.has('::2')).toBe(false);
    expect(prot.has('::ffff:127.0.0.1')).toBe(true);
  });

  it('matches IPv6 prefixes that are not word-aligned', () => {
    const s = CidrSet.parse(['2001:db8:8000::/33', 'fe80::/10']);
    expect(s.has('2001:db8:8000::1')).toBe(true);
    expect(s.has('2001:db8:ffff:ffff::')).toBe(true);
    expect(s.has('2001:db8:7fff::1')).toBe(false);
    expect(s.has('febf:ffff::1%eth0')).toBe(true);
    expect(s.has('fec0::1')).toBe(false);
  });

  it('unites sets: an address in any of them is in the union', () => {
    const u = CidrSet.union([CidrSet.parse(['10.0.20.0/22']), CidrSet.parse(['10.0.10.0/24', '2001:db8::/32']), CidrSet.parse([])]);
    expect(u.has('10.0.21.1')).toBe(true);
    expect(u.has('10.0.10.9')).toBe(true);
    expect(u.has('2001:db8::9')).toBe(true);
    expect(u.has('10.0.11.1')).toBe(false);
    expect(u.entries).toEqual(['10.0.20.0/22', '10.0.10.0/24', '2001:db8::/32']);
    expect(u.size).toBe(3);
  });

  it('throws naming the bad entry', () => {
    expect(() => CidrSet.parse(['10.0.0.0/8', '10.0.0.300/8'])).toThrow('network entry "10.0.0.300/8" is not an IPv4/IPv6 address or CIDR');
    expect(() => CidrSet.parse(['10.0.20.5/22'])).toThrow(/"10\.0\.20\.5\/22" has host bits set/);
  });

  it('is false, never throwing, for non-addresses', () => {
    for (const bad of ['', 'localhost', 'vault.example.com', '10.0.20.5:443', '[::1]', 'x'.repeat(1_000_000), '\u0000', '10.0.20.5\n']) {
      expect(trusted.has(bad)).toBe(false);
    }
    expect(trusted.has(undefined as unknown as string)).toBe(false);
    expect(trusted.has(null as unknown as string)).toBe(false);
  });

  it('rejects 100 KB of garbage quickly', () => {
    const junk = ['1.'.repeat(50_000), ':'.repeat(100_000), 'f:'.repeat(50_000), '1'.repeat(100_000)];
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) for (const j of junk) expect(trusted.has(j)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('agrees with a reference mask-and-compare for random IPv4 addresses and blocks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (addr, net, prefix) => {
        const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
        const netMasked = Number(BigInt(net) & mask);
        const dotted = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
        const set = CidrSet.parse([`${dotted(netMasked)}/${prefix}`]);
        const expected = (BigInt(addr) & mask) === BigInt(netMasked);
        expect(set.has(dotted(addr))).toBe(expected);
        expect(set.has(`::ffff:${dotted(addr)}`)).toBe(expected);
      }),
    );
  });

  it('agrees with a BigInt reference for random IPv6 addresses and blocks', () => {
    const hex = (v: bigint) => v.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }), (addr, net, prefix) => {
        const all = (1n << 128n) - 1n;
        const mask = all ^ ((1n << BigInt(128 - prefix)) - 1n);
        const netMasked = net & mask;
        // Keep clear of the IPv4-mapped block, which is matched as IPv4 by design.
        fc.pre(addr >> 32n !== 0xffffn && netMasked >> 32n !== 0xffffn);
        const set = CidrSet.parse([`${hex(netMasked)}/${prefix}`]);
        expect(set.has(hex(addr))).toBe((addr & mask) === netMasked);
        expect(set.has(hex(netMasked))).toBe(true);
      }),
    );
  });
});
