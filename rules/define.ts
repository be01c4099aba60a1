// The rule contract (architecture convention 3): a rule is data plus pure predicates.
// Rules hold no state and read no clock; the engine owns windows, first-seen sets,
// correlation indexes and event time, and hands rules a read-only RuleContext.
import type { Config } from '../schemas/config.js';
import type { AlertFields, Severity } from '../schemas/alert.js';
import type { App, InputKind, SecurityEvent } from '../schemas/event.js';

/** Read-only lookups the engine keeps from earlier lines (correlation across lines). */
export interface Correlations {
  /**
   * The sshd "Connection from <ip> port <n> on <local> port <lp>" line seen earlier
   * from the same host and sshd PID (S1/S3 break-glass detection).
   */
  sshConnection(host: string | null, pid: number | null): SshConnection | undefined;
  /**
   * When this event is evidence of a new boot of its host (kernel banner, a journal
   * boot id that changed from one seen before, a wtmp boot record), the boot's
   * identity; several kinds of evidence of one boot share one bootKey. Else null.
   */
  boot(e: SecurityEvent): BootInfo | null;
  /** The latest planned shutdown/reboot request of `host` seen before `beforeMs`. */
  lastShutdown(host: string, beforeMs: number): ShutdownInfo | undefined;
}

export interface SshConnection {
  clientIp: string;
  clientPort: number | null;
  localAddr: string | null;
  localPort: number | null;
  tsMs: number;
}

export interface BootInfo {
  host: string;
  /** Stable across the evidence of one boot: used to count each boot once. */
  bootKey: string;
  kernel: string | null;
}

export interface ShutdownInfo {
  tsMs: number;
  requestedBy: string | null;
  via: string;
  command: string | null;
}

export interface RuleContext {
  config: Config;
  /** Numeric CIDR match (IPv4, IPv6; IPv4-mapped IPv6 counts as IPv4) against named network sets. */
  inNetworks(addr: string, sets: readonly string[]): boolean;
  /** Exact names or globs (`*` = any run of characters), compiled once per list. */
  matches(list: readonly string[], value: string | null | undefined): boolean;
  /** Is the event's actor one of `identities.humans` (Vault: username, display name or entity id)? */
  isHuman(e: SecurityEvent): boolean;
  corr: Correlations;
}

/** What a stateless rule reports for one event. */
export interface Finding {
  /** The alert key, as rules.md gives it for the rule ("username + offending address", ...). */
  key: string;
  /** One sentence naming who did what from where. Attacker text is escaped later, by the sinks. */
  summary: string;
  fields?: AlertFields;
}

export interface RuleMeta {
  /** Stable id exactly as in docs/rules.md (K2, V6, S3, ...). */
  id: string;
  title: string;
  severity: Severity;
  /** Input kinds whose events the rule can match: drives `tripline rules` and the raw-line prefilter. */
  sources: readonly InputKind[];
  /** Apps whose events the rule can match; the engine skips a rule for other apps. */
  apps: readonly App[];
  /** Anchor of the rule's section in docs/runbooks.md (the lowercase rule id, e.g. "k2"). */
  runbook: string;
  /** MITRE ATT&CK technique ids where one fits. */
  tags: readonly string[];
  /** One line on what fires, for `tripline rules`. */
  description: string;
  /** The effective parameters, shown by `tripline rules`. */
  params?(config: Config): Record<string, unknown>;
  /**
   * Raw-line prefilter (issue 8), per input kind: false only when NO event parsed from a
   * line with these request facts can make this rule match, select or change its state.
   * A rule that can see a kind's events (its sources or apps) and declares no interest
   * for that kind turns the prefilter off for the kind: every line is parsed in full.
   * Be coarse rather than clever: a false "true" costs one parse, a false "false" an alert.
   * Must be a pure function of the view and the config: the replay remembers verdicts by
   * the fields an interest read (services/engine/verdict-memo.ts). Read a field only when
   * the answer needs it (test the verb before the name), so verdicts can be shared.
   */
  interest?: RawInterest;
}

/**
 * What the k8s-audit prefilter reads from a line without parsing it (the same values
 * the parser puts in the event: "" and absent are null, as in SecurityEvent).
 */
