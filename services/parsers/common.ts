// Helpers every parser shares: the pre-checks that turn unusable bytes into stable
// ParseErrors, stable event ids, and the skeleton of an event.
import { createHash } from 'node:crypto';
import type { Actor, App, SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../lib/errors.js';
import type { EventTime } from '../lib/time.js';
import { MAX_ERROR_SAMPLE, type ParseContext, type ParseResult } from './types.js';

export function fail(ctx: ParseContext, code: ParseErrorCode, message: string, line: string): ParseResult {
  return {
    ok: false,
    error: {
      code,
      message,
      kind: ctx.kind,
      sourceName: ctx.sourceName,
      position: ctx.position,
      sample: line.length > MAX_ERROR_SAMPLE ? line.slice(0, MAX_ERROR_SAMPLE) : line,
    },
  };
}

/**
 * Rejects what no parser should look at: empty lines, capped lines, invalid UTF-8 and
 * binary (NUL) bytes. Returns null when the line may be parsed.
 */
export function precheck(line: string, ctx: ParseContext): ParseResult | null {
  if (ctx.truncated) return fail(ctx, ParseErrorCode.TOO_LONG, 'line longer than 1 MiB; capped', line);
  if (ctx.invalidUtf8) return fail(ctx, ParseErrorCode.BAD_UTF8, 'line is not valid UTF-8', line);
  if (line.length === 0 || line.trim().length === 0) return fail(ctx, ParseErrorCode.EMPTY, 'empty line', line);
  if (line.includes('\u0000')) return fail(ctx, ParseErrorCode.BINARY, 'line holds NUL bytes (binary data)', line);
  return null;
}

/** A stable id from the line itself, so a replay and a live run agree whatever the file is called. */
export function lineId(kind: string, line: string): string {
  return `${kind}:${createHash('sha1').update(line).digest('hex').slice(0, 20)}`;
}

export const UNKNOWN_ACTOR: Actor = { name: null, kind: 'unknown', id: null };

/** The fields every event has, filled with "nothing known"; parsers override what they know. */
export function baseEvent(ctx: ParseContext, id: string, time: EventTime, app: App, raw: SecurityEvent['raw']): SecurityEvent {
  return {
    id,
    ts: time.iso,
    tsMs: time.ms,
    tsSubNs: time.subNs,
    source: { kind: ctx.kind, name: ctx.sourceName, position: ctx.position },
    app,
    host: ctx.defaultHost ?? null,
    action: 'other',
    outcome: 'unknown',
    actor: UNKNOWN_ACTOR,
    client: { addrs: [], port: null },
    target: {},
    raw,
  };
}

/** issue 9: how deep a parsed line may nest before deeper values are replaced (see capDepth). */
export const MAX_JSON_DEPTH = 100;
export const DEPTH_MARKER = `[tripline: nested deeper than ${MAX_JSON_DEPTH} levels, dropped]`;

/**
 * issue 9 (hardening): JSON.parse reads any depth, but JSON.stringify and structuredClone
 * recurse and throw RangeError near 10,000 levels. A line nested that deep (attacker text:
 * a k8s requestObject, Vault request data) parsed fine and then crashed whatever
 * serialized the event: `tripline parse --format jsonl`, and the Kafka collect role, which
 * retried the same batch for ever. The event is kept (rejecting it would let deep nesting
 * hide an action from the rules); only the values below MAX_JSON_DEPTH become
 * DEPTH_MARKER. No real audit record comes near 100 levels. Cost: counting the brackets of
 * every line, and a walk only for lines with more than MAX_JSON_DEPTH of them.
 */
export function capDepth(value: unknown, line: string): void {
  // Fewer than MAX_JSON_DEPTH brackets in all cannot nest deeper (indexOf: fast per bracket).
  let openers = 0;
  for (let i = line.indexOf('{'); i >= 0 && openers <= MAX_JSON_DEPTH; i = line.indexOf('{', i + 1)) openers++;
  for (let i = line.indexOf('['); i >= 0 && openers <= MAX_JSON_DEPTH; i = line.indexOf('[', i + 1)) openers++;
  if (openers <= MAX_JSON_DEPTH) return;
  // Iterative walk: recursion is exactly what must not happen here.
  const stack: Array<{ v: object; depth: number }> = [];
  if (value !== null && typeof value === 'object') stack.push({ v: value, depth: 1 });
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const child = o[k];
      if (child === null || typeof child !== 'object') continue;
      if (depth >= MAX_JSON_DEPTH) o[k] = DEPTH_MARKER;
      else stack.push({ v: child, depth: depth + 1 });
    }
  }
}

/** JSON.parse that returns a ParseResult-shaped failure instead of throwing. */
export function parseJsonObject(line: string, ctx: ParseContext): { ok: true; value: Record<string, unknown> } | { ok: false; result: ParseResult } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, result: fail(ctx, ParseErrorCode.JSON, `not JSON: ${(e as Error).message.slice(0, 200)}`, line) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, result: fail(ctx, ParseErrorCode.SHAPE, 'JSON line is not an object', line) };
  }
  capDepth(value, line); // issue 9: see capDepth
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Summarizes a zod error for a ParseError message: the first few issues with their paths.
 * issue 9: path segments are the line's own keys (attacker text: a 500 KB annotation key
 * made a 1.5 MB message for every dead letter and log line), so each is capped at 64
 * characters and the whole summary at 512.
 */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const seg = (k: PropertyKey) => {
    const s = String(k);
    return s.length > 64 ? `${s.slice(0, 63)}…` : s;
  };
  const text = issues
    .slice(0, 3)
    .map((i) => `${i.path.map(seg).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return text.length > 512 ? `${text.slice(0, 511)}…` : text;
}
