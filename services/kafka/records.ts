// What tripline writes to its Kafka topics (issue 7; architecture.md "Scale-out"):
//
//   tripline.events   key "<source>\0<host>" (one host's lines stay in order), value an
//                     EventRecord (JSON): a parsed event with its raw line, a parse
//                     failure, or a quiet line (the raw-line prefilter, engine/prefilter.ts,
//                     proved no keyed rule can concern it: only its time, position and
//                     text, for H1/H2), stamped by the collector with the source's sequence
//                     number and order time. Written by `run --role collect`.
//   tripline.signals  EventRecords on the partition that owns the state they feed, with
//                     headers saying what to do with them there (SIGNAL_HEADERS): the
//                     collector's bytes unchanged for keyed rules, the compact health form
//                     (toHealth: an event reduced to a quiet line) for the health lane.
//                     Written and read by `run --role detect`.
//   tripline.alerts   key alert id, value the Alert JSON. Written by detect, read by route.
//   tripline.state    compacted; key "<signals topic>:<partition>", value a StateRecord
//                     (gzip): a signals partition's detector state and the offset it covers.
//
// Invariants: every value carries `v` (a consumer refuses a version it does not know
// rather than misread it); the collector's (ep, seq) numbers each source's records
// contiguously from 0, so the health lane can restore one source's exact order even though
// its hosts travel on different partitions, and drop duplicates after a redelivery.
import type { Alert } from '../../schemas/alert.js';
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import type { EngineSnapshot } from '../engine/engine.js';

export const RECORD_VERSION = 1;

export interface EventRecord {
  v: typeof RECORD_VERSION;
  /** Source name (config `sources[].name`). */
  src: string;
  kind: InputKind;
  /** Collector epoch: changes when a source's sequence restarts from 0 (fresh collector state). */
  ep: string;
  /** Position of this record in its source, contiguous from 0 within the epoch. */
  seq: number;
  /**
   * Order time (ms): the event's time, or for a parse failure the time of the source's
   * previous event (null before any), exactly as the replay merges inputs.
   */
  ms: number | null;
  ns: number;
  /** A parsed event and the raw line it came from ... */
  e?: SecurityEvent;
  line?: string;
  /** ... or the error code of a line that failed to parse ... */
  err?: string;
  /** ... or a quiet line (`line` holds its text): its time as printed and its position. */
  q?: { ts: string; pos: string };
}

/** Headers of a tripline.signals message: which lanes of the owning replica take it. */
export const SIGNAL_HEADERS = {
  /** Comma-separated ids of the keyed rules to run on the event here ('' none). */
  rules: 'tr-rules',
  /** '1': the host's correlation indexes kept here must observe the event. */
  index: 'tr-index',
  /** '1': the event (or failure) feeds the health lane (H1, H2) kept here. */
  health: 'tr-health',
} as const;

export interface SignalMeta {
  rules: string[];
  index: boolean;
  health: boolean;
}

export interface StateRecord {
  v: typeof RECORD_VERSION;
  topic: string;
  partition: number;
  /** The next signals offset to read: the state reflects every message before it. */
  offset: string;
  keyed: EngineSnapshot;
  health: unknown;
  writtenMs: number;
}

export function eventKey(src: string, host: string | null): string {
  return `${src}\u0000${host ?? ''}`;
}

