import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileGlobs, matchesAny } from '../../services/lib/glob.js';

const K5_EXCLUDE = [
  'system:node:*',
  'system:serviceaccount:kube-system:generic-garbage-collector',
  'system:serviceaccount:woodpecker:*',
];

describe('compileGlobs', () => {
  const m = compileGlobs(K5_EXCLUDE);

  it('matches exact names and trailing-star globs', () => {
    expect(m('system:node:k8s-node1')).toBe(true);
    expect(m('system:node:')).toBe(true); // `*` matches the empty run
    expect(m('system:serviceaccount:kube-system:generic-garbage-collector')).toBe(true);
    expect(m('system:serviceaccount:kube-system:generic-garbage-collector2')).toBe(false);
    expect(m('system:serviceaccount:woodpecker:ci-runner')).toBe(true);
    expect(m('system:serviceaccount:default:default')).toBe(false);
    expect(m('me@viktorbarzin.me')).toBe(false);
  });

  it('is false for null, undefined and empty values, even against `*`', () => {
    const any = compileGlobs(['*']);
    expect(any('x')).toBe(true);
    expect(any('')).toBe(false);
    expect(any(null)).toBe(false);
    expect(any(undefined)).toBe(false);
    expect(compileGlobs([])('anything')).toBe(false);
  });

  it('supports stars anywhere, and several of them', () => {
    const g = compileGlobs(['*@viktorbarzin.me', 'oidc-*@*', 'a*b*c']);
    expect(g('me@viktorbarzin.me')).toBe(true);
    expect(g('me@viktorbarzin.me.evil.com')).toBe(false);
    expect(g('oidc-me@x')).toBe(true);
    expect(g('oidc-me')).toBe(false);
    expect(g('abc')).toBe(true);
    expect(g('axxbyyc')).toBe(true);
    expect(g('acb')).toBe(false);
    expect(g('ab')).toBe(false);
  });

  it('does not let the prefix, middle and suffix overlap', () => {
    const g = compileGlobs(['aa*aa', 'x*yx*x']);
    expect(g('aaa')).toBe(false);
    expect(g('aaaa')).toBe(true);
    expect(g('xyx')).toBe(false);
    expect(g('xyxx')).toBe(true);
  });

  it('treats regex specials and ? [ ] literally', () => {
    const g = compileGlobs(['a.b', 'c?d', '[e]', 'f+*']);
    expect(g('a.b')).toBe(true);
    expect(g('axb')).toBe(false);
    expect(g('c?d')).toBe(true);
    expect(g('cxd')).toBe(false);
    expect(g('[e]')).toBe(true);
    expect(g('e')).toBe(false);
    expect(g('f+g')).toBe(true);
    expect(g('ffg')).toBe(false);
  });

  it('stays fast on adversarial values and patterns', () => {
    const g = compileGlobs(['*a*a*a*a*a*a*a*a*a*a*b']);
    const value = 'a'.repeat(100_000);
    const t0 = performance.now();
    expect(g(value)).toBe(false);
    expect(g(`${value}b`)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('agrees with an anchored regex built from the same glob', () => {
    const alpha = fc.constantFrom('a', 'b', '*', '.');
    fc.assert(
      fc.property(fc.string({ unit: alpha, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 }), (pattern, value) => {
        const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
        const expected = value.length > 0 && pattern.length > 0 && re.test(value);
        expect(compileGlobs([pattern])(value)).toBe(expected);
      }),
    );
  });
});

describe('matchesAny', () => {
  it('compiles each list once and answers like compileGlobs', () => {
    const list = ['system:node:*'];
    expect(matchesAny(list, 'system:node:a')).toBe(true);
    expect(matchesAny(list, 'system:nodes')).toBe(false);
    expect(matchesAny(list, null)).toBe(false);
  });
});
