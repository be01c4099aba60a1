// Numeric IP/CIDR matching for network sets (docs/rules.md, "Network sets").
//
// Addresses are parsed by hand (no regex over attacker text), masked and compared as
// 32-bit words: IPv4 is one word, IPv6 four. An IPv4-mapped IPv6 address
// (`::ffff:10.0.20.5`) is the IPv4 address it carries, both as a looked-up address and as
// a config entry (`::ffff:10.0.0.0/104` is 10.0.0.0/8).
//
// Invariants:
// - IPv4 and IPv6 are separate families: an IPv6 entry (even `::/0`) never matches an
//   IPv4 address; write 0.0.0.0/0 for "every IPv4 address". A security tool should not
//   widen a trusted set through a notational corner.
// - Entries with host bits set (`10.0.20.5/22`) are rejected, not masked: the writer
//   probably meant a different prefix, and silently widening a trusted set is the worse
//   failure.
// - Dotted quads are strict: four decimal parts 0-255, no leading zeros ("010" could be
//   read as octal 8 by other tools, so it is refused rather than guessed).
// - `has()` never throws and allocates nothing: anything that is not an address is false.

/** A parsed address. IPv4-mapped IPv6 comes back as family 4. */
export type ParsedIp =
  | { family: 4; value: number }
  | { family: 6; words: readonly [number, number, number, number] };

// Longest textual IPv6 address without a zone is 45 chars; zone ids are short interface
// names. Anything longer is rejected before any scanning (1 MB garbage costs nothing).
const MAX_ADDR_LEN = 45;
const MAX_INPUT_LEN = 100;

/** Parses strict dotted-quad IPv4 text in [start, end) into an unsigned 32-bit int, or -1. */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const partStart = i;
    let n = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
      if (i - partStart > 3) return -1;
    }
    const len = i - partStart;
    if (len === 0 || n > 255) return -1;
    if (len > 1 && s.charCodeAt(partStart) === 48) return -1; // leading zero: octal ambiguity
    value = value * 256 + n; // multiplication keeps it unsigned (bit ops would go negative)
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const groupsScratch = new Array<number>(8).fill(0);

/**
 * Parses IPv6 text in [start, end) into `out` (four words). Returns false when invalid.
 * Grammar (RFC 4291 2.2): up to 8 groups of 1-4 hex digits, at most one `::` standing for
 * one or more zero groups, optionally ending in a dotted quad that fills the last two groups.
 */
function parseV6(s: string, start: number, end: number, out: Uint32Array): boolean {
  const g = groupsScratch;
  let count = 0;
  let gap = -1; // index in g where `::` sits
  let i = start;
  if (end - start >= 2 && s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false; // a lone leading ':'
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    const groupStart = i;
    let n = 0;
    while (i < end) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      n = n * 16 + h;
      i++;
    }
    const len = i - groupStart;
    if (i < end && s.charCodeAt(i) === 46) {
      // Embedded IPv4: must be the final part and leave room for two groups.
      if (count > 6) return false;
      const v4 = parseV4(s, groupStart, end);
      if (v4 < 0) return false;
      g[count++] = v4 >>> 16;
      g[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (len === 0 || len > 4) return false;
    g[count++] = n;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second `::`
      gap = count;
      i++;
    } else if (i === end) {
      return false; // trailing single ':'
    }
  }
  if (gap < 0) {
    if (count !== 8) return false;
  } else if (count > 7) {
    return false; // `::` must stand for at least one group
  }
  // Expand the gap with zeros while packing groups into words.
  const zeros = gap < 0 ? 0 : 8 - count;
  let k = 0;
  for (let w = 0; w < 4; w++) out[w] = 0;
  for (let j = 0; j < 8; j++) {
    let v = 0;
    if (gap >= 0 && j >= gap && j < gap + zeros) v = 0;
    else v = g[k++]!;
    const w = j >> 1;
    out[w] = j & 1 ? (out[w]! | v) >>> 0 : (v << 16) >>> 0;
  }
  return true;
}

/**
 * Parses `s` into `out`: returns 4 (out[0] holds the IPv4 value), 6 (out holds four
 * words), or 0 when `s` is not an address. Zone ids (`%eth0`) are stripped from IPv6.
 */
