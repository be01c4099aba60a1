// The k8s-audit raw-line scanner behind the replay prefilter (issue 8): reads the
// request facts rules judge (verb, user, sourceIPs, objectRef, code) and the event time
// from a line WITHOUT JSON.parse, and says when it cannot.
//
// It is a hand-written, single-pass matcher over the line's UTF-8 bytes (no regular
// expression, no backtracking, no allocation): it only records where the values it read
// are (K8sScanSlots), and the caller cuts the strings it needs. It reads a line in place,
// `b[start, end)`, so the replay scans a whole chunk without cutting it into line
// strings first. The anchored regular expression it replaces is kept as a test oracle
// (test/helpers/k8s-audit-scan-regex.ts): both accept exactly the same lines.
//
// Invariants (what makes skipping the full parse safe):
// - It recognizes only the canonical form the API server's log backend writes (Go
//   struct field order, compact, `kind: Event`, `audit.k8s.io/v1`), and every part it
//   accepts is valid JSON: strings with valid escapes and no raw control characters,
//   numbers by the JSON grammar, nesting to a fixed depth. So acceptance proves the line
//   is valid JSON, parses to an object with exactly these top-level keys, and passes the
//   K8sAuditEvent schema (types checked per key; the keys of user, objectRef and
//   responseStatus are fixed, so no duplicate key can change a value JSON.parse would
//   pick). Anything else (other field orders, whitespace, impersonation, deep bodies,
//   escapes in a value it reads, ...) is null: the caller parses in full. Null is always
//   safe; a wrong non-null is a missed alert.
// - Values it returns are read verbatim from unescaped JSON strings, so they equal the
//   parsed values; "" becomes null exactly as the parser does (`x || null`).
// - The time is stageTimestamp (always present in this form, so it is the field the
//   parser picks), converted exactly as parseRfc3339 does; if that fails, null.
// - Linear time: every character is looked at a bounded number of times. Reads past
//   `end` only ever meet the line's "\n" (or the end of the string), which no token
//   accepts, so a line never borrows from the next one.
import type { K8sRequestView } from '../../rules/define.js';
import { parseRfc3339, type EventTime } from '../lib/time.js';

/** Nesting the generic value allows (requestObject and friends); deeper lines take the full parse. */
const DEPTH = 4;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

const bytes = (ascii: string): Uint8Array => Uint8Array.from(ascii, (c) => c.charCodeAt(0));

/** Whether the bytes of `lit` occur in `b` at `i` (a read past the buffer is undefined: no match). */
function at(b: Uint8Array, i: number, lit: Uint8Array): boolean {
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) return false;
  return true;
}

/**
 * Byte classes inside a JSON string: 0 plain, 1 quote, 2 backslash, 3 control. Any byte
 * past the line is "\n" (class 3) or past the buffer (undefined, not 0), so the inner
 * loops need no bounds check: one load and one compare per byte.
 */
const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 32; c++) STRING_CLASS[c] = 3;
STRING_CLASS[QUOTE] = 1;
STRING_CLASS[BACKSLASH] = 2;

/** After a JSON string without escapes at `i` (its text is its value), or -1. */
function rawString(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  let j = i + 1;
  while (STRING_CLASS[b[j]!] === 0) j++;
  return j < end && b[j] === QUOTE ? j + 1 : -1;
}

/** After a JSON string at `i` (valid escapes, no raw control characters), or -1. */
function escString(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  let j = i + 1;
  for (;;) {
    while (STRING_CLASS[b[j]!] === 0) j++;
    if (j >= end) return -1;
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c !== BACKSLASH) return -1;
    const e = b[j + 1];
    if (e === 117) {
      // \uXXXX
      if (j + 6 > end || !isHex(b[j + 2]!) || !isHex(b[j + 3]!) || !isHex(b[j + 4]!) || !isHex(b[j + 5]!)) return -1;
      j += 6;
    } else if (e === QUOTE || e === BACKSLASH || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
      j += 2;
    } else return -1;
  }
}