export function stateKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function text(v: Buffer | string | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

/** Parses an EventRecord; throws an Error saying what is wrong. */
export function decodeEventRecord(value: Buffer | string | null): EventRecord {
  const t = text(value);
  if (t === undefined) throw new Error('empty record');
  const r = JSON.parse(t) as EventRecord;
  if (r === null || typeof r !== 'object' || r.v !== RECORD_VERSION) throw new Error(`record version ${String((r as { v?: unknown })?.v)} is not ${RECORD_VERSION}`);
  if (typeof r.src !== 'string' || typeof r.seq !== 'number' || typeof r.ep !== 'string') throw new Error('record lacks src, ep or seq');
  if ((r.e !== undefined ? 1 : 0) + (r.err !== undefined ? 1 : 0) + (r.q !== undefined ? 1 : 0) !== 1) {
    throw new Error('record must hold exactly one of e (event), err (parse failure) or q (quiet line)');
  }
  return r;
}

/**
 * What the health lane (H1, H2) needs of a record: a parsed event reduced to a quiet line
 * (time, position, text), which is all H1/H2 read of it (Engine.pushQuiet), at a fraction
 * of the bytes; failures and quiet lines as they are.
 */
export function toHealth(r: EventRecord): EventRecord {
  if (!r.e) return r;
  const { e, ...rest } = r;
  return { ...rest, q: { ts: e.ts, pos: e.source.position } };
}

export function encodeSignalHeaders(m: SignalMeta): Record<string, string> {
  return { [SIGNAL_HEADERS.rules]: m.rules.join(','), [SIGNAL_HEADERS.index]: m.index ? '1' : '0', [SIGNAL_HEADERS.health]: m.health ? '1' : '0' };
}

export function decodeSignalHeaders(h: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): SignalMeta {
  const get = (k: string): string => {
    const v = h?.[k];
    return text(Array.isArray(v) ? v[0] : v) ?? '';
  };
  const rules = get(SIGNAL_HEADERS.rules);
  return { rules: rules === '' ? [] : rules.split(','), index: get(SIGNAL_HEADERS.index) === '1', health: get(SIGNAL_HEADERS.health) === '1' };
}

export function decodeAlert(value: Buffer | string | null): Alert {
  const t = text(value);
  if (t === undefined) throw new Error('empty alert');
  const a = JSON.parse(t) as Alert;
  if (a === null || typeof a !== 'object' || typeof a.id !== 'string' || typeof a.rule !== 'string') throw new Error('not an alert');
  return a;
}

export function decodeStateRecord(value: Buffer | string | null): StateRecord | null {
  const t = text(value);
  if (t === undefined) return null; // a tombstone
  const s = JSON.parse(t) as StateRecord;
  if (s === null || typeof s !== 'object' || s.v !== RECORD_VERSION || typeof s.offset !== 'string') throw new Error('not a state record of this version');
  return s;
}

/** A new collector epoch: sorts after every earlier one (time first), unique (random suffix). */
export function newEpoch(nowMs: number, random: () => number = Math.random): string {
  return `${Math.max(0, Math.floor(nowMs)).toString(36).padStart(10, '0')}-${Math.floor(random() * 2 ** 32).toString(36).padStart(7, '0')}`;
}

/** Where a source's numbering stands (saved with the collector's position). */
export interface StamperState {
  ep: string;
  seq: number;
  ms: number | null;
  ns: number;
}

/**
 * Stamps one source's records in collector order: sequence numbers and order times
 * exactly as the replay gives them (a parse failure takes its source's previous event time).
 */
export class SourceStamper {
  constructor(
    readonly src: string,
    readonly kind: InputKind,
    private st: StamperState,
  ) {}

  event(e: SecurityEvent, line: string): EventRecord {
    this.st.ms = e.tsMs;
    this.st.ns = e.tsSubNs;
    return { v: RECORD_VERSION, src: this.src, kind: this.kind, ep: this.st.ep, seq: this.st.seq++, ms: e.tsMs, ns: e.tsSubNs, e, line };
  }

  /** A line the prefilter let skip the parse: `t` its event time. */
  quiet(t: { iso: string; ms: number; subNs: number }, position: string, line: string): EventRecord {
    this.st.ms = t.ms;
    this.st.ns = t.subNs;
    return { v: RECORD_VERSION, src: this.src, kind: this.kind, ep: this.st.ep, seq: this.st.seq++, ms: t.ms, ns: t.subNs, q: { ts: t.iso, pos: position }, line };
  }

  failure(code: string): EventRecord {
    return { v: RECORD_VERSION, src: this.src, kind: this.kind, ep: this.st.ep, seq: this.st.seq++, ms: this.st.ms, ns: this.st.ns, err: code };
  }

  state(): StamperState {
    return { ...this.st };
  }
}