function parseInto(s: string, out: Uint32Array): 0 | 4 | 6 {
  if (typeof s !== 'string') return 0; // events are untyped JSON at heart: a null sourceIP is just "not an address"
  const n = s.length;
  if (n === 0 || n > MAX_INPUT_LEN) return 0;
  let end = n;
  let colon = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colon = true;
    else if (c === 37) {
      end = i;
      break;
    }
  }
  if (!colon) {
    if (end !== n) return 0; // a zone id on IPv4 is not an address
    const v = parseV4(s, 0, n);
    if (v < 0) return 0;
    out[0] = v;
    return 4;
  }
  if (end === 0 || end > MAX_ADDR_LEN || (end !== n && end === n - 1)) return 0; // empty address or zone
  if (!parseV6(s, 0, end, out)) return 0;
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3]!;
    return 4;
  }
  return 6;
}

const scratch = new Uint32Array(4);

/** Parses an IPv4 or IPv6 address (not a CIDR); null when the text is not one. */
export function parseIp(text: string): ParsedIp | null {
  const fam = parseInto(text, scratch);
  if (fam === 4) return { family: 4, value: scratch[0]! };
  if (fam === 6) return { family: 6, words: [scratch[0]!, scratch[1]!, scratch[2]!, scratch[3]!] };
  return null;
}

/** The mask word for bits [32*w, 32*w+32) of a prefix. */
function maskWord(prefix: number, w: number): number {
  const bits = Math.max(0, Math.min(32, prefix - 32 * w));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatV6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push(words[w]! >>> 16, words[w]! & 0xffff);
  // Compress the longest run of two or more zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

interface Entry {
  family: 4 | 6;
  words: Uint32Array; // network, already masked
  masks: Uint32Array;
}

/** Parses one entry, or returns the reason it is invalid (the reason never repeats the text). */
function parseEntry(text: string): Entry | string {
  if (typeof text !== 'string' || text.length === 0) return 'is empty; expected an IPv4/IPv6 address or CIDR';
  if (text.length > MAX_INPUT_LEN) return 'is too long to be an IPv4/IPv6 address or CIDR';
  if (text.includes('%')) return 'has a zone id (%...), which a network set cannot use';
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const words = new Uint32Array(4);
  const fam = parseInto(addrText, words);
  if (fam === 0) return 'is not an IPv4/IPv6 address or CIDR';
  const writtenMapped = fam === 4 && addrText.includes(':');
  const max = fam === 4 && !writtenMapped ? 32 : 128; // mapped entries are written in IPv6 prefix terms
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    const digitsOnly = p.length > 0 && p.length <= 3 && [...p].every((c) => c >= '0' && c <= '9');
    if (!digitsOnly || (p.length > 1 && p[0] === '0')) return `has an invalid prefix length; expected /0-${max}`;
    prefix = Number(p);
    if (prefix > max) return `has prefix length /${prefix}; ${max === 32 ? 'IPv4' : 'IPv6'} allows /0-${max}`;
  }
  if (writtenMapped) {
    // ::ffff:a.b.c.d/N is the IPv4 block a.b.c.d/(N-96).
    if (prefix < 96) return 'is an IPv4-mapped block with a prefix shorter than /96; write IPv4 ranges as IPv4';
    prefix -= 96;
  }
  const masks = new Uint32Array(4);
  const nWords = fam === 4 ? 1 : 4;
  let hostBits = false;
  for (let w = 0; w < nWords; w++) {
    masks[w] = maskWord(prefix, w);
    const net = (words[w]! & masks[w]!) >>> 0;
    if (net !== words[w]) hostBits = true;
    words[w] = net;
  }
  if (hostBits) {
    const net = fam === 4 ? formatV4(words[0]!) : formatV6(words);
    return `has host bits set (did you mean ${net}/${prefix}?)`;
  }
  return { family: fam, words, masks };
}