/** After a run of digits at `j` (possibly empty). */
function digits(b: Uint8Array, j: number, end: number): number {
  while (j < end && isDigit(b[j]!)) j++;
  return j;
}

/** After a JSON number at `i`, or -1. */
function number(b: Uint8Array, i: number, end: number): number {
  let j = i;
  if (b[j] === 45) j++;
  if (j >= end) return -1;
  const first = b[j]!;
  if (first === 48) j++;
  else if (first >= 49 && first <= 57) j = digits(b, j + 1, end);
  else return -1;
  if (j < end && b[j] === 46) {
    if (!(j + 1 < end && isDigit(b[j + 1]!))) return -1;
    j = digits(b, j + 1, end);
  }
  if (j < end && (b[j] === 101 || b[j] === 69)) {
    j++;
    if (j < end && (b[j] === 43 || b[j] === 45)) j++;
    if (!(j < end && isDigit(b[j]!))) return -1;
    j = digits(b, j, end);
  }
  return j;
}

const L_TRUE = bytes('true');
const L_FALSE = bytes('false');
const L_NULL = bytes('null');

/** After any JSON value at `i` nested at most `depth` containers deep, or -1. */
function value(b: Uint8Array, i: number, end: number, depth: number): number {
  const c = b[i];
  if (c === QUOTE) return escString(b, i, end);
  if (c === OPEN_BRACE) {
    if (depth === 0) return -1;
    let j = i + 1;
    if (b[j] === CLOSE_BRACE) return j + 1;
    for (;;) {
      j = escString(b, j, end);
      if (j < 0 || b[j] !== COLON) return -1;
      j = value(b, j + 1, end, depth - 1);
      if (j < 0) return -1;
      if (b[j] === CLOSE_BRACE) return j + 1;
      if (b[j] !== COMMA) return -1;
      j++;
    }
  }
  if (c === OPEN_BRACKET) {
    if (depth === 0) return -1;
    let j = i + 1;
    if (b[j] === CLOSE_BRACKET) return j + 1;
    for (;;) {
      j = value(b, j, end, depth - 1);
      if (j < 0) return -1;
      if (b[j] === CLOSE_BRACKET) return j + 1;
      if (b[j] !== COMMA) return -1;
      j++;
    }
  }
  if (c === 116) return i + 4 <= end && at(b, i, L_TRUE) ? i + 4 : -1;
  if (c === 102) return i + 5 <= end && at(b, i, L_FALSE) ? i + 5 : -1;
  if (c === 110) return i + 4 <= end && at(b, i, L_NULL) ? i + 4 : -1;
  if (c === 45 || (c !== undefined && isDigit(c))) return number(b, i, end);
  return -1;
}

/** After `[` RAW (`,` RAW)* `]` at `i`, or -1 (RAW: a string without escapes). */
function rawList(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== OPEN_BRACKET) return -1;
  let j = i + 1;
  if (b[j] === CLOSE_BRACKET) return j + 1;
  for (;;) {
    j = rawString(b, j, end);
    if (j < 0) return -1;
    if (b[j] === CLOSE_BRACKET) return j + 1;
    if (b[j] !== COMMA) return -1;
    j++;
  }
}

/** After `{` (RAW `:` member (`,` RAW `:` member)*)? `}` at `i`, or -1. */
function rawKeyMap(b: Uint8Array, i: number, end: number, member: (b: Uint8Array, i: number, end: number) => number): number {
  if (b[i] !== OPEN_BRACE) return -1;
  let j = i + 1;
  if (b[j] === CLOSE_BRACE) return j + 1;
  for (;;) {
    j = rawString(b, j, end);
    if (j < 0 || b[j] !== COLON) return -1;
    j = member(b, j + 1, end);
    if (j < 0) return -1;
    if (b[j] === CLOSE_BRACE) return j + 1;
    if (b[j] !== COMMA) return -1;
    j++;
  }
}

/** user.extra: values are strings or lists of strings. */
const extraMember = (b: Uint8Array, i: number, end: number): number => (b[i] === OPEN_BRACKET ? rawList(b, i, end) : rawString(b, i, end));

