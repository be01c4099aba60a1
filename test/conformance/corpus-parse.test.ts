// Facts established by reading the shared corpus files by hand (see
// ../shared/corpus/README.md), asserted on what `tripline parse` makes of them.
import { describe, expect, it } from 'vitest';
import { SecurityEvent } from '../../schemas/event.js';
import { corpusDir, corpusFile, corpusPresent, countBy, parseFile } from './corpus-helpers.js';
import type { InputKind } from '../../schemas/event.js';

const ALL: Array<[InputKind, string]> = [
  ['vault-audit', 'vault-audit/learn-vault-monitoring__vault-audit.log'],
  ['vault-audit', 'vault-audit/elastic-integrations__hashicorp_vault_test-audit.log'],
  ['k8s-audit', 'k8s-audit/crowdsec-hub__k8s-audit-pod-exec-file.log'],
  ['k8s-audit', 'k8s-audit/elastic-integrations__kubernetes_audit_logs_test-audit.log'],
  ['k8s-audit', 'k8s-audit/audit2rbac__demo.log'],
  ['k8s-audit', 'k8s-audit/crowdsec-hub__k8s-audit-priv-pod-file.log'],
  ['syslog', 'sshd/crowdsec-hub__sshd-success-logs.log'],
  ['syslog', 'sshd/ossec-hids__log-entries_sshd.log'],
  ['syslog', 'sshd/crowdsec-hub__sshd-invalid-bf.log'],
  ['syslog', 'sshd/crowdsec-hub__sshd-bad-keyexchange-bf.log'],
  ['syslog', 'sshd/crowdsec-hub__opnsense-sshd.log'],
  ['syslog', 'sshd/loghub__OpenSSH_2k.log'],
  ['syslog', 'sshd/fail2ban__tests_files_logs_sshd.log'],
  ['syslog', 'sshd/crowdsec-hub__sshd-logs.log'],
  ['syslog', 'sshd/crowdsec-hub__sshd-impossible-travel__sshd-success-logs.log'],
  ['syslog', 'journald/loghub__Linux_2k.log'],
  ['journal', 'journald/beats__journalctl_testdata_sample-journal-event.json'],
  ['journal', 'journald/beats__journald_testdata_multiple-boots.export'],
  ['snort', 'snort/splunk-snort3-ta__alert_json.txt'],
  ['snort', 'snort/elastic-integrations__snort_test-log-fast.log'],
  ['syslog', 'snort/elastic-integrations__snort_test-log-syslog.log'],
];