/** Quotes config text for a message: JSON-escaped (control characters shown) and capped. */
function quote(text: string): string {
  const t = typeof text === 'string' ? text : String(text);
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 59)}…` : t);
}

/** Why `text` is not a valid entry, without echoing it (for values that may be secret); null when valid. */
export function cidrReason(text: string): string | null {
  const r = parseEntry(text);
  return typeof r === 'string' ? r : null;
}

/** null when `text` is a valid address or CIDR; else a message naming the entry and what is wrong. */
export function cidrError(text: string): string | null {
  const r = cidrReason(text);
  return r === null ? null : `${quote(text)} ${r}`;
}

/** A compiled set of addresses and CIDR blocks, matched numerically. */
export class CidrSet {
  private constructor(
    // IPv4 entries as parallel arrays of network and mask, scanned with integer math.
    private readonly v4Nets: Uint32Array,
    private readonly v4Masks: Uint32Array,
    // IPv6 entries: four words each, flattened.
    private readonly v6Nets: Uint32Array,
    private readonly v6Masks: Uint32Array,
    readonly entries: readonly string[],
  ) {}

  /** Compiles a list of entries; throws an Error naming the first bad entry. */
  static parse(list: readonly string[]): CidrSet {
    const v4: Entry[] = [];
    const v6: Entry[] = [];
    for (const text of list) {
      const e = parseEntry(text);
      if (typeof e === 'string') throw new Error(`network entry ${quote(text)} ${e}`);
      (e.family === 4 ? v4 : v6).push(e);
    }
    const v4Nets = Uint32Array.from(v4, (e) => e.words[0]!);
    const v4Masks = Uint32Array.from(v4, (e) => e.masks[0]!);
    const v6Nets = new Uint32Array(v6.length * 4);
    const v6Masks = new Uint32Array(v6.length * 4);
    v6.forEach((e, i) => {
      v6Nets.set(e.words, i * 4);
      v6Masks.set(e.masks, i * 4);
    });
    return new CidrSet(v4Nets, v4Masks, v6Nets, v6Masks, [...list]);
  }

  /**
   * One set holding every entry of `sets`: rules ask about several sets at once
   * (trusted + devvm), and one union parses the address once instead of once per set.
   */
  static union(sets: readonly CidrSet[]): CidrSet {
    const cat = (pick: (s: CidrSet) => Uint32Array) => {
      const out = new Uint32Array(sets.reduce((n, s) => n + pick(s).length, 0));
      let at = 0;
      for (const s of sets) {
        out.set(pick(s), at);
        at += pick(s).length;
      }
      return out;
    };
    return new CidrSet(
      cat((s) => s.v4Nets),
      cat((s) => s.v4Masks),
      cat((s) => s.v6Nets),
      cat((s) => s.v6Masks),
      sets.flatMap((s) => s.entries),
    );
  }

  /** Is `addr` inside any entry? Non-addresses (hostnames, '', garbage) are false. */
  has(addr: string): boolean {
    const fam = parseInto(addr, scratch);
    if (fam === 4) {
      const a = scratch[0]!;
      const nets = this.v4Nets;
      const masks = this.v4Masks;
      for (let i = 0; i < nets.length; i++) if (((a & masks[i]!) >>> 0) === nets[i]) return true;
      return false;
    }
    if (fam === 6) {
      const nets = this.v6Nets;
      const masks = this.v6Masks;
      const a0 = scratch[0]!, a1 = scratch[1]!, a2 = scratch[2]!, a3 = scratch[3]!;
      for (let i = 0; i < nets.length; i += 4) {
        if (
          ((a0 & masks[i]!) >>> 0) === nets[i] &&
          ((a1 & masks[i + 1]!) >>> 0) === nets[i + 1] &&
          ((a2 & masks[i + 2]!) >>> 0) === nets[i + 2] &&
          ((a3 & masks[i + 3]!) >>> 0) === nets[i + 3]
        ) {
          return true;
        }
      }
    }
    return false;
  }

  get size(): number {
    return this.entries.length;
  }
}

/** Canonical text of a parsed address (IPv4 dotted quad; IPv6 compressed per RFC 5952). */
export function formatIp(ip: ParsedIp): string {
  return ip.family === 4 ? formatV4(ip.value) : formatV6(ip.words);
}