/** After `[a-z]+` (lowerOnly) or `[A-Za-z]+` at `i`, or -1 when there is none. */
function letters(b: Uint8Array, i: number, end: number, lowerOnly: boolean): number {
  let j = i;
  for (; j < end; j++) {
    const c = b[j]! | (lowerOnly ? 0 : 32); // | 32 folds A-Z onto a-z and nothing else onto it
    if (c < 97 || c > 122) break;
  }
  return j === i ? -1 : j;
}

/** After `"` + `[1-9][0-9]{2}` at `i` as a number, or -1 (responseStatus.code). */
function code3(b: Uint8Array, i: number): number {
  const c0 = b[i]!;
  const c1 = b[i + 1]!;
  const c2 = b[i + 2]!;
  if (!(c0 >= 49 && c0 <= 57 && isDigit(c1) && isDigit(c2))) return -1;
  return (c0 - 48) * 100 + (c1 - 48) * 10 + (c2 - 48);
}

const HEAD = bytes('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":');
const LEVELS = ['"Metadata"', '"RequestResponse"', '"Request"', '"None"'].map(bytes);
const L_ANNOTATIONS = bytes(',"annotations":');
const L_APIGROUP = bytes(',"apiGroup":');
const L_APIVERSION = bytes(',"apiVersion":');
const L_AUDITID = bytes(',"auditID":');
const L_CODE = bytes(',"code":');
const L_DETAILS = bytes(',"details":');
const L_EXTRA = bytes(',"extra":');
const L_GROUPS = bytes(',"groups":');
const L_MESSAGE = bytes(',"message":');
const L_NAME = bytes(',"name":');
const L_NAMESPACE = bytes(',"namespace":');
const L_OBJECTREF_RESOURCE = bytes(',"objectRef":{"resource":');
const L_REASON = bytes(',"reason":');
const L_REQUESTOBJECT = bytes(',"requestObject":');
const L_REQUESTRECEIVEDTIMESTAMP = bytes(',"requestReceivedTimestamp":');
const L_REQUESTURI = bytes(',"requestURI":');
const L_RESOURCEVERSION = bytes(',"resourceVersion":');
const L_RESPONSEOBJECT = bytes(',"responseObject":');
const L_RESPONSESTATUS_METADATA = bytes(',"responseStatus":{"metadata":');
const L_SOURCEIPS = bytes(',"sourceIPs":');
const L_STAGE = bytes(',"stage":"');
const L_STAGETIMESTAMP = bytes(',"stageTimestamp":');
const L_STATUS = bytes(',"status":');
const L_SUBRESOURCE = bytes(',"subresource":');
const L_UID = bytes(',"uid":');
const L_USERAGENT = bytes(',"userAgent":');
const L_USER_USERNAME = bytes(',"user":{"username":');
const L_VERB = bytes(',"verb":"');

/**
 * Where a scanned line's values are: byte offsets of each string's text (without its
 * quotes), -1 when the field is absent. ADDRS is the text between sourceIPs' brackets.
 */
export const enum Slot {
  VerbAt, VerbEnd, UserAt, UserEnd, AddrsAt, AddrsEnd, ResourceAt, ResourceEnd, NamespaceAt, NamespaceEnd,
  NameAt, NameEnd, GroupAt, GroupEnd, SubAt, SubEnd, Code, HasRequestObject, TsAt, TsEnd, Count,
}
export type K8sScanSlots = Int32Array;
export const newScanSlots = (): K8sScanSlots => new Int32Array(Slot.Count);

/** Records a string value's text range at `i` in slots[at], slots[at + 1]; after it, or -1. */
function read(b: Uint8Array, i: number, end: number, slots: K8sScanSlots, at: number): number {
  const j = rawString(b, i, end);
  slots[at] = i + 1;
  slots[at + 1] = j - 1;
  return j;
}

