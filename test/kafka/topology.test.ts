// issue 7: the Kafka path's detection is the embedded replay's, whatever the schedule.
// The golden scenario's records go through the real EventStage/SignalStage under many
// seeded interleavings of partitions, with replicas dying mid-stream (fronts re-reading
// from their last commit, signal stages restoring their last checkpoint); the alerts the
// router keeps (first of each id) must equal the replay's: same ids, same content.
import { Writable } from 'node:stream';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { runReplay } from '../../services/cli/replay-run.js';
import type { EventRecord } from '../../services/kafka/records.js';
import { scenarioSources, simulate, stampSources } from './sim.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = scenarioSources(ROOT);
const config = Config.parse({ health: { wallClock: false }, kafka: { brokers: ['127.0.0.1:9092'], idleTimeout: '1000d' } });
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

let want: Alert[];
let records: EventRecord[][];
let quietLines = 0;

beforeAll(async () => {
  const r = await runReplay({
    specs: SOURCES.map((s) => ({ kind: s.kind, path: s.path, name: s.name })),
    config,
    readOpts: { year: 2026 },
    io: { stderr: quiet, stdin: process.stdin, now: () => 0 },
  });
  want = r.alerts;
  records = await stampSources(SOURCES, 2026, config);
  quietLines = records.flat().filter((r) => r.q).length;
});

const byId = (alerts: Alert[]) => [...alerts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const sources = SOURCES.map((s) => ({ name: s.name, kind: s.kind }));

describe('Kafka topology (in memory) against the embedded replay', () => {
  it('the scenario has what this test needs: every rule kind fires, hosts split sources', () => {
    expect(want.length).toBeGreaterThan(600);
    expect(new Set(want.map((a) => a.rule)).size).toBe(27);
    // the collector's prefilter sends quiet lines for part of the k8s audit log
    expect(quietLines).toBeGreaterThan(100);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i, no failures: exactly the replay alerts', (seed) => {
    const r = simulate(records, { config, sources, eventPartitions: 4, signalPartitions: 6, seed, crashRate: 0 });
    expect(byId(r.delivered)).toEqual(byId(want));
  });

  it.each([11, 12, 13, 14, 15, 16])('seed %i, replicas and collectors dying mid-stream: still exactly the replay alerts', (seed) => {
    const r = simulate(records, { config, sources, eventPartitions: 3, signalPartitions: 5, seed, crashRate: 0.05 });
    expect(r.crashes).toBeGreaterThan(5);
    expect(r.produced).toBeGreaterThanOrEqual(want.length);
    expect(byId(r.delivered)).toEqual(byId(want));
  });

  it.each([21, 22, 23])('seed %i, one events partition worked hours ahead of another: still exactly the replay alerts', (seed) => {
    const r = simulate(records, { config, sources, eventPartitions: 4, signalPartitions: 3, seed, crashRate: 0.02, schedule: 'lagging' });
    expect(byId(r.delivered)).toEqual(byId(want));
  });

  it('one partition each: the degenerate topology is the replay too', () => {
    const r = simulate(records, { config, sources, eventPartitions: 1, signalPartitions: 1, seed: 99, crashRate: 0 });
    expect(byId(r.delivered)).toEqual(byId(want));
  });
});
