// AssemblyScript source of the k8s-audit line scanner's WebAssembly build (issue 8),
// compiled by `npm run build:wasm` into dist/wasm/k8s-audit-scan.wasm (never committed).
// It is services/parsers/k8s-audit-scan.ts (scanK8sAuditBytes) line for line, with one
// difference: the bytes of a string are skipped 16 at a time with SIMD compares, which
// is where a line's time goes. Both builds accept exactly the same lines and record the
// same slots; test/perf/k8s-scan-builds.test.ts compares them on real and fuzzed lines.
// Beside the scan it keeps the verdict memo's table (memo*) and takes runs of quiet lines
// in one call (scanRun: scan, verdict and time per line, the JavaScript build's run()).
//
// Memory: the caller copies a chunk to chunkBase() and pads it with 16 bytes of "\n";
// every line it scans ends with "\n" (a control byte), so the SIMD skip never runs past
// the line's end, let alone the chunk's. Slots are written at slotsPtr() as i32, byte
// offsets relative to chunkBase(), -1 where a field is absent (the JS build's layout).

const QUOTE: u8 = 34;
const BACKSLASH: u8 = 92;
const COMMA: u8 = 44;
const COLON: u8 = 58;
const OPEN_BRACE: u8 = 123;
const CLOSE_BRACE: u8 = 125;
const OPEN_BRACKET: u8 = 91;
const CLOSE_BRACKET: u8 = 93;
const DEPTH: i32 = 4;

// Slot indexes, as in k8s-audit-scan.ts.
const VERB_AT = 0;
const USER_AT = 2;
const ADDRS_AT = 4;
const RESOURCE_AT = 6;
const NAMESPACE_AT = 8;
const NAME_AT = 10;
const GROUP_AT = 12;
const SUB_AT = 14;
const CODE = 16;
const HAS_REQUEST_OBJECT = 17;
const TS_AT = 18;
const SLOT_COUNT = 20;
// After the slots, two words scanNext() writes for the JavaScript side to read without a
// call: whether it accepted the line, and the remembered verdict for it (-1: none).
const NEXT_ACCEPTED = SLOT_COUNT;
const NEXT_VERDICT = SLOT_COUNT + 1;

const SLOTS: usize = memory.data((SLOT_COUNT + 2) * 4, 16);