describe.runIf(corpusPresent)('corpus conformance: parsing (runs when ../shared/corpus exists)', () => {
  it.each(ALL)('%s %s parses without a crash and every event validates', async (kind, rel) => {
    const { events, errors, records } = await parseFile(kind, corpusFile(rel), 2024);
    expect(records.length).toBeGreaterThan(0);
    expect(events.length + errors.length).toBe(records.length);
    for (const e of events) expect(SecurityEvent.safeParse(e).success).toBe(true);
  });

  it('falco trace files: every file parses; exec, attach and the wildcard ClusterRoles are there', async () => {
    const files = corpusDir('k8s-audit/falco-trace-files');
    expect(files).toHaveLength(26);
    const byFile = new Map<string, Awaited<ReturnType<typeof parseFile>>>();
    for (const f of files) byFile.set(f.split('/').pop()!, await parseFile('k8s-audit', f));
    const exec = byFile.get('exec_pod.json')!.events[0]!;
    expect(exec.target).toMatchObject({ resource: 'pods', subresource: 'exec' });
    const attach = byFile.get('attach_pod.json')!.events[0]!;
    expect(attach.target).toMatchObject({ resource: 'pods', subresource: 'attach' });
    for (const f of ['create_cluster_role_wildcard_verbs.json', 'create_cluster_role_wildcard_resources.json']) {
      const e = byFile.get(f)!.events[0]!;
      expect(e.target.resource).toBe('clusterroles');
      expect(e.k8s?.verb).toBe('create');
      expect(e.k8s?.hasRequestObject).toBe(true);
    }
    const anon = byFile.get('anonymous_creates_namespace_foo.json')!.events[0]!;
    expect(anon.actor.name).toBe('system:anonymous');
    // create_secret.json ends with a blank line: one event, one EMPTY error, no crash.
    expect(byFile.get('create_secret.json')!.errors.map((e) => e.code)).toEqual(['TRIP_PARSE_EMPTY']);
  });

  it('loghub OpenSSH: 520 Failed password lines, 286 from 183.62.140.253, one public Accepted', async () => {
    const { events, errors } = await parseFile('syslog', corpusFile('sshd/loghub__OpenSSH_2k.log'), 2024);
    expect(errors).toHaveLength(0);
    const failedPw = events.filter((e) => e.ssh?.form === 'failed' && e.ssh.method === 'password');
    expect(failedPw).toHaveLength(520);
    const top = [...countBy(failedPw, (e) => e.client.addrs[0])];
    expect(top[0]).toEqual(['183.62.140.253', 286]);
    expect(top[1]).toEqual(['187.141.143.180', 80]);
    expect(top[2]).toEqual(['103.99.0.122', 46]);
    const accepted = events.filter((e) => e.action === 'auth.success');
    expect(accepted.map((e) => [e.actor.name, e.client.addrs[0], e.ssh?.method])).toEqual([['fztu', '119.137.62.142', 'password']]);
  });

  it('ossec sshd: dictionary attacks from 83.15.231.75 (267) and 200.94.18.3 (78)', async () => {
    const { events } = await parseFile('syslog', corpusFile('sshd/ossec-hids__log-entries_sshd.log'), 2024);
    const invalid = events.filter((e) => e.ssh?.form === 'invalid_user');
    expect([...countBy(invalid, (e) => e.client.addrs[0])]).toEqual([
      ['83.15.231.75', 267],
      ['200.94.18.3', 78],
    ]);
  });

  it('accepted logins: public in impossible-travel, private in success-logs', async () => {
    const travel = await parseFile('syslog', corpusFile('sshd/crowdsec-hub__sshd-impossible-travel__sshd-success-logs.log'), 2024);
    expect(travel.events.filter((e) => e.action === 'auth.success').map((e) => [e.actor.name, e.client.addrs[0]])).toEqual([
      ['vagrant', '1.2.3.4'],
      ['vagrant', '9.8.8.8'],
    ]);
    const ok = await parseFile('syslog', corpusFile('sshd/crowdsec-hub__sshd-success-logs.log'), 2024);
    const acc = ok.events.filter((e) => e.action === 'auth.success');
    expect(acc).toHaveLength(4);
    expect(new Set(acc.map((e) => e.client.addrs[0]))).toEqual(new Set(['192.168.121.1']));
  });

  it('Vault tutorial log: 1397 entries, policy writes, token creations and the audit enable', async () => {
    const { events, errors } = await parseFile('vault-audit', corpusFile('vault-audit/learn-vault-monitoring__vault-audit.log'));
    expect(errors).toHaveLength(0);
    expect(events).toHaveLength(1397);
    const policyWrites = events.filter((e) => e.action === 'policy.write');
    expect(new Set(policyWrites.map((e) => e.vault?.path))).toEqual(new Set(['sys/policies/acl/admins', 'sys/policies/acl/lab-user']));
    const tokenCreates = events.filter((e) => e.action === 'token.create' && e.vault?.type === 'response');
    expect(tokenCreates.length).toBeGreaterThanOrEqual(2);
    const rootChild = tokenCreates.find((e) => e.vault?.path === 'auth/token/create');
    expect(rootChild?.vault?.callerPolicies).toEqual(['root']);
    expect(rootChild?.vault?.issued?.policies).toEqual(['admins', 'default']);
    const audit = events.filter((e) => e.action === 'audit.config');
    expect(audit.map((e) => e.vault?.path)).toEqual(['sys/audit/file']);
    expect(events.every((e) => e.client.addrs.every((a) => a.startsWith('10.10.42.')))).toBe(true);
  });

  it('elastic Vault sample: the OIDC human calls from public 67.43.156.13', async () => {
    const { events } = await parseFile('vault-audit', corpusFile('vault-audit/elastic-integrations__hashicorp_vault_test-audit.log'));
    const human = events.filter((e) => e.client.addrs[0] === '67.43.156.13');
    expect(human.length).toBe(2);
    expect(human[0]!.vault?.displayName).toMatch(/^oidc-/);
  });

  it('journald: the export sample holds three boots of Debian12, each with a kernel banner', async () => {
    const { events } = await parseFile('journal', corpusFile('journald/beats__journald_testdata_multiple-boots.export'));
    const bootIds = new Set(events.filter((e) => e.host === 'Debian12').map((e) => e.bootId));
    expect(bootIds.size).toBe(3);
    const banners = events.filter((e) => e.action === 'host.boot' && e.boot?.evidence === 'banner');
    expect(banners).toHaveLength(3);
    expect(banners.map((e) => e.ts.slice(0, 10))).toEqual(['2024-09-17', '2024-09-19', '2024-09-20']);
  });

  it('loghub Linux: one kernel boot, on Jul 27 14:41:57', async () => {
    const { events } = await parseFile('syslog', corpusFile('journald/loghub__Linux_2k.log'), 2024);
    const boots = events.filter((e) => e.action === 'host.boot');
    expect(boots.map((e) => [e.ts, e.host])).toEqual([['2024-07-27T14:41:57Z', 'combo']]);
  });

  it('Snort: alert_json has 923 records (834 priority 1), the fast log two priority-1 alerts', async () => {
    const json = await parseFile('snort', corpusFile('snort/splunk-snort3-ta__alert_json.txt'));
    expect(json.events).toHaveLength(923);
    expect(json.errors.map((e) => [e.position, e.code])).toEqual([['line 1', 'TRIP_PARSE_JSON']]);
    expect(json.events.filter((e) => e.ids?.priority === 1)).toHaveLength(834);
    const fast = await parseFile('snort', corpusFile('snort/elastic-integrations__snort_test-log-fast.log'), 2024);
    const p1 = fast.events.filter((e) => e.ids?.priority === 1);
    expect(p1.map((e) => `${e.ids!.gid}:${e.ids!.sid}`)).toEqual(['1:1000005', '1:1000005']);
    const syslog = await parseFile('syslog', corpusFile('snort/elastic-integrations__snort_test-log-syslog.log'), 2024);
    expect(syslog.events.map((e) => [e.action, e.ids?.priority])).toEqual([
      ['ids.alert', 3],
      ['ids.alert', 3],
      ['ids.alert', 3],
    ]);
  });
});
