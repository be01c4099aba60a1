import { describe, expect, it } from 'vitest';
import { K5 } from '../../rules/k8s/k5-mass-delete.js';
import { V5 } from '../../rules/vault/v5-auth-failures.js';
import { S2 } from '../../rules/ssh/s2-brute-force.js';
import { N1 } from '../../rules/swarm/n1-new-drone.js';
import { R2 } from '../../rules/hosts/r2-reboot-loop.js';
import { H1 } from '../../rules/health/h1-source-silent.js';
import { H2 } from '../../rules/health/h2-parse-errors.js';
import type { Rule } from '../../rules/define.js';
import { Alert } from '../../schemas/alert.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { Engine } from '../../services/engine/engine.js';
import { checkSnapshot } from '../../services/engine/state.js';
import { at, drone, input, k8s, makeEvent, ssh, vault } from '../helpers/events.js';
import { makeEngine, roundTrip } from '../helpers/engine.js';

const RULES: Rule[] = [K5, V5, S2, N1, R2, H1, H2];
const CONFIG = { health: { parseErrors: { minLines: 10, ratio: 0.05, window: '10m' } }, engine: { allowedLateness: '20s' } };
const SOURCES = [
  { name: 'audit', kind: 'k8s-audit' as const },
  { name: 'vault', kind: 'vault-audit' as const },
  { name: 'auth', kind: 'syslog' as const },
  { name: 'swarm', kind: 'swarm' as const },
  { name: 'journal', kind: 'journal' as const },
];

type Step = { event: SecurityEvent } | { error: string };

/** Two hours of mixed traffic in which every stateful rule fires, slightly out of order. */
function scenario(): Step[] {
  const steps: Array<{ t: number; step: Step }> = [];
  const add = (t: number, step: Step) => steps.push({ t, step });
  const ev = (sec: number, p: Parameters<typeof makeEvent>[0]) => add(sec, { event: makeEvent({ tsMs: at(sec), ...p }) });
  // K5: mallory deletes a pod every 4 s for a minute, each request logged at two stages.
  for (let i = 0; i < 15; i++) {
    for (const stage of ['ResponseStarted', 'ResponseComplete']) {
      ev(300 + i * 4 + (stage === 'ResponseComplete' ? 1 : 0), {
        source: { name: 'audit', kind: 'k8s-audit' }, app: 'k8s', action: 'api.request', outcome: 'success',
        actor: { name: 'mallory', kind: 'human', id: null }, client: { addrs: ['10.0.20.9'], port: null },
        target: { resource: 'pods', namespace: 'prod', name: `web-${i % 9}`, operation: 'delete' },
        k8s: k8s({ auditID: `del-${i}`, stage, verb: 'delete' }),
      });
    }
  }
  // V5: login failures from one address, in two bursts.
  for (const base of [900, 4000]) {
    for (let i = 0; i < 14; i++) {
      ev(base + i * 3, {
        source: { name: 'vault', kind: 'vault-audit' }, app: 'vault', action: 'auth.failure', outcome: 'failure',
        client: { addrs: ['198.51.100.7'], port: null },
        vault: vault({ requestId: `v-${base}-${i}`, path: 'auth/userpass/login/admin', login: true, responseDataError: true }),
      });
    }
  }
  // S2: a brute force over ten minutes, plus background from elsewhere.
  for (let i = 0; i < 40; i++) {
    ev(1500 + i * 15, {
      source: { name: 'auth', kind: 'syslog' }, app: 'sshd', action: 'auth.failure', outcome: 'failure', host: 'bastion',
      client: { addrs: [i % 5 === 0 ? '192.0.2.1' : '203.0.113.5'], port: 50000 + i },
      ssh: ssh({ form: i % 3 === 0 ? 'invalid_user' : 'failed', user: `u${i % 4}`, pid: 2000 + i }),
    });
  }
  // N1: drones register repeatedly; one is approved.
  for (let i = 0; i < 12; i++) {
    ev(200 + i * 500, {
      source: { name: 'swarm', kind: 'swarm' }, app: 'swarm', action: 'drone.register',
      drone: drone({ id: `drone-${i % 4}`, sourceIp: `10.42.0.${50 + (i % 4)}` }),
    });
  }
  // R2: pve's journal boot id changes four times within 40 minutes.
  ['A', 'A', 'B', 'B', 'C', 'D', 'D', 'E'].forEach((id, i) => {
    ev(100 + i * 300, { source: { name: 'journal', kind: 'journal' }, host: 'pve', bootId: id });
  });
  // H2: a burst of unparseable lines from auth (placed by time, pushed as errors).
  for (let i = 0; i < 8; i++) add(1600 + i, { error: 'TRIP_PARSE_UNKNOWN_FORMAT' });
  // Background on every source but vault, which goes silent after its second burst
  // (H1 needs vault quiet for 6 h, so the background runs past it).
  for (let s = 0; s < 8 * 3600; s += 120) {
    ev(s, { source: { name: 'audit', kind: 'k8s-audit' }, app: 'k8s', action: 'api.request', k8s: k8s({ auditID: `bg-${s}` }) });
    ev(s + 7, { source: { name: 'auth', kind: 'syslog' }, host: 'bastion' });
    ev(s + 11, { source: { name: 'swarm', kind: 'swarm' } });
    ev(s + 13, { source: { name: 'journal', kind: 'journal' }, host: 'pve', ...(s > 2200 ? { bootId: 'E' } : {}) });
  }
  steps.sort((a, b) => a.t - b.t);
  // Mild disorder within the lateness: swap some neighbours.
  for (let i = 5; i + 1 < steps.length; i += 17) [steps[i], steps[i + 1]] = [steps[i + 1]!, steps[i]!];
  return steps.map((s) => s.step);
}