// {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":
const L_HEAD: usize = memory.data<u8>([123, 34, 107, 105, 110, 100, 34, 58, 34, 69, 118, 101, 110, 116, 34, 44, 34, 97, 112, 105, 86, 101, 114, 115, 105, 111, 110, 34, 58, 34, 97, 117, 100, 105, 116, 46, 107, 56, 115, 46, 105, 111, 47, 118, 49, 34, 44, 34, 108, 101, 118, 101, 108, 34, 58]);
const N_HEAD: i32 = 55;
// "Metadata"
const L_LV_METADATA: usize = memory.data<u8>([34, 77, 101, 116, 97, 100, 97, 116, 97, 34]);
const N_LV_METADATA: i32 = 10;
// "RequestResponse"
const L_LV_REQUESTRESPONSE: usize = memory.data<u8>([34, 82, 101, 113, 117, 101, 115, 116, 82, 101, 115, 112, 111, 110, 115, 101, 34]);
const N_LV_REQUESTRESPONSE: i32 = 17;
// "Request"
const L_LV_REQUEST: usize = memory.data<u8>([34, 82, 101, 113, 117, 101, 115, 116, 34]);
const N_LV_REQUEST: i32 = 9;
// "None"
const L_LV_NONE: usize = memory.data<u8>([34, 78, 111, 110, 101, 34]);
const N_LV_NONE: i32 = 6;
// ,"auditID":
const L_AUDITID: usize = memory.data<u8>([44, 34, 97, 117, 100, 105, 116, 73, 68, 34, 58]);
const N_AUDITID: i32 = 11;
// ,"stage":"
const L_STAGE: usize = memory.data<u8>([44, 34, 115, 116, 97, 103, 101, 34, 58, 34]);
const N_STAGE: i32 = 10;
// ,"requestURI":
const L_REQUESTURI: usize = memory.data<u8>([44, 34, 114, 101, 113, 117, 101, 115, 116, 85, 82, 73, 34, 58]);
const N_REQUESTURI: i32 = 14;
// ,"verb":"
const L_VERB: usize = memory.data<u8>([44, 34, 118, 101, 114, 98, 34, 58, 34]);
const N_VERB: i32 = 9;
// ,"user":{"username":
const L_USER_USERNAME: usize = memory.data<u8>([44, 34, 117, 115, 101, 114, 34, 58, 123, 34, 117, 115, 101, 114, 110, 97, 109, 101, 34, 58]);
const N_USER_USERNAME: i32 = 20;
// ,"uid":
const L_UID: usize = memory.data<u8>([44, 34, 117, 105, 100, 34, 58]);
const N_UID: i32 = 7;
// ,"groups":
const L_GROUPS: usize = memory.data<u8>([44, 34, 103, 114, 111, 117, 112, 115, 34, 58]);
const N_GROUPS: i32 = 10;
// ,"extra":
const L_EXTRA: usize = memory.data<u8>([44, 34, 101, 120, 116, 114, 97, 34, 58]);
const N_EXTRA: i32 = 9;
// ,"sourceIPs":
const L_SOURCEIPS: usize = memory.data<u8>([44, 34, 115, 111, 117, 114, 99, 101, 73, 80, 115, 34, 58]);
const N_SOURCEIPS: i32 = 13;
// ,"userAgent":
const L_USERAGENT: usize = memory.data<u8>([44, 34, 117, 115, 101, 114, 65, 103, 101, 110, 116, 34, 58]);
const N_USERAGENT: i32 = 13;
// ,"objectRef":{"resource":
const L_OBJECTREF_RESOURCE: usize = memory.data<u8>([44, 34, 111, 98, 106, 101, 99, 116, 82, 101, 102, 34, 58, 123, 34, 114, 101, 115, 111, 117, 114, 99, 101, 34, 58]);
const N_OBJECTREF_RESOURCE: i32 = 25;
// ,"namespace":
const L_NAMESPACE: usize = memory.data<u8>([44, 34, 110, 97, 109, 101, 115, 112, 97, 99, 101, 34, 58]);
const N_NAMESPACE: i32 = 13;
// ,"name":
const L_NAME: usize = memory.data<u8>([44, 34, 110, 97, 109, 101, 34, 58]);
const N_NAME: i32 = 8;
// ,"apiGroup":
const L_APIGROUP: usize = memory.data<u8>([44, 34, 97, 112, 105, 71, 114, 111, 117, 112, 34, 58]);
const N_APIGROUP: i32 = 12;
// ,"apiVersion":
const L_APIVERSION: usize = memory.data<u8>([44, 34, 97, 112, 105, 86, 101, 114, 115, 105, 111, 110, 34, 58]);
const N_APIVERSION: i32 = 14;
// ,"resourceVersion":
const L_RESOURCEVERSION: usize = memory.data<u8>([44, 34, 114, 101, 115, 111, 117, 114, 99, 101, 86, 101, 114, 115, 105, 111, 110, 34, 58]);
const N_RESOURCEVERSION: i32 = 19;
// ,"subresource":
const L_SUBRESOURCE: usize = memory.data<u8>([44, 34, 115, 117, 98, 114, 101, 115, 111, 117, 114, 99, 101, 34, 58]);
const N_SUBRESOURCE: i32 = 15;
// ,"responseStatus":{"metadata":
const L_RESPONSESTATUS_METADATA: usize = memory.data<u8>([44, 34, 114, 101, 115, 112, 111, 110, 115, 101, 83, 116, 97, 116, 117, 115, 34, 58, 123, 34, 109, 101, 116, 97, 100, 97, 116, 97, 34, 58]);
const N_RESPONSESTATUS_METADATA: i32 = 30;
// ,"status":
const L_STATUS: usize = memory.data<u8>([44, 34, 115, 116, 97, 116, 117, 115, 34, 58]);
const N_STATUS: i32 = 10;
// ,"message":
const L_MESSAGE: usize = memory.data<u8>([44, 34, 109, 101, 115, 115, 97, 103, 101, 34, 58]);
const N_MESSAGE: i32 = 11;
// ,"reason":
const L_REASON: usize = memory.data<u8>([44, 34, 114, 101, 97, 115, 111, 110, 34, 58]);
const N_REASON: i32 = 10;
// ,"details":
const L_DETAILS: usize = memory.data<u8>([44, 34, 100, 101, 116, 97, 105, 108, 115, 34, 58]);
const N_DETAILS: i32 = 11;
// ,"code":
const L_CODE: usize = memory.data<u8>([44, 34, 99, 111, 100, 101, 34, 58]);
const N_CODE: i32 = 8;
// ,"requestObject":
const L_REQUESTOBJECT: usize = memory.data<u8>([44, 34, 114, 101, 113, 117, 101, 115, 116, 79, 98, 106, 101, 99, 116, 34, 58]);
const N_REQUESTOBJECT: i32 = 17;
// ,"responseObject":
const L_RESPONSEOBJECT: usize = memory.data<u8>([44, 34, 114, 101, 115, 112, 111, 110, 115, 101, 79, 98, 106, 101, 99, 116, 34, 58]);
const N_RESPONSEOBJECT: i32 = 18;
// ,"requestReceivedTimestamp":
const L_REQUESTRECEIVEDTIMESTAMP: usize = memory.data<u8>([44, 34, 114, 101, 113, 117, 101, 115, 116, 82, 101, 99, 101, 105, 118, 101, 100, 84, 105, 109, 101, 115, 116, 97, 109, 112, 34, 58]);
const N_REQUESTRECEIVEDTIMESTAMP: i32 = 28;
// ,"stageTimestamp":
const L_STAGETIMESTAMP: usize = memory.data<u8>([44, 34, 115, 116, 97, 103, 101, 84, 105, 109, 101, 115, 116, 97, 109, 112, 34, 58]);
const N_STAGETIMESTAMP: i32 = 18;
// ,"annotations":
const L_ANNOTATIONS: usize = memory.data<u8>([44, 34, 97, 110, 110, 111, 116, 97, 116, 105, 111, 110, 115, 34, 58]);
const N_ANNOTATIONS: i32 = 15;
// true
const L_TRUE: usize = memory.data<u8>([116, 114, 117, 101]);
const N_TRUE: i32 = 4;
// false
const L_FALSE: usize = memory.data<u8>([102, 97, 108, 115, 101]);
const N_FALSE: i32 = 5;
// null
const L_NULL: usize = memory.data<u8>([110, 117, 108, 108]);
const N_NULL: i32 = 4;


