// Replaying the shared corpus raises the alerts its content warrants (facts from
// ../shared/corpus/README.md, checked by reading the files).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Config } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import type { Alert } from '../../schemas/alert.js';
import { runReplay } from '../../services/cli/replay-run.js';
import { corpusDir, corpusFile, corpusPresent } from './corpus-helpers.js';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function replay(inputs: Array<[InputKind, string]>, year = 2024, config = Config.parse({})): Promise<Alert[]> {
  const r = await runReplay({
    specs: inputs.map(([kind, path]) => ({ kind, path })),
    config,
    readOpts: { year },
    io: { stderr: quiet, stdin: process.stdin, now: () => 0 },
  });
  expect(r.ioFailed, r.summary).toBe(false);
  return r.alerts.filter((a) => a.rule !== 'H1');
}

const by = (alerts: Alert[], rule: string) => alerts.filter((a) => a.rule === rule);

describe.runIf(corpusPresent)('corpus conformance: replay (runs when ../shared/corpus exists)', () => {
  it('S1 for the public accepted logins, none for private ones', async () => {
    const travel = await replay([['syslog', corpusFile('sshd/crowdsec-hub__sshd-impossible-travel__sshd-success-logs.log')]]);
    expect(by(travel, 'S1').map((a) => a.fields.addresses?.[0])).toEqual(['1.2.3.4', '9.8.8.8']);
    const loghub = await replay([['syslog', corpusFile('sshd/loghub__OpenSSH_2k.log')]]);
    expect(by(loghub, 'S1').map((a) => [a.fields.actor, a.fields.addresses?.[0]])).toEqual([['fztu', '119.137.62.142']]);
    // 192.168.121.1 is private but not in the reference trusted sets: it fires by default,
    // and not once the operator's own LAN is trusted (the sample's intended negative).
    const sample = corpusFile('sshd/crowdsec-hub__sshd-success-logs.log');
    expect(by(await replay([['syslog', sample]]), 'S1')).toHaveLength(4);
    const lan = Config.parse({ networks: { trusted: ['192.168.121.0/24'] } });
    expect(by(await replay([['syslog', sample]], 2024, lan), 'S1')).toEqual([]);
  });

  it('S2 for the loghub brute force: the top offenders fire, 183.62.140.253 among them', async () => {
    const alerts = by(await replay([['syslog', corpusFile('sshd/loghub__OpenSSH_2k.log')]]), 'S2');
    const keys = new Set(alerts.map((a) => a.key.split(' ').pop()));
    for (const ip of ['183.62.140.253', '187.141.143.180', '103.99.0.122']) expect(keys.has(ip), ip).toBe(true);
    expect(alerts.every((a) => a.count > 10)).toBe(true);
  });

  it('S2 for the ossec dictionary attacks and the OPNsense RFC 5424 burst', async () => {
    const ossec = by(await replay([['syslog', corpusFile('sshd/ossec-hids__log-entries_sshd.log')]]), 'S2');
    expect(new Set(ossec.map((a) => a.key.split(' ').pop()))).toEqual(new Set(['83.15.231.75', '200.94.18.3']));
    // 10 invalid users is not MORE than 10: no alert at the default threshold.
    expect(by(await replay([['syslog', corpusFile('sshd/crowdsec-hub__opnsense-sshd.log')]]), 'S2')).toEqual([]);
  });

  it("K2 for the elastic sample's ServiceAccount from a public address", async () => {
    const alerts = await replay([['k8s-audit', corpusFile('k8s-audit/elastic-integrations__kubernetes_audit_logs_test-audit.log')]]);
    expect(by(alerts, 'K2').map((a) => a.key)).toEqual(['system:serviceaccount:kube-system:elastic-agent 67.43.156.1']);
  });

  it('K4 for the falco exec and attach traces (in a sensitive namespace); K7 only for * verbs AND * resources', async () => {
    const falco = corpusDir('k8s-audit/falco-trace-files');
    const all = await replay(falco.map((f) => ['k8s-audit', f] as [InputKind, string]));
    // The traces exec and attach in namespace default, which is not sensitive by default.
    expect(by(all, 'K4')).toEqual([]);
    const widened = Config.parse({ k8s: { sensitiveExecNamespaces: ['default'] } });
    const k4 = by(await replay(['exec_pod.json', 'attach_pod.json'].map((f) => ['k8s-audit', corpusFile(`k8s-audit/falco-trace-files/${f}`)] as [InputKind, string]), 2024, widened), 'K4');
    expect(k4.map((a) => a.fields.details?.['subresource'])).toEqual(['exec', 'attach']);
    // The two "wildcard" traces grant * verbs on pods, and get/list on * resources: neither
    // is a rule with * in verbs and * in resources, which is what K7 means by wildcard.
    expect(by(all, 'K7')).toEqual([]);
    const trace = JSON.parse(readFileSync(corpusFile('k8s-audit/falco-trace-files/create_cluster_role_wildcard_verbs.json'), 'utf8'));
    trace.requestObject.rules[0].resources = ['*'];
    const dir = mkdtempSync(join(tmpdir(), 'tripline-k7-'));
    const both = join(dir, 'both.json');
    writeFileSync(both, `${JSON.stringify(trace)}\n`);
    const k7 = by(await replay([['k8s-audit', both]]), 'K7');
    rmSync(dir, { recursive: true, force: true });
    expect(k7.map((a) => a.key)).toEqual([trace.objectRef.name]);
  });

  it('R1 for the journald boots after the first (the first boot id of a host is not a boot unless a banner says so)', async () => {
    const alerts = await replay([['journal', corpusFile('journald/beats__journald_testdata_multiple-boots.export')]]);
    const r1 = by(alerts, 'R1');
    expect(r1.map((a) => a.ts.slice(0, 10))).toEqual(['2024-09-17', '2024-09-19', '2024-09-20']);
  });

  it('I1 for the Snort priority-1 alerts', async () => {
    const alerts = await replay([['snort', corpusFile('snort/elastic-integrations__snort_test-log-fast.log')]]);
    expect(by(alerts, 'I1').map((a) => a.key.split(' ')[0])).toEqual(['1:1000005', '1:1000005']);
  });

  it('Vault tutorial: V4 for the admins and lab-user policy writes by the root token, V2 for the audit device', async () => {
    const alerts = await replay([['vault-audit', corpusFile('vault-audit/learn-vault-monitoring__vault-audit.log')]]);
    expect(new Set(by(alerts, 'V4').map((a) => a.key))).toEqual(new Set(['admins', 'lab-user']));
    // Line 1 is the response that enabled the file device (its request predates the device).
    expect(by(alerts, 'V2').map((a) => a.key)).toEqual(['file']);
    expect(by(alerts, 'V1')).toEqual([]);
  });
});
