// Remembered prefilter verdicts for k8s-audit lines (issue 8). The rules' interests are
// pure functions of the request view (rules/define.ts RawInterest), so a verdict depends
// only on the fields they READ while reaching it (SlotView records them). Any later line
// that agrees on those fields, byte for byte, takes the same path through every interest
// and gets the same verdict: a lookup replaces cutting strings and asking the rules.
// Interests test the verb or resource before the object's name, so the fields read are
// few and a busy cluster's lines share a small set of verdicts.
//
// The table of verdicts lives with the scanner (VerdictTable): the WebAssembly build keeps
// it in its own memory (wasm/k8s-audit-scan.ts memoLookup/memoStore), where the line's
// bytes already are; JsVerdictTable is the same table for the JavaScript build.
//
// Invariants:
// - Exact: keys are the bytes of the fields read (with presence and length), compared in
//   full on a hit; the hash only finds candidates.
// - Bounded: at most MAX_ENTRIES verdicts (then it starts over) and MAX_MASKS distinct
//   sets of fields; a field longer than MAX_FIELD_BYTES is never remembered; at most
//   MAX_CHAIN entries share a hash (FNV is not keyed: crafted collisions could otherwise
//   make lookups slow; they can never make them wrong).
import { RANGE_FIELDS, VIEW_FIELD_SLOTS, type K8sScanSlots } from '../parsers/k8s-audit-scan.js';

const MAX_ENTRIES = 65_536;
const MAX_MASKS = 16;
const MAX_FIELD_BYTES = 1024;
const ABSENT = 0xffff;
const MAX_CHAIN = 4;

interface Entry {
  mask: number;
  /** The fields of `mask`, serialized as keyOf writes them. */
  key: Uint8Array;
  quiet: boolean;
  /** Another entry with the same hash. */
  next: Entry | undefined;
}

/**
 * FNV-1a over the fields of `mask` (lengths and bytes), straight from the line's bytes;
 * -1 if a field is too long to remember. The WebAssembly scanner computes the same
 * (wasm/k8s-audit-scan.ts hashFields); a memo only ever sees one of the two.
 */
export function hashOf(mask: number, b: Uint8Array, slots: K8sScanSlots): number {
  let h = 0x811c9dc5 ^ mask;
  for (let f = 0; f < VIEW_FIELD_SLOTS.length; f++) {
    if ((mask & (1 << f)) === 0) continue;
    const at = VIEW_FIELD_SLOTS[f]!;
    if (f >= RANGE_FIELDS) {
      h = Math.imul(h ^ (slots[at]! + 1), 0x01000193);
      continue;
    }
    const from = slots[at]!;
    if (from < 0) {
      h = Math.imul(h ^ ABSENT, 0x01000193);
      continue;
    }
    const to = slots[at + 1]!;
    if (to - from > MAX_FIELD_BYTES) return -1;
    h = Math.imul(h ^ (to - from), 0x01000193);
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  }
  // 30 bits: a small integer to V8 (no heap number per line, fast Map keys).
  return h & 0x3fffffff;
}

/** The fields of `mask` as bytes: per range field its length (2 bytes, ABSENT if none) and bytes; per number field 2 bytes. */
function keyOf(mask: number, b: Uint8Array, slots: K8sScanSlots): Uint8Array {
  const out: number[] = [];
  for (let f = 0; f < VIEW_FIELD_SLOTS.length; f++) {
    if ((mask & (1 << f)) === 0) continue;
    const at = VIEW_FIELD_SLOTS[f]!;
    const v = f >= RANGE_FIELDS ? slots[at]! + 1 : slots[at]! < 0 ? ABSENT : slots[at + 1]! - slots[at]!;
    out.push(v >> 8, v & 0xff);
    if (f < RANGE_FIELDS && slots[at]! >= 0) for (let i = slots[at]!; i < slots[at + 1]!; i++) out.push(b[i]!);
  }
  return Uint8Array.from(out);
}