// Memory after the static data: the verdict table, its key arena, then the chunk.
const TABLE_SLOTS: i32 = 1 << 14;
const TABLE_BYTES: usize = <usize>TABLE_SLOTS << 4;
const ARENA_BYTES: usize = 4 << 20;

@inline function tableAt(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

@inline function arenaAt(): usize {
  return tableAt() + TABLE_BYTES;
}

/** Where the caller puts a chunk: past the verdict table and its arena, 64 KiB aligned. */
export function chunkBase(): usize {
  return (arenaAt() + ARENA_BYTES + 0xffff) & ~(<usize>0xffff);
}

export function slotsPtr(): usize {
  return SLOTS;
}

@inline function byte(p: i32): u8 {
  return load<u8>(<usize>p);
}

@inline function setSlot(k: i32, v: i32): void {
  store<i32>(SLOTS + (<usize>k << 2), v);
}

@inline function isDigit(c: u8): bool {
  return c >= 48 && c <= 57;
}

@inline function isHex(c: u8): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Whether the n bytes at `lit` occur at p: eight bytes per compare, then the rest. */
@inline function at(p: i32, lit: usize, n: i32): bool {
  const q = <usize>p;
  let k = 0;
  for (; k + 8 <= n; k += 8) if (load<u64>(q + <usize>k) != load<u64>(lit + <usize>k)) return false;
  for (; k < n; k++) if (load<u8>(q + <usize>k) != load<u8>(lit + <usize>k)) return false;
  return true;
}

/** The first position from p holding a quote, a backslash or a control byte: 16 bytes per step. */
@inline function skipPlain(p: i32): i32 {
  const quote = i8x16.splat(34);
  const backslash = i8x16.splat(92);
  const space = i8x16.splat(32);
  while (true) {
    const v = v128.load(<usize>p);
    const hit = v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, space));
    const bits = i8x16.bitmask(hit);
    if (bits != 0) return p + ctz<i32>(bits);
    p += 16;
  }
}

@inline function rawString(p: i32, end: i32): i32 {
  if (byte(p) != QUOTE) return -1;
  const j = skipPlain(p + 1);
  return j < end && byte(j) == QUOTE ? j + 1 : -1;
}

function escString(p: i32, end: i32): i32 {
  if (byte(p) != QUOTE) return -1;
  let j = p + 1;
  while (true) {
    j = skipPlain(j);
    if (j >= end) return -1;
    const c = byte(j);
    if (c == QUOTE) return j + 1;
    if (c != BACKSLASH) return -1;
    const e = byte(j + 1);
    if (e == 117) {
      if (j + 6 > end || !isHex(byte(j + 2)) || !isHex(byte(j + 3)) || !isHex(byte(j + 4)) || !isHex(byte(j + 5))) return -1;
      j += 6;
    } else if (e == QUOTE || e == BACKSLASH || e == 47 || e == 98 || e == 102 || e == 110 || e == 114 || e == 116) {
      j += 2;
    } else return -1;
  }
  return -1;
}

function digits(j: i32, end: i32): i32 {
  while (j < end && isDigit(byte(j))) j++;
  return j;
}

function number(p: i32, end: i32): i32 {
  let j = p;
  if (byte(j) == 45) j++;
  if (j >= end) return -1;
  const first = byte(j);
  if (first == 48) j++;
  else if (first >= 49 && first <= 57) j = digits(j + 1, end);
  else return -1;
  if (j < end && byte(j) == 46) {
    if (!(j + 1 < end && isDigit(byte(j + 1)))) return -1;
    j = digits(j + 1, end);
  }
  if (j < end && (byte(j) == 101 || byte(j) == 69)) {
    j++;
    if (j < end && (byte(j) == 43 || byte(j) == 45)) j++;
    if (!(j < end && isDigit(byte(j)))) return -1;
    j = digits(j, end);
  }
  return j;
}

function value(p: i32, end: i32, depth: i32): i32 {
  if (p >= end) return -1;
  const c = byte(p);
  if (c == QUOTE) return escString(p, end);
  if (c == OPEN_BRACE) {
    if (depth == 0) return -1;
    let j = p + 1;
    if (byte(j) == CLOSE_BRACE) return j + 1;
    while (true) {
      j = escString(j, end);
      if (j < 0 || byte(j) != COLON) return -1;
      j = value(j + 1, end, depth - 1);
      if (j < 0) return -1;
      if (byte(j) == CLOSE_BRACE) return j + 1;
      if (byte(j) != COMMA) return -1;
      j++;
    }
  }
  if (c == OPEN_BRACKET) {
    if (depth == 0) return -1;
    let j = p + 1;
    if (byte(j) == CLOSE_BRACKET) return j + 1;
    while (true) {
      j = value(j, end, depth - 1);
      if (j < 0) return -1;
      if (byte(j) == CLOSE_BRACKET) return j + 1;
      if (byte(j) != COMMA) return -1;
      j++;
    }
  }
  if (c == 116) return p + 4 <= end && at(p, L_TRUE, N_TRUE) ? p + 4 : -1;
  if (c == 102) return p + 5 <= end && at(p, L_FALSE, N_FALSE) ? p + 5 : -1;
  if (c == 110) return p + 4 <= end && at(p, L_NULL, N_NULL) ? p + 4 : -1;
  if (c == 45 || isDigit(c)) return number(p, end);
  return -1;
}