/**
 * Scans the line `b[start, end)` and records where its values are in `slots`; false when
 * the line is not in the canonical form (parse it in full). Field order is the API
 * server's (k8s.io/apiserver/pkg/apis/audit Event, ObjectReference, UserInfo,
 * metav1.Status); optional fields may be absent (omitempty).
 */
export function scanK8sAuditBytes(b: Uint8Array, start: number, end: number, slots: K8sScanSlots): boolean {
  if (!at(b, start, HEAD)) return false;
  let i = start + HEAD.length;
  let level = -1;
  for (const l of LEVELS) {
    if (at(b, i, l)) {
      level = i + l.length;
      break;
    }
  }
  if (level < 0 || !at(b, level, L_AUDITID)) return false;
  i = rawString(b, level + L_AUDITID.length, end);
  if (i < 0 || i === level + L_AUDITID.length + 2 || !at(b, i, L_STAGE)) return false; // auditID non-empty
  i = letters(b, i + L_STAGE.length, end, false);
  if (i < 0 || b[i] !== QUOTE) return false;
  i++;
  if (at(b, i, L_REQUESTURI)) {
    i = escString(b, i + L_REQUESTURI.length, end);
    if (i < 0) return false;
  }
  if (!at(b, i, L_VERB)) return false;
  slots[Slot.VerbAt] = i + L_VERB.length;
  i = letters(b, i + L_VERB.length, end, true);
  if (i < 0 || b[i] !== QUOTE) return false;
  slots[Slot.VerbEnd] = i;
  i++;
  if (!at(b, i, L_USER_USERNAME)) return false;
  i = read(b, i + L_USER_USERNAME.length, end, slots, Slot.UserAt);
  if (i >= 0 && at(b, i, L_UID)) i = rawString(b, i + L_UID.length, end);
  if (i >= 0 && at(b, i, L_GROUPS)) i = rawList(b, i + L_GROUPS.length, end);
  if (i >= 0 && at(b, i, L_EXTRA)) i = rawKeyMap(b, i + L_EXTRA.length, end, extraMember);
  if (i < 0 || b[i] !== CLOSE_BRACE) return false;
  i++;
  slots[Slot.AddrsAt] = -1;
  if (at(b, i, L_SOURCEIPS)) {
    const from = i + L_SOURCEIPS.length;
    i = rawList(b, from, end);
    if (i < 0) return false;
    slots[Slot.AddrsAt] = from + 1;
    slots[Slot.AddrsEnd] = i - 1;
  }
  if (at(b, i, L_USERAGENT)) {
    i = escString(b, i + L_USERAGENT.length, end);
    if (i < 0) return false;
  }
  slots[Slot.ResourceAt] = slots[Slot.NamespaceAt] = slots[Slot.NameAt] = slots[Slot.GroupAt] = slots[Slot.SubAt] = -1;
  if (at(b, i, L_OBJECTREF_RESOURCE)) {
    i = read(b, i + L_OBJECTREF_RESOURCE.length, end, slots, Slot.ResourceAt);
    if (i >= 0 && at(b, i, L_NAMESPACE)) i = read(b, i + L_NAMESPACE.length, end, slots, Slot.NamespaceAt);
    if (i >= 0 && at(b, i, L_NAME)) i = read(b, i + L_NAME.length, end, slots, Slot.NameAt);
    if (i >= 0 && at(b, i, L_UID)) i = rawString(b, i + L_UID.length, end);
    if (i >= 0 && at(b, i, L_APIGROUP)) i = read(b, i + L_APIGROUP.length, end, slots, Slot.GroupAt);
    if (i >= 0 && at(b, i, L_APIVERSION)) i = rawString(b, i + L_APIVERSION.length, end);
    if (i >= 0 && at(b, i, L_RESOURCEVERSION)) i = rawString(b, i + L_RESOURCEVERSION.length, end);
    if (i >= 0 && at(b, i, L_SUBRESOURCE)) i = read(b, i + L_SUBRESOURCE.length, end, slots, Slot.SubAt);
    if (i < 0 || b[i] !== CLOSE_BRACE) return false;
    i++;
  }
  slots[Slot.Code] = -1;
  if (at(b, i, L_RESPONSESTATUS_METADATA)) {
    i = value(b, i + L_RESPONSESTATUS_METADATA.length, end, DEPTH);
    if (i >= 0 && at(b, i, L_STATUS)) i = rawString(b, i + L_STATUS.length, end);
    if (i >= 0 && at(b, i, L_MESSAGE)) i = escString(b, i + L_MESSAGE.length, end);
    if (i >= 0 && at(b, i, L_REASON)) i = rawString(b, i + L_REASON.length, end);
    if (i >= 0 && at(b, i, L_DETAILS)) i = value(b, i + L_DETAILS.length, end, DEPTH);
    if (i >= 0 && at(b, i, L_CODE)) {
      const code = code3(b, i + L_CODE.length);
      if (code < 0) return false;
      slots[Slot.Code] = code;
      i += L_CODE.length + 3;
    }
    if (i < 0 || b[i] !== CLOSE_BRACE) return false;
    i++;
  }
  slots[Slot.HasRequestObject] = 0;
  if (at(b, i, L_REQUESTOBJECT)) {
    const from = i + L_REQUESTOBJECT.length;
    i = value(b, from, end, DEPTH);
    if (i < 0) return false;
    slots[Slot.HasRequestObject] = i - from === 4 && at(b, from, L_NULL) ? 0 : 1;
  }
  if (at(b, i, L_RESPONSEOBJECT)) {
    i = value(b, i + L_RESPONSEOBJECT.length, end, DEPTH);
    if (i < 0) return false;
  }
  if (at(b, i, L_REQUESTRECEIVEDTIMESTAMP)) {
    i = rawString(b, i + L_REQUESTRECEIVEDTIMESTAMP.length, end);
    if (i < 0) return false;
  }
  if (!at(b, i, L_STAGETIMESTAMP)) return false;
  i = read(b, i + L_STAGETIMESTAMP.length, end, slots, Slot.TsAt);
  if (i >= 0 && at(b, i, L_ANNOTATIONS)) i = rawKeyMap(b, i + L_ANNOTATIONS.length, end, escString);
  return i === end - 1 && b[i] === CLOSE_BRACE;
}