function push(engine: Engine, steps: Step[]): Alert[] {
  const out: Alert[] = [];
  for (const s of steps) {
    if ('event' in s) out.push(...engine.push(input(s.event)));
    else out.push(...engine.pushError({ sourceName: 'auth', kind: 'syslog', code: s.error }));
  }
  return out;
}

const STEPS = scenario();
const fresh = () => makeEngine(RULES, { config: CONFIG, sources: SOURCES });

describe('engine snapshot and restore', () => {
  const engine = fresh();
  const uninterrupted = [...push(engine, STEPS), ...engine.flush()];

  it('the scenario makes every stateful rule fire', () => {
    const rules = new Set(uninterrupted.map((a) => a.rule));
    expect([...rules].sort()).toEqual(['H1', 'H2', 'K5', 'N1', 'R2', 'S2', 'V5']);
    for (const a of uninterrupted) expect(Alert.parse(a)).toEqual(a); // every alert meets the schema
    expect(uninterrupted.filter((a) => a.rule === 'N1').map((a) => a.key)).toEqual(['drone-0', 'drone-1', 'drone-2', 'drone-3']);
  });

  it('snapshot → JSON → restore → continue gives exactly the alerts of an uninterrupted run', () => {
    const cuts = [1, 50, 123, 311, 400, 777, STEPS.length - 1];
    for (const cut of cuts) {
      const first = fresh();
      const before = push(first, STEPS.slice(0, cut));
      const state = roundTrip(first.snapshot());
      const second = makeEngine(RULES, { config: CONFIG, sources: SOURCES, state });
      const after = [...push(second, STEPS.slice(cut)), ...second.flush()];
      expect(JSON.stringify([...before, ...after])).toBe(JSON.stringify(uninterrupted));
      expect(second.stats()).toEqual(engine.stats());
    }
  });

  it('snapshots are plain JSON and do not change as the engine goes on', () => {
    const e = fresh();
    push(e, STEPS.slice(0, 300));
    const s = e.snapshot();
    const text = JSON.stringify(s);
    expect(JSON.parse(text)).toEqual(s);
    push(e, STEPS.slice(300, 400));
    expect(JSON.stringify(s)).toBe(text);
  });

  it('refuses a snapshot of another version or shape', () => {
    const s = fresh().snapshot();
    expect(() => checkSnapshot({ ...s, version: 2 })).toThrow(/version 2/);
    expect(() => checkSnapshot({ ...s, threshold: null })).toThrow(/threshold/);
    expect(() => checkSnapshot('x')).toThrow(/not an object/);
    expect(() => makeEngine(RULES, { state: { ...s, version: 2 } as never })).toThrow(/version 2/);
  });

  it('replaying the same input twice gives byte-identical jsonl', () => {
    const a = fresh();
    const b = fresh();
    const one = [...push(a, STEPS), ...a.flush()].map((x) => JSON.stringify(x)).join('\n');
    const two = [...push(b, STEPS), ...b.flush()].map((x) => JSON.stringify(x)).join('\n');
    expect(one).toBe(two);
    expect(one.length).toBeGreaterThan(1000);
  });
});
