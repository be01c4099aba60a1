import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblems, loadConfig, parseConfigText, type ConfigProblem } from '../../services/config/load.js';
import { UsageError } from '../../services/lib/errors.js';

/** Problems of a config text that must fail. */
function problems(text: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  const r = parseConfigText(text, 'config.yaml', env);
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.problems;
}

function config(text: string, env: NodeJS.ProcessEnv = {}) {
  const r = parseConfigText(text, 'config.yaml', env);
  if (!r.ok) throw new Error(formatProblems('config.yaml', r.problems));
  return r.config;
}

describe('parseConfigText', () => {
  it('accepts a file holding only networks, with every other default', () => {
    const c = config('networks:\n  trusted: [10.0.0.0/8, "::1"]\n  lab: [192.0.2.0/24]\n');
    expect(c.networks.trusted).toEqual(['10.0.0.0/8', '::1']);
    expect(c.networks['lab']).toEqual(['192.0.2.0/24']);
    expect(c.networks.devvm).toEqual(['10.0.10.0/24']);
    expect(c.k8s.massDelete.threshold).toBe(5);
    expect(c.k8s.massDelete.window).toBe(60_000);
  });

  it('treats an empty file or a comments-only file as the defaults', () => {
    expect(config('').identities.humans).toEqual(['me@viktorbarzin.me']);
    expect(config('# nothing yet\n').ssh.breakGlass.port).toBe(52222);
  });

  it('names unknown keys, at their line, with a suggestion', () => {
    const p = problems('bogus: 1\nk8s:\n  massDelete:\n    threshhold: 3\n');
    expect(p).toEqual([
      { path: 'bogus', message: expect.stringMatching(/^unknown key "bogus" \(known keys: networks, identities, k8s/), line: 1 },
      { path: 'k8s.massDelete.threshhold', message: 'unknown key "threshhold" (did you mean "threshold"?)', line: 4 },
    ]);
  });

  it('reports several problems at once, each with its path and line', () => {
    const text = [
      'k8s:',
      '  massDelete:',
      '    threshold: x',
      'ssh:',
      '  bruteForce:',
      '    window: soon',
      '  breakGlass:',
      '    port: 70000',
      'vault:',
      '  authFailures:',
      '    groupBy: ip',
      'hosts:',
      '  maintenance:',
      '    - from: "02:00"',
    ].join('\n');
    expect(problems(text)).toEqual([
      { path: 'k8s.massDelete.threshold', message: 'expected a number, got "x"', line: 3 },
      { path: 'ssh.bruteForce.window', message: 'expected a duration such as 30s, 5m, 1h or 7d, got "soon"', line: 6 },
      { path: 'ssh.breakGlass.port', message: 'must be at most 65535, got 70000', line: 8 },
      { path: 'vault.authFailures.groupBy', message: 'expected one of "remote_address", "none", got "ip"', line: 11 },
      { path: 'hosts.maintenance[0].to', message: 'required (a string)', line: 14 },
    ]);
  });

  it('formats problems one per line, prefixed with the origin', () => {
    const p = problems('k8s:\n  massDelete:\n    threshold: x\nbogus: 2\n');
    expect(formatProblems('config.yaml', p).split('\n')).toEqual([
      'config.yaml: k8s.massDelete.threshold: expected a number, got "x" (line 3)',
      expect.stringMatching(/^config\.yaml: bogus: unknown key "bogus" .* \(line 4\)$/),
    ]);
  });

  it('reports an empty value instead of guessing it means the default', () => {
    expect(problems('networks:\n  trusted:\n')).toEqual([
      { path: 'networks.trusted', message: 'is empty: expected a list (write [] for an empty list, or remove the key for the default)', line: 2 },
    ]);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(problems('- 10.0.0.0/8\n')).toEqual([{ path: '', message: 'the top level must be a mapping of config keys, got a list', line: 1 }]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const p = problems('networks:\n  trusted: [10.0.0.0/8\nk8s: {}\n');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ path: '', line: 3, column: 1 });
    expect(p[0]!.message).toMatch(/^YAML syntax error: /);
    expect(problems('a: 1\na: 2\n')[0]).toMatchObject({ message: 'YAML syntax error: Map keys must be unique', line: 2 });
    expect(problems('k8s: *nowhere\n')[0]!.message).toMatch(/^YAML error: .*nowhere/);
  });

  it('checks every CIDR numerically and names the entry', () => {
    expect(problems('networks:\n  trusted:\n    - 10.0.20.0/22\n    - 192.168.1.0/24\n    - 10.0.0.300/8\n  lab: [10.0.20.5/22, "::/129"]\n')).toEqual([
      { path: 'networks.trusted[2]', message: '"10.0.0.300/8" is not an IPv4/IPv6 address or CIDR', line: 5 },
      { path: 'networks.lab[0]', message: '"10.0.20.5/22" has host bits set (did you mean 10.0.20.0/22?)', line: 6 },
      { path: 'networks.lab[1]', message: '"::/129" has prefix length /129; IPv6 allows /0-128', line: 6 },
    ]);
  });

  it('rejects rule overrides for ids that do not exist', () => {
    expect(problems('rules:\n  K2: { severity: warning }\n  K1: { enabled: false }\n  k3: { enabled: false }\n')).toEqual([
      { path: 'rules.K1', message: expect.stringMatching(/^unknown rule id "K1" \(known ids: K2, K3, .*H2\)$/), line: 3 },
      { path: 'rules.k3', message: 'unknown rule id "k3" (did you mean "K3"?)', line: 4 },
    ]);
    const c = config('rules:\n  K2: { severity: warning }\n  I2: { enabled: false }\n');
    expect(c.rules['K2']).toEqual({ enabled: true, severity: 'warning' });
    expect(c.rules['I2']).toEqual({ enabled: false });
  });

  it('validates maintenance windows: forms, order and IANA zone', () => {
    const ok = config('hosts:\n  maintenance:\n    - { from: "22:00", to: "02:00", timezone: Europe/London, hosts: ["pve*"] }\n    - { from: 2025-05-06T02:00:00Z, to: 2025-05-06T04:00:00+01:00 }\n');
    expect(ok.hosts.maintenance).toHaveLength(2);
    expect(ok.hosts.maintenance[0]!.timezone).toBe('Europe/London');
    expect(problems('hosts:\n  maintenance:\n    - { from: "02:00", to: "25:00", timezone: Mars/Olympus }\n    - { from: "02:00", to: 2025-05-06T04:00:00Z }\n    - { from: 2025-05-06T04:00:00Z, to: 2025-05-06T03:00:00Z }\n')).toEqual([
      { path: 'hosts.maintenance[0].timezone', message: '"Mars/Olympus": is not a known IANA time zone (e.g. Europe/London, UTC)', line: 3 },
      { path: 'hosts.maintenance[0].to', message: '"25:00": expected an RFC 3339 date-time (2025-05-06T02:00:00Z) or HH:MM (02:30)', line: 3 },
      { path: 'hosts.maintenance[1]', message: 'from and to must both be RFC 3339 date-times or both HH:MM', line: 4 },
      { path: 'hosts.maintenance[2].to', message: '"2025-05-06T03:00:00Z": must be later than from', line: 5 },
    ]);
  });

  it('checks K6 object names', () => {
    expect(config('k8s:\n  auditCriticalObjects: ["configmaps:kube-system/kubeadm-config", "clusterroles:admin"]\n').k8s.auditCriticalObjects).toHaveLength(2);
    expect(problems('k8s:\n  auditCriticalObjects: ["kube-system/kubeadm-config"]\n')).toEqual([
      {
        path: 'k8s.auditCriticalObjects[0]',
        message: '"kube-system/kubeadm-config" is not resource:namespace/name or resource:name (e.g. configmaps:kube-system/kubeadm-config)',
        line: 2,
      },
    ]);
  });
});