/** What the scanner read of a line. */
export interface K8sLineScan {
  view: K8sRequestView;
  time: EventTime;
}

/** Cuts text out of the scanned line: [from, to) in the slots' byte offsets. */
export type Cut = (from: number, to: number) => string;

/**
 * The view's fields in K8sRequestView order, as the slot holding each: the first
 * RANGE_FIELDS are byte ranges (slot = start, slot + 1 = end, start -1 when absent), the
 * others numbers. Field i is bit 1 << i of a SlotView's `read` mask.
 */
export const VIEW_FIELD_SLOTS: readonly number[] = [
  Slot.VerbAt, Slot.UserAt, Slot.AddrsAt, Slot.ResourceAt, Slot.NamespaceAt, Slot.NameAt, Slot.GroupAt, Slot.SubAt, Slot.Code, Slot.HasRequestObject,
];
export const RANGE_FIELDS = 8;

/**
 * The request view of a line scanK8sAuditBytes accepted, cut from the line only when a
 * field is read; `read` records which fields were (bit i: VIEW_FIELD_SLOTS[i]), so a
 * verdict can be remembered by exactly the facts it depended on (engine/verdict-memo.ts).
 */
export class SlotView implements K8sRequestView {
  read = 0;
  constructor(
    private readonly slots: K8sScanSlots,
    private readonly cut: Cut,
  ) {}

  /** A value's text, or null for "" or absent (the parser's `x || null`). */
  private text(field: number): string | null {
    this.read |= 1 << field;
    const at = VIEW_FIELD_SLOTS[field]!;
    const from = this.slots[at]!;
    const to = this.slots[at + 1]!;
    return from < 0 || to <= from ? null : this.cut(from, to);
  }