function rawList(p: i32, end: i32): i32 {
  if (byte(p) != OPEN_BRACKET) return -1;
  let j = p + 1;
  if (byte(j) == CLOSE_BRACKET) return j + 1;
  while (true) {
    j = rawString(j, end);
    if (j < 0) return -1;
    if (byte(j) == CLOSE_BRACKET) return j + 1;
    if (byte(j) != COMMA) return -1;
    j++;
  }
  return -1;
}

/** {RAW: member, ...}: extra (strings or lists of strings) or annotations (strings with escapes). */
function rawKeyMap(p: i32, end: i32, extra: bool): i32 {
  if (byte(p) != OPEN_BRACE) return -1;
  let j = p + 1;
  if (byte(j) == CLOSE_BRACE) return j + 1;
  while (true) {
    j = rawString(j, end);
    if (j < 0 || byte(j) != COLON) return -1;
    j++;
    if (extra) j = byte(j) == OPEN_BRACKET ? rawList(j, end) : rawString(j, end);
    else j = escString(j, end);
    if (j < 0) return -1;
    if (byte(j) == CLOSE_BRACE) return j + 1;
    if (byte(j) != COMMA) return -1;
    j++;
  }
  return -1;
}

@inline function letters(p: i32, end: i32, lowerOnly: bool): i32 {
  let j = p;
  const fold: u8 = lowerOnly ? 0 : 32;
  for (; j < end; j++) {
    const c = byte(j) | fold;
    if (c < 97 || c > 122) break;
  }
  return j == p ? -1 : j;
}

/** Records a string value's text range (relative to `base`) in slot k and k + 1; after it, or -1. */
@inline function read(p: i32, end: i32, k: i32, base: i32): i32 {
  const j = rawString(p, end);
  setSlot(k, p + 1 - base);
  setSlot(k + 1, j - 1 - base);
  return j;
}

// Fields of the request view as slots, in services/parsers/k8s-audit-scan.ts
// VIEW_FIELD_SLOTS order: the first RANGE_FIELDS are byte ranges, the rest numbers.
const FIELD_SLOTS: StaticArray<i32> = [VERB_AT, USER_AT, ADDRS_AT, RESOURCE_AT, NAMESPACE_AT, NAME_AT, GROUP_AT, SUB_AT, CODE, HAS_REQUEST_OBJECT];
const RANGE_FIELDS = 8;
const MAX_FIELD_BYTES = 1024;
const ABSENT = 0xffff;

@inline function slot(k: i32): i32 {
  return load<i32>(SLOTS + (<usize>k << 2));
}

/**
 * The verdict memo's key hash over the fields of `mask` of the last line scan() accepted,
 * 30 bits; -1 if a field is longer than MAX_FIELD_BYTES. Each field's bytes are hashed
 * once per line however many masks are tried (fieldHash), eight bytes per step. Its own
 * hash: this table never meets the JavaScript one (verdict-memo.ts hashOf).
 */
export function hashFields(mask: i32): i32 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ <u64>mask;
  for (let f = 0; f < 10; f++) {
    if ((mask & (1 << f)) == 0) continue;
    const fh = fieldHash(f);
    if (fh == TOO_LONG) return -1;
    h = mix(h, fh);
  }
  h ^= h >> 29;
  return <i32>(h ^ (h >> 32)) & 0x3fffffff;
}

/** fieldHash's answer for a field longer than MAX_FIELD_BYTES (no field hashes to it: see fieldHash). */
const TOO_LONG: u64 = 0xffffffffffffffff;
/** Field hashes of the line last scanned, valid where `hashedFields` has the field's bit (scanTo clears it). */
const FIELD_HASHES: usize = memory.data(10 * 8, 8);
let hashedFields: i32 = 0;

/**
 * One field's hash: its length (or absence, or its number) and its bytes, eight per step
 * (a multiply spreads a word upwards, the rotation brings the high bits back down).
 */
function fieldHash(f: i32): u64 {
  const cached = FIELD_HASHES + (<usize>f << 3);
  if ((hashedFields & (1 << f)) != 0) return load<u64>(cached);
  const at = unchecked(FIELD_SLOTS[f]);
  let h: u64 = 0x2545f4914f6cdd1d;
  if (f >= RANGE_FIELDS) {
    h = mix(h, <u64>(slot(at) + 1));
  } else {
    const from = slot(at);
    if (from < 0) h = mix(h, ABSENT);
    else {
      const to = slot(at + 1);
      if (to - from > MAX_FIELD_BYTES) h = TOO_LONG;
      else {
        const base = <i32>chunkBase();
        h = mix(h, <u64>(to - from));
        let i = base + from;
        const end = base + to;
        for (; i + 8 <= end; i += 8) h = mix(h, load<u64>(<usize>i));
        // The tail, zero-padded: the length above tells "ab" from "ab\0".
        let tail: u64 = 0;
        for (let k: u64 = 0; i < end; i++, k += 8) tail |= <u64>byte(i) << k;
        h = mix(h, tail);
        if (h == TOO_LONG) h = 0; // keep the marker unambiguous
      }
    }
  }
  store<u64>(cached, h);
  hashedFields |= 1 << f;
  return h;
}