describe('environment interpolation', () => {
  it('expands ${NAME} and ${NAME:-default}, and $${ is a literal', () => {
    const c = config(
      'identities:\n  humans: ["${HUMAN}", "${OTHER:-ops@example.org}", "lit-$${X}", "cost $5"]\nk8s:\n  massDelete:\n    threshold: ${K5:-7}\n',
      { HUMAN: 'me@example.org' },
    );
    expect(c.identities.humans).toEqual(['me@example.org', 'ops@example.org', 'lit-${X}', 'cost $5']);
    expect(c.k8s.massDelete.threshold).toBe(7); // unquoted and numeric: read as a number
  });

  it('uses the default for a set-but-empty variable, the value otherwise', () => {
    expect(config('identities:\n  humans: ["${H:-d@x}"]\n', { H: '' }).identities.humans).toEqual(['d@x']);
    expect(config('identities:\n  humans: ["${H:-d@x}"]\n', { H: 'v@x' }).identities.humans).toEqual(['v@x']);
  });

  it('keeps a quoted expansion a string', () => {
    expect(problems('k8s:\n  massDelete:\n    threshold: "${K5}"\n', { K5: '9' })).toEqual([
      { path: 'k8s.massDelete.threshold', message: 'expected a number, got the value of ${K5} (not shown)', line: 3 },
    ]);
  });

  it('reports an unset variable without default, naming the variable and the path', () => {
    expect(problems('identities:\n  humans: ["${HUMAN}"]\nswarm:\n  approvedDrones: ["${DRONE"]\n')).toEqual([
      { path: 'identities.humans[0]', message: 'environment variable HUMAN is not set (referenced as ${HUMAN}, with no default)', line: 2 },
      { path: 'swarm.approvedDrones[0]', message: 'has an unterminated ${ (write $${ for a literal ${)', line: 4 },
    ]);
    expect(problems('identities:\n  humans: ["${1X}"]\n')[0]!.message).toBe('has an invalid reference ${1X}: use ${NAME} or ${NAME:-default}');
  });

  it('never prints an interpolated value, even where it is invalid or repeated through an alias', () => {
    const secret = 'https://webhook.example.invalid/services/T000/B000/XXXXSECRET';
    const p = problems('networks:\n  trusted: [&hook "${SLACK_URL}"]\n  lab: [*hook]\nengine:\n  maxKeys: ${SLACK_URL}\n', { SLACK_URL: secret });
    expect(p).toEqual([
      { path: 'networks.trusted[0]', message: 'the value of ${SLACK_URL} (not shown) is not a valid IPv4/IPv6 address or CIDR', line: 2 },
      { path: 'networks.lab[0]', message: 'the value of ${SLACK_URL} (not shown) is not a valid IPv4/IPv6 address or CIDR', line: 3 },
      { path: 'engine.maxKeys', message: 'expected a number, got the value of ${SLACK_URL} (not shown)', line: 5 },
    ]);
    expect(formatProblems('config.yaml', p)).not.toContain('XXXXSECRET');
    expect(formatProblems('config.yaml', p)).not.toContain('hooks.slack.com');
  });
});