  get verb(): string {
    return this.text(0)!;
  }
  get username(): string | null {
    return this.text(1);
  }
  get addrs(): readonly string[] {
    const list = this.text(2); // "a","b" with the outer quotes
    if (list === null) return [];
    const inner = list.slice(1, -1);
    return inner.indexOf('","') < 0 ? [inner] : inner.split('","');
  }
  get resource(): string | null {
    return this.text(3);
  }
  get namespace(): string | null {
    return this.text(4);
  }
  get name(): string | null {
    return this.text(5);
  }
  get apiGroup(): string | null {
    return this.text(6);
  }
  get subresource(): string | null {
    return this.text(7);
  }
  get code(): number | null {
    this.read |= 1 << 8;
    const c = this.slots[Slot.Code]!;
    return c < 0 ? null : c;
  }
  get hasRequestObject(): boolean {
    this.read |= 1 << 9;
    return this.slots[Slot.HasRequestObject] === 1;
  }
}

/** The request view of a line scanK8sAuditBytes accepted, as a plain object. */
export function viewOf(slots: K8sScanSlots, cut: Cut): K8sRequestView {
  const v = new SlotView(slots, cut);
  return {
    verb: v.verb,
    username: v.username,
    addrs: v.addrs,
    resource: v.resource,
    namespace: v.namespace,
    name: v.name,
    apiGroup: v.apiGroup,
    subresource: v.subresource,
    code: v.code,
    hasRequestObject: v.hasRequestObject,
  };
}

/** Where stageTimestamp's text is in a scanned line: [from, to). */
export const timeRange = (slots: K8sScanSlots): [number, number] => [slots[Slot.TsAt]!, slots[Slot.TsEnd]!];

const lineSlots = newScanSlots();

/** Scans one whole line; null when the line is not in the canonical form (parse it in full). */
export function scanK8sAuditLine(line: string, times: TimeCache): K8sLineScan | null {
  // A lone surrogate would become U+FFFD in the bytes while JSON.parse keeps it: not the same value.
  if (!(line as unknown as { isWellFormed(): boolean }).isWellFormed()) return null;
  const b = Buffer.from(line, 'utf8');
  if (!scanK8sAuditBytes(b, 0, b.length, lineSlots)) return null;
  // Offsets are bytes: equal to the string's indexes only when the line is ASCII.
  const cut: Cut = b.length === line.length ? (f, t) => line.slice(f, t) : (f, t) => b.toString('utf8', f, t);
  const time = times.parse(cut(lineSlots[Slot.TsAt]!, lineSlots[Slot.TsEnd]!));
  return time === null ? null : { view: viewOf(lineSlots, cut), time };
}

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/**
 * The time in b[from, to) when it is "YYYY-MM-DDTHH:MM:SS.f…Z" (1-9 fraction digits) in
 * the minute whose text is `prefix` (16 bytes) and whose epoch ms is `minuteMs`: sets
 * out.ms and out.subNs and says true; false for anything else. TimeCache's fast path,
 * and the run scanner's (wasm/k8s-audit-scan.ts timeInMinute does the same).
 */