export interface K8sRequestView {
  verb: string;
  /** user.username (actor.name). */
  username: string | null;
  /** sourceIPs, in order (client.addrs). */
  addrs: readonly string[];
  resource: string | null;
  subresource: string | null;
  apiGroup: string | null;
  namespace: string | null;
  name: string | null;
  /** responseStatus.code. */
  code: number | null;
  hasRequestObject: boolean;
}

export interface RawInterest {
  'k8s-audit'?: (v: K8sRequestView, ctx: RuleContext) => boolean;
}

/** Stateless: fires on a single event. */
export interface MatchRule extends RuleMeta {
  kind: 'match';
  match(e: SecurityEvent, ctx: RuleContext): Finding | Finding[] | null;
}

/** What a windowed rule's select() says about an event that counts. */
export interface Selection {
  key: string;
  /** Counted once per window: e.g. the k8s auditID or the Vault request id, so stages or request/response pairs count once. */
  dedupe: string;
  /** A value listed in the alert with its count (object names, addresses, paths). */
  item?: string;
  /** How many attempts this event stands for (PAM "N more authentication failures"); default 1. */
  weight?: number;
  /**
   * What describe() needs of this event beyond key, item and time (issue 8: windows keep
   * this, not the event, for their newest 20 entries). Small: it is kept per entry.
   */
  detail?: EntryDetail;
}

/** Per-entry facts a windowed rule keeps for describe(): JSON values only (they are snapshotted). */
export type EntryDetail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface WindowAggregate {
  key: string;
  /** Distinct counted entries in the window when it fired. */
  count: number;
  /** Items with their counts, most frequent first (at most 10). */
  items: Array<{ value: string; count: number }>;
  firstMs: number;
  lastMs: number;
  /** The newest counted entries (at most 20, earliest first): event time and what select() kept. */
  entries: Array<{ ts: string; detail: EntryDetail | null }>;
}

/** Keyed sliding window: fires when more than threshold() distinct entries fall within window(). */
export interface ThresholdRule extends RuleMeta {
  kind: 'threshold';
  select(e: SecurityEvent, ctx: RuleContext): Selection | null;
  threshold(config: Config): number;
  window(config: Config): number;
  /** Quiet time per key after an alert; defaults to window(). */
  cooldown?(config: Config): number;
  describe(agg: WindowAggregate, ctx: RuleContext): Omit<Finding, 'key'>;
}

/** Fires the first time a key is seen; the seen set survives restarts. */
export interface FirstSeenRule extends RuleMeta {
  kind: 'first-seen';
  /** `known: true` means the key is approved and must never fire (it is still remembered). */
  select(e: SecurityEvent, ctx: RuleContext): { key: string; known: boolean } | null;
  describe(e: SecurityEvent, ctx: RuleContext): Omit<Finding, 'key'>;
}

export interface SilenceInfo {
  source: string;
  kind: InputKind;
  /** Last event time of the source, or null when it has produced nothing. */
  lastSeenMs: number | null;
  maxSilenceMs: number;
  /** The event time at which the silence passed maxSilence. */
  atMs: number;
}

/** Absence: a configured source produced no event for longer than its maxSilence (H1). */
export interface AbsenceRule extends RuleMeta {
  kind: 'absence';
  maxSilence(config: Config, source: { name: string; kind: InputKind }): number;
  describe(info: SilenceInfo, ctx: RuleContext): Omit<Finding, 'key'>;
}

export interface ErrorRateInfo {
  source: string;
  kind: InputKind;
  lines: number;
  errors: number;
  /** Error codes with counts, most frequent first. */
  codes: Array<{ value: string; count: number }>;
  windowStartMs: number;
  windowEndMs: number;
}

/** Error rate: too many of a source's lines failed to parse in a window (H2). */
export interface ErrorRateRule extends RuleMeta {
  kind: 'error-rate';
  describe(info: ErrorRateInfo, ctx: RuleContext): Omit<Finding, 'key'>;
}

export type Rule = MatchRule | ThresholdRule | FirstSeenRule | AbsenceRule | ErrorRateRule;

/** Declares a rule; the identity function exists so every rule file reads the same way and is type-checked. */
export function defineRule<R extends Rule>(rule: R): R {
  return rule;
}
