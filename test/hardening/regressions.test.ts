// Issue 9: one regression test per bug the hardening suite found, on the exact input
// that found it (shrunk by fast-check or built by hand), so each stays fixed even if
// the fuzzers' generators change.
import { describe, expect, it } from 'vitest';
import { SecurityEvent, type InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import { fromEpochMicros, fromEpochNanos } from '../../services/lib/time.js';
import type { ParseContext } from '../../services/parsers/types.js';

const ctx = (kind: InputKind): ParseContext => ({ kind, sourceName: 'regression', position: 'line 1', year: 2026, carry: {} });

function parseValid(kind: InputKind, line: string) {
  const r = parsers[kind](line, ctx(kind));
  if (r.ok) expect(SecurityEvent.safeParse(r.event).success).toBe(true);
  return r;
}

describe('parser bugs found by the fuzzers', () => {
  it('snort alert_json: `seconds` beyond year 9999 is a TIMESTAMP error, not a RangeError', () => {
    const line = '{ "seconds" : 655361781049601, "timestamp" : "06/10-00:00:01.061909", "rule" : "1:50626:1", "msg" : "x", "priority" : 1, "proto" : "TCP", "src_ap" : "1.2.3.4:5", "dst_ap" : "10.0.0.5:445" }';
    const r = parseValid('snort', line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TRIP_PARSE_TIMESTAMP');
    // In range it still parses, seconds winning over the local timestamp.
    const ok = parseValid('snort', line.replace('655361781049601', '1781049601'));
    expect(ok.ok && ok.event.ts).toBe('2026-06-10T00:00:01.061909Z');
  });

  it('journal: __REALTIME_TIMESTAMP beyond the Date range is a TIMESTAMP error, not a RangeError', () => {
    const r = parseValid('journal', '{"__REALTIME_TIMESTAMP":"8640000000001000000"}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TRIP_PARSE_TIMESTAMP');
    expect(fromEpochMicros('9999999999999999999')).toBeNull();
    expect(fromEpochNanos('9999999999999999999999')).toBeNull(); // Loki entries share the helper
    expect(fromEpochMicros('1781049601000000')?.iso).toBe('2026-06-10T00:00:01Z');
  });

  it('journal: a repeated field holding 1e999 (Infinity) is a SHAPE error, not an invalid event', () => {
    const r = parseValid('journal', '{"__REALTIME_TIMESTAMP":"1781049601000000","_TRANSPORT":"kernel","MESSAGE":[1e3095,110,117]}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('TRIP_PARSE_SHAPE');
  });

  it('snort alert_json: an `_ap` port above 65535 (or negative) is no port, and the event stays valid', () => {
    for (const ap of ['1.2.3.4:655365', '1.2.3.4:999999999995', '1.2.3.4:-5']) {
      const r = parseValid('snort', `{ "seconds" : 1781049601, "rule" : "1:50626:1", "msg" : "x", "proto" : "TCP", "src_ap" : "${ap}", "dst_ap" : "10.0.0.5:445" }`);
      expect(r.ok, ap).toBe(true);
      if (r.ok) expect(r.event.ids?.src.port ?? null).toBeNull();
    }
  });

  it('a SHAPE error message stays short when the offending key is huge (attacker text)', () => {
    const key = ' from '.repeat(100_000);
    for (const [kind, line] of [
      ['k8s-audit', `{"auditID":" from ","annotations":{${JSON.stringify(key)}:1}}`],
      ['vault-audit', `{"time":"2026-06-10T00:00:01Z","type":"request","auth":{"metadata":1,"policies":{${JSON.stringify(key)}:1}}}`],
      ['swarm', `{"ts":"2026-06-10T00:00:01Z","component":"gateway","event":"drone.register",${JSON.stringify(key)}:1,"cores":{${JSON.stringify(key)}:1}}`],
    ] as const) {
      const r = parsers[kind](line, ctx(kind));
      expect(r.ok, kind).toBe(false);
      if (!r.ok) expect(r.error.message.length, kind).toBeLessThanOrEqual(600);
    }
  });
});

describe('config loader bugs found by the fuzzers', () => {
  it('a YAML syntax error quoting a 3 KB token is capped (the line and column still point at it)', async () => {
    const { parseConfigText } = await import('../../services/config/load.js');
    const r = parseConfigText(` from \n: ${'[2001:db8::5]:443'.repeat(200)}`, 'c.yaml', {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      for (const p of r.problems) expect(p.message.length).toBeLessThanOrEqual(240);
      expect(r.problems.some((p) => p.line === 2 && /Unexpected scalar token/.test(p.message))).toBe(true);
    }
  });

  it('an alias with a 3 KB name is reported capped', async () => {
    const { parseConfigText } = await import('../../services/config/load.js');
    const r = parseConfigText(`*${'<!subteam^S1>'.repeat(200)}`, 'c.yaml', {});
    expect(r.ok).toBe(false);
    if (!r.ok) for (const p of r.problems) expect(p.message.length).toBeLessThanOrEqual(240);
  });

  it('an unset ${VARIABLE} with a 3 KB name is reported with the name capped', async () => {
    const { parseConfigText } = await import('../../services/config/load.js');
    const r = parseConfigText(`sinks:\n  slack:\n    webhookUrl: \${${'publickey'.repeat(300)}}\n`, 'c.yaml', {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.message).toMatch(/^environment variable publickey.*… is not set/);
      expect(r.problems[0]!.message.length).toBeLessThanOrEqual(240);
    }
  });
});

describe('engine and pipeline bugs found by the hostile-content tests', () => {
  it('a 10,000-deep JSON line parses to an event that serializes (deep part replaced), in every JSON parser', async () => {
    const { DEPTH_MARKER } = await import('../../services/parsers/common.js');
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const lines: Array<[InputKind, string]> = [
      ['k8s-audit', `{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"create","user":{"username":"u"},"requestObject":${deep},"stageTimestamp":"2026-06-10T00:00:01Z"}`],
      ['vault-audit', `{"time":"2026-06-10T00:00:01Z","type":"request","request":{"id":"r","data":${deep}}}`],
      ['swarm', `{"ts":"2026-06-10T00:00:01Z","component":"gateway","event":"service.start","x":${deep}}`],
      ['snort', `{"seconds":1781049601,"rule":"1:2:3","msg":"x","proto":"TCP","src_ap":"1.2.3.4:1","dst_ap":"5.6.7.8:2","x":${deep}}`],
    ];
    for (const [kind, line] of lines) {
      const r = parseValid(kind, line);
      expect(r.ok, kind).toBe(true);
      if (r.ok) {
        const json = JSON.stringify(r.event); // threw RangeError before the fix
        // Snort keeps only its schema's fields in raw, so the deep extra key is gone anyway.
        if (kind !== 'snort') expect(json, kind).toContain(DEPTH_MARKER);
        structuredClone(r.event);
      }
    }
  });

  it('a 1 MB user name makes an alert of a few KB, not 3-9 MB, and long keys stay distinct', async () => {
    const { Engine } = await import('../../services/engine/engine.js');
    const { rules } = await import('../../rules/index.js');
    const { Config } = await import('../../schemas/config.js');
    const engine = new Engine({ rules, config: Config.parse({}), sources: [] });
    const huge = 'x'.repeat(1_000_000);
    const sizes: Record<string, number> = {};
    const keys = new Set<string>();
    for (const [kind, line] of [
      ['syslog', `Jun 10 00:00:01 pve sshd[1]: Accepted password for ${huge} from 203.0.113.5 port 22 ssh2`],
      ['syslog', `Jun 10 00:00:02 pve sshd[2]: Accepted password for ${huge}y from 203.0.113.5 port 22 ssh2`],
      ['vault-audit', `{"time":"2026-06-10T00:00:02Z","type":"request","auth":{"display_name":"${huge}"},"request":{"id":"p","operation":"update","path":"sys/policies/acl/${huge}"}}`],
      ['swarm', `{"ts":"2026-06-10T00:00:03Z","component":"gateway","event":"drone.register","drone":"${huge}","source_ip":"203.0.113.9"}`],
    ] as Array<[InputKind, string]>) {
      const r = parseValid(kind, line);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      for (const a of engine.push({ event: r.event, line })) {
        sizes[a.rule] = Math.max(sizes[a.rule] ?? 0, JSON.stringify(a).length);
        keys.add(`${a.rule} ${a.key}`);
      }
    }
    expect(Object.keys(sizes).sort()).toEqual(['N1', 'S1', 'V4']);
    for (const [rule, n] of Object.entries(sizes)) expect(n, rule).toBeLessThan(32 * 1024); // evidence lines (4 KB each) included
    expect(keys.size).toBe(4); // the two S1 users differ only at the end: still two keys
  });
});

describe('signal handling bugs found by the chaos tests', () => {
  it('a SIGHUP or SIGTERM arriving while `tripline run` starts neither kills it nor skips the graceful stop', async () => {
    const { mkdtempSync, existsSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startCli, waitFor } = await import('../helpers/cli-process.js');
    const dir = mkdtempSync(join(tmpdir(), 'tripline-early-signal-'));
    try {
      const input = join(dir, 'auth.log');
      writeFileSync(input, 'Jun 10 00:00:01 pve sshd[1]: Accepted password for x from 203.0.113.5 port 22 ssh2\n');
      const config = join(dir, 'c.yaml');
      writeFileSync(config, `sources: [{ name: auth, kind: syslog, path: ${JSON.stringify(input)}, startAt: beginning }]\nsinks: { file: { path: ${JSON.stringify(join(dir, 'a.jsonl'))} } }\nhttp: { listen: false }\nhealth: { wallClock: false }\n`);
      for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
        const state = join(dir, `state-${signal}`);
        const p = startCli(['run', '--config', config, '--state-dir', state, '--year', '2026']);
        // The lock file appears as the state store opens: the middle of start-up.
        await waitFor(() => existsSync(join(state, 'lock')), 30_000, 'the state lock');
        p.child.kill(signal);
        if (signal === 'SIGHUP') {
          await waitFor(() => p.stderr().includes('config reloaded'), 30_000, 'the held reload');
          expect(p.child.exitCode).toBeNull();
          p.child.kill('SIGTERM');
        }
        const { code, signal: died } = await p.exited;
        expect({ code, died }, p.stderr()).toEqual({ code: 0, died: null });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sink bugs found by the chaos tests', () => {
  it('the file sink never writes an id it already holds, even when it comes back as a new outbox row (state lost)', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileSink } = await import('../../services/sinks/file.js');
    const { makeAlert } = await import('../helpers/alerts.js');
    const { jsonlIds } = await import('../helpers/cli-process.js');
    const dir = mkdtempSync(join(tmpdir(), 'tripline-filesink-'));
    try {
      const path = join(dir, 'alerts.jsonl');
      const old = makeAlert({ ts: '2026-06-10T00:00:00Z', n: 1 });
      const fresh = makeAlert({ ts: '2026-06-10T00:00:01Z', n: 2 });
      writeFileSync(path, `${JSON.stringify(old)}\n`);
      const sink = new FileSink(path); // a restart on lost state: the router asks the file first
      await sink.alreadyDelivered();
      expect(await sink.send([old, fresh])).toEqual({ ok: true });
      expect(await sink.send([fresh])).toEqual({ ok: true });
      expect(jsonlIds(path)).toEqual([old.id, fresh.id]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('router bugs found by the flood tests', () => {
  it('finding the next message costs the same with 20,000 alerts decided as with 20 (it was a GROUP BY over all of them)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { StateStore } = await import('../../services/state/store.js');
    const { routeNew } = await import('../../services/router/route-new.js');
    const { policyFor } = await import('../../services/router/policies.js');
    const { Config } = await import('../../schemas/config.js');
    const { makeAlert } = await import('../helpers/alerts.js');
    const dir = mkdtempSync(join(tmpdir(), 'tripline-head-'));
    const store = new StateStore({ stateDir: dir, synchronous: 'normal', now: () => Date.parse('2026-06-10T00:00:00Z') });
    store.open();
    try {
      const policy = policyFor('file', Config.parse({}));
      store.routes.initSink('file'); // before the alerts: a sink added later skips what was there
      for (let b = 0; b < 20; b++) store.commit({ positions: {}, alerts: Array.from({ length: 1000 }, (_, i) => makeAlert({ key: `k ${b} ${i}`, ts: '2026-06-10T00:00:00Z', n: b * 1000 + i })) });
      routeNew({ store, sink: 'file', policy, silences: [], now: Date.parse('2026-06-10T00:00:00Z') });
      let sent = 0;
      const t0 = performance.now();
      for (let head = store.routes.head('file'); head; head = store.routes.head('file')) {
        const ids = store.routes.members('file', head.groupKey).map((a) => a.id);
        store.routes.settle(ids, 'file', { ok: true });
        sent += ids.length;
      }
      const perMessageMs = (performance.now() - t0) / (20_000 / policy.maxGroupSize);
      expect(sent).toBe(20_000);
      expect(perMessageMs).toBeLessThan(10); // was ~100-190 ms at this size, and linear in it
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('state store bugs found by the chaos tests', () => {
  it('a hot rollback journal (kill -9 while the database was being created) is rolled back at open, not refused as read-only', async () => {
    const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const { StateStore } = await import('../../services/state/store.js');
    const dir = mkdtempSync(join(tmpdir(), 'tripline-hotjournal-'));
    try {
      const db = join(dir, 'state.db');
      // A writer killed mid-transaction before WAL mode: the rollback journal stays behind.
      spawnSync(process.execPath, ['-e', `const { DatabaseSync } = require('node:sqlite'); const d = new DatabaseSync(${JSON.stringify(db)}); d.exec('BEGIN'); d.exec('CREATE TABLE t(x)'); for (let i = 0; i < 3000; i++) d.exec("INSERT INTO t VALUES ('" + 'x'.repeat(1000) + "')"); process.kill(process.pid, 'SIGKILL');`]);
      expect(existsSync(`${db}-journal`)).toBe(true);
      const store = new StateStore({ stateDir: dir });
      const report = store.open(); // threw TRIP_STATE_DIR "cannot open ... for writing (attempt to write a readonly database)"
      expect(report.recovered).toBe(false);
      store.commit({ positions: { auth: { offset: 1 } }, alerts: [] });
      expect(store.load().positions).toEqual({ auth: { offset: 1 } });
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
