// Thin wrapper over node:util parseArgs that turns its errors into UsageErrors with
// the command's usage attached, so every command fails the same clear way (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../lib/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** Splits `KIND=PATH` (as in --input k8s-audit=/var/log/audit.log). */
export function splitKindPath(spec: string, known: readonly string[], usage: string): { kind: string; path: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) {
    throw new UsageError(`--input takes KIND=PATH (got "${spec}"); KIND is one of ${known.join(', ')}\n\n${usage}`);
  }
  const kind = spec.slice(0, eq);
  if (!known.includes(kind)) {
    throw new UsageError(`unknown input kind "${kind}" in --input ${spec}; use one of ${known.join(', ')}`);
  }
  return { kind, path: spec.slice(eq + 1) };
}
