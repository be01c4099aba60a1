// The config the CLI tests give `tripline run`: one syslog file read from its start into a
// file sink, no wall-clock silence (the inputs are from June, and silence by the wall clock
// would differ from the replay by design), plus whatever a test adds.
import { writeFileSync } from 'node:fs';

export interface RunConfigOptions {
  input: string;
  sink: string;
  /** http.listen as YAML (default false: no port). */
  http?: string;
  /** engine.checkpointInterval (default 100ms); null keeps the default of tripline itself. */
  checkpoint?: string | null;
  /** More YAML lines (top-level keys this config does not set). */
  extra?: string[];
}

export function runConfig(o: RunConfigOptions): string {
  return [
    'sources:',
    `  - { name: auth, kind: syslog, path: ${JSON.stringify(o.input)}, startAt: beginning }`,
    `sinks: { file: { path: ${JSON.stringify(o.sink)} } }`,
    `http: { listen: ${o.http ?? 'false'} }`,
    ...(o.checkpoint === null ? [] : [`engine: { checkpointInterval: ${o.checkpoint ?? '100ms'} }`]),
    'health: { wallClock: false }',
    ...(o.extra ?? []),
  ].join('\n');
}

export function writeRunConfig(path: string, o: RunConfigOptions): void {
  writeFileSync(path, `${runConfig(o)}\n`);
}