export function timeInMinute(b: Uint8Array, from: number, to: number, prefix: Uint8Array, minuteMs: number, out: { ms: number; subNs: number }): boolean {
  const n = to - from;
  if (n < 22 || n > 30 || b[from + 19] !== 46 || b[from + n - 1] !== 90) return false;
  for (let k = 0; k < 16; k++) if (b[from + k] !== prefix[k]) return false;
  const s1 = b[from + 17]! - 48;
  const s2 = b[from + 18]! - 48;
  if (b[from + 16] !== 58 || s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return false;
  let frac = 0;
  for (let i = from + 20; i < to - 1; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return false;
    frac = frac * 10 + c;
  }
  const fracNs = frac * POW10[9 - (n - 21)]!;
  out.ms = minuteMs + (s1 * 10 + s2) * 1000 + Math.floor(fracNs / 1_000_000);
  out.subNs = fracNs % 1_000_000;
  return true;
}

/**
 * parseRfc3339 with a one-entry cache of the minute: consecutive audit lines share it,
 * and seconds plus fraction are then turned into (ms, ns, iso) by the same arithmetic as
 * fromEpoch/formatIso (within a minute, Date.UTC is the minute's ms plus 1000 × seconds).
 * Any other shape, and seconds 60, go to parseRfc3339 itself.
 */
export class TimeCache {
  /** "YYYY-MM-DDTHH:MM" as the cached text printed it. */
  private prefix = '';
  private minuteMs = 0;
  /** The same minute as formatIso prints it. */
  private minuteIso = '';
  private textIsIso = false;
  /** The prefix's bytes (issue 8: parseBytes compares them in place). */
  private readonly prefixBytes = new Uint8Array(16);
  /** Set by parseBytes when it returns true. */
  ms = 0;
  subNs = 0;

  /**
   * parse() of the bytes b[from, to) without building a string, for the cached minute
   * only: true with `ms` and `subNs` set, or false (then call parse() on the text, which
   * also caches its minute). The ISO text is parseRfc3339's, built by whoever needs it.
   */
  parseBytes(b: Uint8Array, from: number, to: number): boolean {
    return this.prefix !== '' && timeInMinute(b, from, to, this.prefixBytes, this.minuteMs, this);
  }

  /** The cached minute (its text's bytes and epoch ms), or null; `version` changes with it. */
  minute(): { prefix: Uint8Array; ms: number } | null {
    return this.prefix === '' ? null : { prefix: this.prefixBytes, ms: this.minuteMs };
  }

  version = 0;

  parse(text: string): EventTime | null {
    const n = text.length;
    // "YYYY-MM-DDTHH:MM:SS.f…Z", 1-9 fraction digits, in the cached minute.
    if (n < 22 || n > 30 || text.charCodeAt(19) !== 46 || text.charCodeAt(n - 1) !== 90 || text.charCodeAt(16) !== 58 || this.prefix === '' || !text.startsWith(this.prefix)) {
      return this.slow(text);
    }
    const s1 = text.charCodeAt(17) - 48;
    const s2 = text.charCodeAt(18) - 48;
    if (s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return this.slow(text);
    let frac = 0;
    for (let i = 20; i < n - 1; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return this.slow(text);
      frac = frac * 10 + c;
    }
    const digits = n - 21;
    const fracNs = frac * POW10[9 - digits]!;
    const ms = this.minuteMs + (s1 * 10 + s2) * 1000 + Math.floor(fracNs / 1_000_000);
    const subNs = fracNs % 1_000_000;
    // The text is already the canonical form when its minute is and no zero trails.
    if (this.textIsIso && text.charCodeAt(n - 2) !== 48) return { iso: text, ms, subNs };
    const trimmed = String(fracNs).padStart(9, '0').slice(0, digits).replace(/0+$/, '');
    const second = `${this.minuteIso}${text.slice(16, 19)}`;
    return { iso: trimmed ? `${second}.${trimmed}Z` : `${second}Z`, ms, subNs };
  }

  private slow(text: string): EventTime | null {
    const t = parseRfc3339(text);
    const n = text.length;
    if (t && n >= 22 && n <= 30 && text.charCodeAt(19) === 46 && text.charCodeAt(n - 1) === 90 && text.charCodeAt(16) === 58) {
      const sec = (text.charCodeAt(17) - 48) * 10 + (text.charCodeAt(18) - 48);
      if (sec >= 0 && sec <= 59) {
        // Cache the minute only for the shape the fast path handles (UTC, a fraction, seconds 00-59).
        const whole = t.ms - (((t.ms % 1000) + 1000) % 1000);
        this.prefix = text.slice(0, 16);
        for (let k = 0; k < 16; k++) {
          const c = text.charCodeAt(k);
          this.prefixBytes[k] = c < 128 ? c : 0xff; // 0xff never occurs in UTF-8: a non-ASCII prefix matches no bytes
        }
        this.minuteMs = whole - sec * 1000;
        this.version++;
        this.minuteIso = t.iso.slice(0, 16);
        this.textIsIso = this.minuteIso === this.prefix;
      }
    }
    return t;
  }
}
