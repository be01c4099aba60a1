// issue 7: the engine seams the Kafka path uses: stateRoutes(e), push(input, { only })
// and EngineOptions.clockOf (per source+host stream clocks). The embedded path uses none
// of them; the golden replay and the other engine tests pin that it is unchanged.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import { rules } from '../../rules/index.js';
import { K5 } from '../../rules/k8s/k5-mass-delete.js';
import { S2 } from '../../rules/ssh/s2-brute-force.js';
import { S3 } from '../../rules/ssh/s3-break-glass.js';
import { R1 } from '../../rules/hosts/r1-unplanned-boot.js';
import { R2 } from '../../rules/hosts/r2-reboot-loop.js';
import { N1 } from '../../rules/swarm/n1-new-drone.js';
import { H1 } from '../../rules/health/h1-source-silent.js';
import { H2 } from '../../rules/health/h2-parse-errors.js';
import { Engine } from '../../services/engine/engine.js';
import { EngineCorrelations, touchesCorrelations } from '../../services/engine/correlations.js';
import { openInput, readInput } from '../../services/collectors/file-input.js';
import { streamOf } from '../../services/kafka/stages.js';
import { input, parseLine } from '../helpers/events.js';
import { roundTrip } from '../helpers/engine.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const config = Config.parse({});

const syslog = (line: string, source = 'auth') => {
  const e = parseLine('syslog', line);
  return { ...e, source: { ...e.source, name: source } } as SecurityEvent;
};

async function scenarioEvents(file: string, kind: 'syslog' | 'journal' | 'swarm' | 'k8s-audit'): Promise<SecurityEvent[]> {
  const spec = { kind, path: join(ROOT, 'test/fixtures/scenario', file), name: file };
  const out: SecurityEvent[] = [];
  for await (const b of readInput(spec, await openInput(spec), { year: 2026 })) for (const r of b) if (r.result.ok) out.push(r.result.event);
  return out;
}

describe('Engine.stateRoutes', () => {
  it('names the (rule, key) of windowed and first-seen rules, the source for H1/H2, and nothing for stateless verdicts', () => {
    const engine = new Engine({ rules: [K5, S2, N1, H1, H2, S3], config });
    const fail = syslog('2026-06-10T00:00:01Z pve sshd[7]: Failed password for root from 198.51.100.7 port 4000 ssh2');
    expect(engine.stateRoutes(fail)).toEqual([
      { rule: 'S2', scope: 'key', key: 'pve 198.51.100.7' },
      { rule: 'H1', scope: 'source', key: 'auth' },
      { rule: 'H2', scope: 'source', key: 'auth' },
    ]);
    const other = syslog('2026-06-10T00:00:02Z pve CRON[9]: pam_unix(cron:session): session closed for user root');
    expect(engine.stateRoutes(other).filter((r) => r.scope !== 'source')).toEqual([]);
  });

  it('routes rules that consult a correlation index, and events that update one, to the host', async () => {
    const engine = new Engine({ rules: [R1, R2, S3, S2], config });
    const journal = await scenarioEvents('journal.json', 'journal');
    const e = journal[0]!; // every journal line carries its boot id
    expect(e.bootId).toBeTruthy();
    expect(engine.stateRoutes(e)).toEqual([
      { rule: 'R1', scope: 'host', key: e.host },
      { rule: 'R2', scope: 'host', key: e.host },
      { rule: null, scope: 'host', key: e.host },
    ]);
    const conn = syslog('2026-06-10T00:00:01Z pve sshd[42]: Connection from 203.0.113.9 port 5000 on 192.168.1.10 port 52222 rdomain ""');
    expect(engine.stateRoutes(conn)).toEqual([{ rule: null, scope: 'host', key: 'pve' }]);
    const accepted = syslog('2026-06-10T00:00:02Z pve sshd[42]: Accepted password for root from 203.0.113.9 port 5000 ssh2');
    expect(engine.stateRoutes(accepted)).toEqual([{ rule: 'S3', scope: 'host', key: 'pve' }]);
  });

  it('changes no state', async () => {
    const engine = new Engine({ rules, config });
    const events = await scenarioEvents('auth.log', 'syslog');
    for (const e of events.slice(0, 50)) engine.push(input(e));
    const before = JSON.stringify(engine.snapshot());
    for (const e of events) engine.stateRoutes(e);
    expect(JSON.stringify(engine.snapshot())).toBe(before);
  });

  it('touchesCorrelations is exactly the events observe() indexes (scenario corpus)', async () => {
    const all = [
      ...(await scenarioEvents('auth.log', 'syslog')),
      ...(await scenarioEvents('journal.json', 'journal')),
      ...(await scenarioEvents('swarm.log', 'swarm')),
    ].sort((a, b) => a.tsMs - b.tsMs);
    const corr = new EngineCorrelations(100_000);
    let touched = 0;
    for (const e of all) {
      const before = JSON.stringify(corr.toJSON().boots) + JSON.stringify([...corr.ssh.entries()].map(([k]) => k));
      corr.observe(e, Number.NEGATIVE_INFINITY); // no time sweep: only what the event itself adds
      const after = JSON.stringify(corr.toJSON().boots) + JSON.stringify([...corr.ssh.entries()].map(([k]) => k));
      if (before !== after) {
        expect(touchesCorrelations(e), `${e.source.name} ${e.source.position}`).toBe(true);
        touched++;
      }
    }
    expect(touched).toBeGreaterThan(20);
  });
});