/** Whether the line's fields of `mask` are exactly `key`. */
function sameKey(key: Uint8Array, mask: number, b: Uint8Array, slots: K8sScanSlots): boolean {
  let k = 0;
  for (let f = 0; f < VIEW_FIELD_SLOTS.length; f++) {
    if ((mask & (1 << f)) === 0) continue;
    const at = VIEW_FIELD_SLOTS[f]!;
    const v = f >= RANGE_FIELDS ? slots[at]! + 1 : slots[at]! < 0 ? ABSENT : slots[at + 1]! - slots[at]!;
    if (key[k] !== v >> 8 || key[k + 1] !== (v & 0xff)) return false;
    k += 2;
    if (f >= RANGE_FIELDS || slots[at]! < 0) continue;
    for (let i = slots[at]!; i < slots[at + 1]!; i++) if (key[k++] !== b[i]) return false;
  }
  return k === key.length;
}

/** Verdicts by the fields of a mask of the line a scanner last accepted. */
export interface VerdictTable {
  /** 1 quiet, 0 interested, -1 not remembered, by the fields of `mask`. */
  lookup(mask: number): number;
  /** lookup() over every added mask in turn (one that hits moves a place forward). */
  lookupAll(): number;
  /** Adds a mask to try; false when MAX_MASKS are known already (the verdict is then not remembered). */
  addMask(mask: number): boolean;
  store(mask: number, quiet: boolean): void;
}

/** The verdict table of the JavaScript scanner: a Map from hash to entries, keys compared in full. */
export class JsVerdictTable implements VerdictTable {
  private table = new Map<number, Entry>();
  private entries = 0;
  private readonly masks: number[] = [];

  /** `line()` is the scanner's current chunk and its slots for the line it last accepted. */
  constructor(private readonly line: () => { b: Uint8Array; slots: K8sScanSlots }) {}

  lookup(mask: number): number {
    const { b, slots } = this.line();
    const h = hashOf(mask, b, slots);
    if (h === -1) return -1;
    for (let e = this.table.get(h); e !== undefined; e = e.next) {
      if (e.mask === mask && sameKey(e.key, mask, b, slots)) return e.quiet ? 1 : 0;
    }
    return -1;
  }

  lookupAll(): number {
    const masks = this.masks;
    for (let m = 0; m < masks.length; m++) {
      const v = this.lookup(masks[m]!);
      if (v < 0) continue;
      if (m > 0) [masks[m - 1], masks[m]] = [masks[m]!, masks[m - 1]!];
      return v;
    }
    return -1;
  }

  addMask(mask: number): boolean {
    if (this.masks.includes(mask)) return true;
    if (this.masks.length >= MAX_MASKS) return false;
    this.masks.push(mask);
    return true;
  }

  store(mask: number, quiet: boolean): void {
    const { b, slots } = this.line();
    const h = hashOf(mask, b, slots);
    if (h === -1) return;
    if (this.entries >= MAX_ENTRIES) {
      this.table = new Map();
      this.entries = 0;
    }
    const head = this.table.get(h);
    let chain = 0;
    for (let e = head; e !== undefined; e = e.next) if (++chain >= MAX_CHAIN) return;
    this.table.set(h, { mask, key: keyOf(mask, b, slots), quiet, next: head });
    this.entries++;
  }
}

/** Remembered verdicts for the lines a scanner accepts, with hit and miss counts. */
export class K8sVerdictMemo {
  hits = 0;
  misses = 0;

  constructor(private readonly table: VerdictTable) {}

  /** The remembered verdict for the line the scanner last accepted (true: quiet), or undefined. */
  lookup(): boolean | undefined {
    const v = this.table.lookupAll();
    if (v < 0) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return v === 1;
  }

  /** Remembers `quiet`, reached by reading the fields of `mask` of the line the scanner last accepted. */
  remember(mask: number, quiet: boolean): void {
    if (this.table.addMask(mask)) this.table.store(mask, quiet);
  }
}