describe('loadConfig', () => {
  it('returns the embedded defaults without --config', async () => {
    const c = await loadConfig(undefined, {});
    expect(c.networks.protected).toEqual(['10.42.0.199', '100.64.0.88', '10.42.0.1', '127.0.0.0/8', '::1']);
    expect(c.vault.authFailures.threshold).toBe(10);
  });

  it('reads, interpolates and validates a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tripline-config-'));
    const file = join(dir, 'tripline.yaml');
    await writeFile(file, 'identities:\n  humans: ["${WHO}"]\n');
    expect((await loadConfig(file, { WHO: 'a@b.c' })).identities.humans).toEqual(['a@b.c']);
  });

  it('throws a ConfigError (exit 2) listing every problem with the file name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tripline-config-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'k8s:\n  massDelete:\n    threshold: x\nbogus: 1\n');
    const e = await loadConfig(file, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(UsageError);
    const ce = e as ConfigError;
    expect(ce.exitCode).toBe(2);
    expect(ce.code).toBe('TRIP_CONFIG');
    expect(ce.problems.map((p) => p.path)).toEqual(['k8s.massDelete.threshold', 'bogus']);
    expect(ce.message).toContain(`${file}: k8s.massDelete.threshold: expected a number, got "x" (line 3)`);
    expect(ce.message.split('\n')[0]).toBe('invalid configuration, 2 problems:');
  });

  it('says which path is missing, and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tripline-config-'));
    const missing = join(dir, 'nope.yaml');
    const e = (await loadConfig(missing, {}).catch((x: unknown) => x)) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`${missing}: config file not found`);
    const d = (await loadConfig(dir, {}).catch((x: unknown) => x)) as ConfigError;
    expect(d.message).toContain(`${dir}: is a directory, not a config file`);
  });
});

describe('value messages', () => {
  it('says what a duration is when the value is not one', () => {
    expect(problems('k8s:\n  massDelete:\n    window: true\n')).toEqual([
      { path: 'k8s.massDelete.window', message: 'expected a duration: seconds as a number, or text such as 30s, 5m, 1h, 7d, got true', line: 3 },
    ]);
    expect(problems('k8s:\n  massDelete:\n    window: -5\n')).toEqual([{ path: 'k8s.massDelete.window', message: 'must be at least 0, got -5', line: 3 }]);
    expect(config('k8s:\n  massDelete:\n    window: 90\n').k8s.massDelete.window).toBe(90_000);
  });

  it('names whole numbers, booleans and empty strings', () => {
    expect(problems('k8s:\n  massDelete:\n    threshold: 5.5\nrules:\n  K2: { enabled: yes }\nidentities:\n  humans: [123, ""]\n')).toEqual([
      { path: 'k8s.massDelete.threshold', message: 'expected a whole number, got 5.5', line: 3 },
      { path: 'rules.K2.enabled', message: 'expected true or false, got "yes"', line: 5 },
      { path: 'identities.humans[0]', message: 'expected a string, got 123', line: 7 },
      { path: 'identities.humans[1]', message: 'must not be empty', line: 7 },
    ]);
  });
});