describe('Engine.push({ only })', () => {
  it('runs only the named rules; clocks and correlation indexes still take the event', () => {
    const engine = new Engine({ rules: [S3, S2], config });
    const conn = syslog('2026-06-10T00:00:01Z pve sshd[42]: Connection from 203.0.113.9 port 5000 on 192.168.1.10 port 52222 rdomain ""');
    expect(engine.push(input(conn), { only: new Set() })).toEqual([]);
    expect(engine.stats().watermarkMs).toBe(conn.tsMs - 30_000);
    expect(engine.stats().keys['corr.ssh']).toBe(1);
    const accepted = syslog('2026-06-10T00:00:02Z pve sshd[42]: Accepted password for root from 203.0.113.9 port 5000 ssh2');
    expect(engine.push(input(accepted), { only: new Set(['S2']) })).toEqual([]);
    const again = new Engine({ rules: [S3, S2], config });
    again.push(input(conn), { only: new Set() });
    expect(again.push(input(accepted), { only: new Set(['S3']) }).map((a) => a.rule)).toEqual(['S3']);
  });
});

describe('EngineOptions.clockOf (stream clocks)', () => {
  // Host b's lines arrive an hour ahead of host a's (another partition, another replica).
  const fails = (host: string, startS: number, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const t = new Date(Date.UTC(2026, 5, 10, 0, 0, startS + i)).toISOString();
      return syslog(`${t} ${host} sshd[${100 + i}]: Failed password for root from 198.51.100.${host === 'a' ? 1 : 2} port ${4000 + i} ssh2`);
    });
  const aheadThenBehind = [...fails('b', 3600, 3), ...fails('a', 0, 12)];

  it('by source (the default), the lagging host is late and its brute force is missed', () => {
    const engine = new Engine({ rules: [S2], config });
    const alerts = aheadThenBehind.flatMap((e) => engine.push(input(e)));
    expect(alerts).toEqual([]);
    expect(engine.stats().late).toBe(12);
  });

  it('by source+host stream, each host is judged on its own clock: the brute force fires', () => {
    const engine = new Engine({ rules: [S2], config, clockOf: streamOf });
    const alerts = aheadThenBehind.flatMap((e) => engine.push(input(e)));
    expect(alerts.map((a) => a.key)).toEqual(['a 198.51.100.1']);
    expect(engine.stats().late).toBe(0);
    // and the snapshot carries the stream clocks across a restore
    const restored = new Engine({ rules: [S2], config, clockOf: streamOf, state: roundTrip(engine.snapshot()) });
    expect(restored.snapshot()).toEqual(engine.snapshot());
  });

  it('correlation sweeps wait for the oldest stream: a lagging host keeps its sshd connections', () => {
    const conn = syslog('2026-06-10T00:00:01Z a sshd[42]: Connection from 203.0.113.9 port 5000 on 192.168.1.10 port 52222 rdomain ""');
    const later = syslog('2026-06-10T03:00:00Z b sshd[7]: Connection from 192.168.1.5 port 5000 on 192.168.1.10 port 22 rdomain ""');
    const accepted = syslog('2026-06-10T00:00:02Z a sshd[42]: Accepted password for root from 203.0.113.9 port 5000 ssh2');
    const byStream = new Engine({ rules: [S3], config, clockOf: streamOf });
    expect([conn, later, accepted].flatMap((e) => byStream.push(input(e))).map((a) => a.rule)).toEqual(['S3']);
    const bySource = new Engine({ rules: [S3], config });
    expect([conn, later, accepted].flatMap((e) => bySource.push(input(e)))).toEqual([]);
  });
});