@inline function mix(h: u64, w: u64): u64 {
  return rotl<u64>((h ^ w) * 0xff51afd7ed558ccd, 31);
}

/** memory[a, a + n) == memory[b, b + n), eight bytes per step (memory.compare goes byte by byte when unaligned). */
@inline function sameBytes(a: usize, b: usize, n: usize): bool {
  let k: usize = 0;
  for (; k + 8 <= n; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (; k < n; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  return true;
}

// ---------------------------------------------------------------- verdict table
// services/engine/verdict-memo.ts JsVerdictTable, in linear memory: open addressing over
// TABLE_SLOTS entries of 16 bytes (tag = hash | 1 << 30, 0 when empty; mask; key offset in
// the arena; key length << 1 | verdict). A key is the fields of its mask serialized as
// keyOf does (2-byte length or ABSENT, then the bytes; 2 bytes per number field), and a
// hit compares it in full. Full (half the slots, or the arena): it starts over.

const MAX_PROBE = 8;
let arenaTop: i32 = 0;
let stored: i32 = 0;

@inline function fieldValue(f: i32): i32 {
  const at = unchecked(FIELD_SLOTS[f]);
  if (f >= RANGE_FIELDS) return slot(at) + 1;
  const from = slot(at);
  return from < 0 ? ABSENT : slot(at + 1) - from;
}

function keyLength(mask: i32): i32 {
  let n = 0;
  for (let f = 0; f < 10; f++) {
    if ((mask & (1 << f)) == 0) continue;
    n += 2;
    if (f < RANGE_FIELDS && slot(unchecked(FIELD_SLOTS[f])) >= 0) n += fieldValue(f);
  }
  return n;
}

function keyWrite(mask: i32, p: usize): void {
  const base = <i32>chunkBase();
  for (let f = 0; f < 10; f++) {
    if ((mask & (1 << f)) == 0) continue;
    const v = fieldValue(f);
    store<u8>(p, <u8>(v >> 8));
    store<u8>(p + 1, <u8>(v & 0xff));
    p += 2;
    if (f >= RANGE_FIELDS) continue;
    const from = slot(unchecked(FIELD_SLOTS[f]));
    if (from < 0) continue;
    memory.copy(p, <usize>(base + from), <usize>v);
    p += <usize>v;
  }
}

function keyEquals(mask: i32, p: usize, len: i32): bool {
  const base = <i32>chunkBase();
  const end = p + <usize>len;
  for (let f = 0; f < 10; f++) {
    if ((mask & (1 << f)) == 0) continue;
    const v = fieldValue(f);
    if (p + 2 > end || load<u8>(p) != <u8>(v >> 8) || load<u8>(p + 1) != <u8>(v & 0xff)) return false;
    p += 2;
    if (f >= RANGE_FIELDS) continue;
    const from = slot(unchecked(FIELD_SLOTS[f]));
    if (from < 0) continue;
    if (p + <usize>v > end || !sameBytes(p, <usize>(base + from), <usize>v)) return false;
    p += <usize>v;
  }
  return p == end;
}

// The sets of fields (masks) verdicts were reached by, tried in turn; one that hits moves
// a place forward, so the common ones are tried first. The order is kept per verb (a
// bucket of them): the rules read the verb first and what else they read depends on it,
// so the mask a line needs is nearly always the first its verb's order tries.
const MAX_MASKS = 16;
const VERB_BUCKETS = 16;
const ORDERS: usize = memory.data(VERB_BUCKETS * MAX_MASKS * 4, 4);
let maskCount: i32 = 0;

@inline function orderAt(bucket: i32, m: i32): usize {
  return ORDERS + ((<usize>(bucket * MAX_MASKS + m)) << 2);
}

/** The verb's bucket, from the verb's length and its first and last bytes. */
@inline function verbBucket(): i32 {
  const base = <i32>chunkBase();
  const from = slot(VERB_AT);
  const to = slot(VERB_AT + 1);
  if (to <= from) return 0;
  return ((to - from) * 7 + <i32>byte(base + from) + (<i32>byte(base + to - 1) << 1)) & (VERB_BUCKETS - 1);
}

/** Adds `mask` to the masks tried (1), or says the list is full (0); a known mask is kept where it is. */
export function memoAddMask(mask: i32): i32 {
  for (let m = 0; m < maskCount; m++) if (load<i32>(orderAt(0, m)) == mask) return 1;
  if (maskCount >= MAX_MASKS) return 0;
  for (let b = 0; b < VERB_BUCKETS; b++) store<i32>(orderAt(b, maskCount), mask);
  maskCount++;
  return 1;
}

/** memoLookup over every known mask, in the order of the line's verb: 1 quiet, 0 interested, -1 none. */
export function memoLookupAll(): i32 {
  const bucket = verbBucket();
  for (let m = 0; m < maskCount; m++) {
    const at = orderAt(bucket, m);
    const mask = load<i32>(at);
    const v = memoLookup(mask);
    if (v < 0) continue;
    if (m > 0) {
      store<i32>(at, load<i32>(at - 4));
      store<i32>(at - 4, mask);
    }
    return v;
  }
  return -1;
}

export function memoClear(): void {
  memory.fill(tableAt(), 0, TABLE_BYTES);
  arenaTop = 0;
  stored = 0;
}

/** The verdict remembered for the fields of `mask` of the last accepted line: 1 quiet, 0 interested, -1 none. */
export function memoLookup(mask: i32): i32 {
  const h = hashFields(mask);
  if (h < 0) return -1;
  const tag = h | 0x40000000;
  let i = h & (TABLE_SLOTS - 1);
  for (let n = 0; n < MAX_PROBE; n++) {
    const e = tableAt() + (<usize>i << 4);
    const t = load<i32>(e);
    if (t == 0) return -1;
    if (t == tag && load<i32>(e, 4) == mask) {
      const lv = load<i32>(e, 12);
      if (keyEquals(mask, arenaAt() + <usize>load<i32>(e, 8), lv >> 1)) return lv & 1;
    }
    i = (i + 1) & (TABLE_SLOTS - 1);
  }
  return -1;
}

/** Remembers `quiet` (1 or 0) for the fields of `mask` of the last accepted line. */
export function memoStore(mask: i32, quiet: i32): void {
  const h = hashFields(mask);
  if (h < 0) return;
  const len = keyLength(mask);
  if (stored >= TABLE_SLOTS / 2 || <usize>(arenaTop + len) > ARENA_BYTES) memoClear();
  let i = h & (TABLE_SLOTS - 1);
  for (let n = 0; n < MAX_PROBE; n++) {
    const e = tableAt() + (<usize>i << 4);
    if (load<i32>(e) == 0) {
      keyWrite(mask, arenaAt() + <usize>arenaTop);
      store<i32>(e, h | 0x40000000);
      store<i32>(e, mask, 4);
      store<i32>(e, arenaTop, 8);
      store<i32>(e, (len << 1) | (quiet & 1), 12);
      arenaTop += len;
      stored++;
      return;
    }
    i = (i + 1) & (TABLE_SLOTS - 1);
  }
  // MAX_PROBE taken slots in a row (crafted collisions): not remembered, never wrong.
}

/** scanK8sAuditBytes over memory[start, end): 1 when accepted (slots written), 0 otherwise. */
export function scan(start: i32, end: i32): i32 {
  const i = scanTo(start, end);
  return i == end - 1 && byte(i) == CLOSE_BRACE ? 1 : 0;
}

/**
 * The scan itself: where the line's closing brace should be once every field matched, or
 * -1. Nothing it checks can pass a "\n" (strings stop at control bytes, numbers and
 * literals at anything else), so a caller may give the chunk's end as `end` and then find
 * the line's end from the answer (scanRun).
 */
function scanTo(start: i32, end: i32): i32 {
  const base = <i32>chunkBase();
  hashedFields = 0; // new slots: the field hashes are stale
  if (!at(start, L_HEAD, N_HEAD)) return -1;
  let i = start + N_HEAD;
  let level = -1;
  if (at(i, L_LV_METADATA, N_LV_METADATA)) level = i + N_LV_METADATA;
  else if (at(i, L_LV_REQUESTRESPONSE, N_LV_REQUESTRESPONSE)) level = i + N_LV_REQUESTRESPONSE;
  else if (at(i, L_LV_REQUEST, N_LV_REQUEST)) level = i + N_LV_REQUEST;
  else if (at(i, L_LV_NONE, N_LV_NONE)) level = i + N_LV_NONE;
  if (level < 0 || !at(level, L_AUDITID, N_AUDITID)) return -1;
  i = rawString(level + N_AUDITID, end);
  if (i < 0 || i == level + N_AUDITID + 2 || !at(i, L_STAGE, N_STAGE)) return -1;
  i = letters(i + N_STAGE, end, false);
  if (i < 0 || byte(i) != QUOTE) return -1;
  i++;
  if (at(i, L_REQUESTURI, N_REQUESTURI)) {
    i = escString(i + N_REQUESTURI, end);
    if (i < 0) return -1;
  }
  if (!at(i, L_VERB, N_VERB)) return -1;
  setSlot(VERB_AT, i + N_VERB - base);
  i = letters(i + N_VERB, end, true);
  if (i < 0 || byte(i) != QUOTE) return -1;
  setSlot(VERB_AT + 1, i - base);
  i++;
  if (!at(i, L_USER_USERNAME, N_USER_USERNAME)) return -1;
  i = read(i + N_USER_USERNAME, end, USER_AT, base);
  if (i >= 0 && at(i, L_UID, N_UID)) i = rawString(i + N_UID, end);
  if (i >= 0 && at(i, L_GROUPS, N_GROUPS)) i = rawList(i + N_GROUPS, end);
  if (i >= 0 && at(i, L_EXTRA, N_EXTRA)) i = rawKeyMap(i + N_EXTRA, end, true);
  if (i < 0 || byte(i) != CLOSE_BRACE) return -1;
  i++;
  setSlot(ADDRS_AT, -1);
  if (at(i, L_SOURCEIPS, N_SOURCEIPS)) {
    const from = i + N_SOURCEIPS;
    i = rawList(from, end);
    if (i < 0) return -1;
    setSlot(ADDRS_AT, from + 1 - base);
    setSlot(ADDRS_AT + 1, i - 1 - base);
  }
  if (at(i, L_USERAGENT, N_USERAGENT)) {
    i = escString(i + N_USERAGENT, end);
    if (i < 0) return -1;
  }
  setSlot(RESOURCE_AT, -1);
  setSlot(NAMESPACE_AT, -1);
  setSlot(NAME_AT, -1);
  setSlot(GROUP_AT, -1);
  setSlot(SUB_AT, -1);
  if (at(i, L_OBJECTREF_RESOURCE, N_OBJECTREF_RESOURCE)) {
    i = read(i + N_OBJECTREF_RESOURCE, end, RESOURCE_AT, base);
    if (i >= 0 && at(i, L_NAMESPACE, N_NAMESPACE)) i = read(i + N_NAMESPACE, end, NAMESPACE_AT, base);
    if (i >= 0 && at(i, L_NAME, N_NAME)) i = read(i + N_NAME, end, NAME_AT, base);
    if (i >= 0 && at(i, L_UID, N_UID)) i = rawString(i + N_UID, end);
    if (i >= 0 && at(i, L_APIGROUP, N_APIGROUP)) i = read(i + N_APIGROUP, end, GROUP_AT, base);
    if (i >= 0 && at(i, L_APIVERSION, N_APIVERSION)) i = rawString(i + N_APIVERSION, end);
    if (i >= 0 && at(i, L_RESOURCEVERSION, N_RESOURCEVERSION)) i = rawString(i + N_RESOURCEVERSION, end);
    if (i >= 0 && at(i, L_SUBRESOURCE, N_SUBRESOURCE)) i = read(i + N_SUBRESOURCE, end, SUB_AT, base);
    if (i < 0 || byte(i) != CLOSE_BRACE) return -1;
    i++;
  }
  setSlot(CODE, -1);
  if (at(i, L_RESPONSESTATUS_METADATA, N_RESPONSESTATUS_METADATA)) {
    i = value(i + N_RESPONSESTATUS_METADATA, end, DEPTH);
    if (i >= 0 && at(i, L_STATUS, N_STATUS)) i = rawString(i + N_STATUS, end);
    if (i >= 0 && at(i, L_MESSAGE, N_MESSAGE)) i = escString(i + N_MESSAGE, end);
    if (i >= 0 && at(i, L_REASON, N_REASON)) i = rawString(i + N_REASON, end);
    if (i >= 0 && at(i, L_DETAILS, N_DETAILS)) i = value(i + N_DETAILS, end, DEPTH);
    if (i >= 0 && at(i, L_CODE, N_CODE)) {
      const p = i + N_CODE;
      const c0 = byte(p);
      const c1 = byte(p + 1);
      const c2 = byte(p + 2);
      if (!(c0 >= 49 && c0 <= 57 && isDigit(c1) && isDigit(c2))) return -1;
      setSlot(CODE, (<i32>c0 - 48) * 100 + (<i32>c1 - 48) * 10 + (<i32>c2 - 48));
      i = p + 3;
    }
    if (i < 0 || byte(i) != CLOSE_BRACE) return -1;
    i++;
  }
  setSlot(HAS_REQUEST_OBJECT, 0);
  if (at(i, L_REQUESTOBJECT, N_REQUESTOBJECT)) {
    const from = i + N_REQUESTOBJECT;
    i = value(from, end, DEPTH);
    if (i < 0) return -1;
    setSlot(HAS_REQUEST_OBJECT, i - from == 4 && at(from, L_NULL, N_NULL) ? 0 : 1);
  }
  if (at(i, L_RESPONSEOBJECT, N_RESPONSEOBJECT)) {
    i = value(i + N_RESPONSEOBJECT, end, DEPTH);
    if (i < 0) return -1;
  }
  if (at(i, L_REQUESTRECEIVEDTIMESTAMP, N_REQUESTRECEIVEDTIMESTAMP)) {
    i = rawString(i + N_REQUESTRECEIVEDTIMESTAMP, end);
    if (i < 0) return -1;
  }
  if (!at(i, L_STAGETIMESTAMP, N_STAGETIMESTAMP)) return -1;
  i = read(i + N_STAGETIMESTAMP, end, TS_AT, base);
  if (i >= 0 && at(i, L_ANNOTATIONS, N_ANNOTATIONS)) i = rawKeyMap(i + N_ANNOTATIONS, end, false);
  return i;
}

/** The first "\n" at or after memory offset p, 16 bytes at a time (the chunk's padding holds one). */
@inline function newlineFrom(p: i32): i32 {
  const newline = i8x16.splat(10);
  while (true) {
    const bits = i8x16.bitmask(i8x16.eq(v128.load(<usize>p), newline));
    if (bits != 0) return p + ctz<i32>(bits);
    p += 16;
  }
  return -1;
}

/**
 * The offset (from chunkBase) of the first "\n" at or after chunk offset `from`, found 16
 * bytes at a time (the caller's padding guarantees one), after scanning the line that
 * ends there and, when accepted, looking up its remembered verdict: both are left in the
 * words after the slots (NEXT_ACCEPTED, NEXT_VERDICT). One call per line instead of a
 * newline search, a scan and a lookup.
 */
export function scanNext(from: i32): i32 {
  const base = <i32>chunkBase();
  const p = newlineFrom(base + from);
  const ok = scan(base + from, p);
  setSlot(NEXT_ACCEPTED, ok);
  setSlot(NEXT_VERDICT, ok == 1 ? memoLookupAll() : -1);
  return p - base;
}

// ---------------------------------------------------------------- runs of quiet lines
// scanRun takes as many lines as it can in one call (issue 8: a call, a verdict lookup
// and a time parse per line cost as much in JavaScript as the scan itself in here): each
// line it accepts, whose remembered verdict is "quiet" and whose time falls in the minute
// the caller cached, becomes a record; the first line that is not all three ends the run
// and is left, unconsumed, to the caller's line-by-line path. TimeCache.parseBytes (in
// services/parsers/k8s-audit-scan.ts) is the time parse this one repeats.

/** The cached minute, written by the caller: 16 bytes "YYYY-MM-DDTHH:MM", its epoch ms (f64), 1 when set. */
const MINUTE: usize = memory.data(32, 16);
const MINUTE_MS = 16;
const MINUTE_SET = 24;
/** Records of a run: from, newline, time from, time end, subNs (i32), then ms (f64 at 24). */
const RUN_MAX: i32 = 4096;
const RUN_STRIDE: i32 = 32;
const RUN: usize = memory.data(RUN_MAX * RUN_STRIDE, 16);
const POW10: StaticArray<i32> = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/**
 * The line a run stopped at: its chunk offset and newline's (-1, -1: none), and, as
 * scanNext leaves them, whether it was accepted and its verdict, so the line-by-line
 * path that takes it next does not scan it again.
 */
const RUN_STOP: usize = memory.data(8, 8);

@inline function stopAt(p: i32, nl: i32, accepted: i32, verdict: i32): void {
  const base = <i32>chunkBase();
  store<i32>(RUN_STOP, p - base);
  store<i32>(RUN_STOP, nl - base, 4);
  setSlot(NEXT_ACCEPTED, accepted);
  setSlot(NEXT_VERDICT, verdict);
}

export function runStopPtr(): usize {
  return RUN_STOP;
}

export function minutePtr(): usize {
  return MINUTE;
}

export function runPtr(): usize {
  return RUN;
}

export function runMax(): i32 {
  return RUN_MAX;
}

/** TimeCache.parseBytes over memory[from, to) into record `r`; false when not in the cached minute's fast shape. */
@inline function timeInMinute(from: i32, to: i32, r: usize): bool {
  const n = to - from;
  if (n < 22 || n > 30 || load<i32>(MINUTE, MINUTE_SET) != 1 || byte(from + 19) != 46 || byte(to - 1) != 90) return false;
  if (load<u64>(<usize>from) != load<u64>(MINUTE) || load<u64>(<usize>from + 8) != load<u64>(MINUTE, 8)) return false;
  const s1 = <i32>byte(from + 17) - 48;
  const s2 = <i32>byte(from + 18) - 48;
  if (byte(from + 16) != COLON || s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return false;
  let frac: i32 = 0;
  for (let i = from + 20; i < to - 1; i++) {
    const c = <i32>byte(i) - 48;
    if (c < 0 || c > 9) return false;
    frac = frac * 10 + c;
  }
  const fracNs = frac * unchecked(POW10[9 - (n - 21)]);
  store<i32>(r, fracNs % 1000000, 16);
  store<f64>(r, load<f64>(MINUTE, MINUTE_MS) + <f64>((s1 * 10 + s2) * 1000 + fracNs / 1000000), 24);
  return true;
}

/**
 * Records the quiet lines from chunk offset `from` on, up to the line ending at `last`
 * (a "\n" of the chunk) and no longer than `maxLen` bytes; returns how many (0: the line
 * at `from` takes the line-by-line path). Offsets are relative to chunkBase().
 */
export function scanRun(from: i32, last: i32, maxLen: i32): i32 {
  const base = <i32>chunkBase();
  const stop = base + last + 1;
  let n = 0;
  let p = base + from;
  store<i32>(RUN_STOP, -1);
  while (p < stop && n < RUN_MAX) {
    const i = scanTo(p, stop);
    // Accepted when the closing brace is the line's last byte.
    if (i < 0 || byte(i) != CLOSE_BRACE || byte(i + 1) != 10) {
      stopAt(p, newlineFrom(p), 0, -1);
      break;
    }
    if (i + 1 - p > maxLen) break;
    const verdict = memoLookupAll();
    if (verdict != 1) {
      stopAt(p, i + 1, 1, verdict);
      break;
    }
    const r = RUN + (<usize>n << 5);
    if (!timeInMinute(base + slot(TS_AT), base + slot(TS_AT + 1), r)) {
      stopAt(p, i + 1, 1, 1);
      break;
    }
    store<i32>(r, p - base);
    store<i32>(r, i + 1 - base, 4);
    store<i32>(r, slot(TS_AT), 8);
    store<i32>(r, slot(TS_AT + 1), 12);
    n++;
    p = i + 2;
  }
  return n;
}
