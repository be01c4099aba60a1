import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';

describe('Config schema', () => {
  it('an empty config takes every default from docs/rules.md', () => {
    const c = Config.parse({});
    expect(c.networks.trusted).toContain('10.0.20.0/22');
    expect(c.k8s.massDelete.threshold).toBe(5);
    expect(c.k8s.massDelete.window).toBe(60_000);
    expect(c.ssh.bruteForce.window).toBe(300_000);
    expect(c.ssh.breakGlass.port).toBe(52222);
    expect(c.hosts.rebootLoop.window).toBe(3_600_000);
    expect(c.engine.allowedLateness).toBe(30_000);
    expect(c.engine.maxKeys).toBe(100_000);
  });

  it('a config holding only networks is valid, and extra named sets are kept', () => {
    const c = Config.parse({ networks: { trusted: ['1.2.3.0/24'], lab: ['::1'] } });
    expect(c.networks.trusted).toEqual(['1.2.3.0/24']);
    expect(c.networks['lab']).toEqual(['::1']);
    expect(c.networks.devvm).toEqual(['10.0.10.0/24']);
  });

  it('reports every problem at once with its path', () => {
    const r = Config.safeParse({ bogus: 1, k8s: { massDelete: { threshold: 'x' } }, ssh: { bruteForce: { window: 'soon' } } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.') || (i as { keys?: string[] }).keys?.join(','));
    expect(paths).toEqual(expect.arrayContaining(['k8s.massDelete.threshold', 'ssh.bruteForce.window']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });
});
