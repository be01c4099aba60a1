// Which kafkajs failures a Kafka role rides out and which end it (TRIP_KAFKA_FATAL).
//
// A role must survive a broker outage of any length: waiting and reconnecting is always
// right when the broker is away, slow, restarting, or has forgotten us (session expired).
// It must NOT spin forever on a mistake that no amount of waiting fixes: the process
// exits 1 so the operator (and a supervisor's restart counter) sees it.
//
// The decision, per kafkajs error (the whole `cause` chain is inspected: kafkajs wraps the
// real error in KafkaJSNumberOfRetriesExceeded / KafkaJSNonRetriableError):
//
//   fatal ('config')  - KafkaJSSASLAuthenticationError, SASL_AUTHENTICATION_FAILED,
//                       UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE: wrong credentials
//                       or mechanism. (A restarting broker does not accept connections
//                       before its credentials are loaded, so this is never transient.)
//                     - *_AUTHORIZATION_FAILED: the ACLs do not let us do our job.
//                     - INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT (kafka.sessionTimeout
//                       outside the broker's group.min/max.session.timeout.ms),
//                       INCONSISTENT_GROUP_PROTOCOL (another application uses our group
//                       id), GROUP_MAX_SIZE_REACHED (more replicas than group.max.size),
//                       INVALID_TOPIC_EXCEPTION, UNSUPPORTED_VERSION,
//                       KafkaJSServerDoesNotSupportApiKey, KafkaJSNotImplemented (broker
//                       too old): configuration or deployment errors.
//   fatal if it persists ('missing-topic')
//                     - UNKNOWN_TOPIC_OR_PARTITION, KafkaJSTopicMetadataNotLoaded: the
//                       topic is gone and auto-creation is off (the roles create their
//                       topics at start, never later: re-creating a deleted topic would
//                       hide the deletion). Kafka itself calls this retriable because a
//                       restarting or lagging broker briefly answers it for topics that
//                       exist, so it is fatal only after MISSING_TOPIC_STREAK failures in
//                       a row without the client working in between.
//   transient         - everything else: connection refused/closed, request timeouts,
//                       KafkaJSNumberOfRetriesExceeded around those, no broker or
//                       coordinator available, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
//                       UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS (the
//                       group forgot us during the outage: rejoin), LEADER_NOT_AVAILABLE,
//                       NOT_LEADER_FOR_PARTITION, our own plain Errors (a full disk under
//                       the outbox: waiting may fix it). The role backs off and reconnects.
//                       A TypeError and the like are not configuration errors either: kafkajs
//                       has thrown them on odd broker states mid-restart, and one of ours
//                       would replay into an exit-and-restart loop all the same; each attempt
//                       is logged and /readyz reports the link as reconnecting.

export type Verdict = { kind: 'transient' } | { kind: 'config'; why: string } | { kind: 'missing-topic'; why: string };

/** Failures in a row (no successful join/send between) before a missing topic is fatal. */
export const MISSING_TOPIC_STREAK = 5;

const CONFIG_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
  'INVALID_GROUP_ID',
  'INVALID_SESSION_TIMEOUT',
  'INCONSISTENT_GROUP_PROTOCOL',
  'GROUP_MAX_SIZE_REACHED',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_VERSION',
]);

const CONFIG_NAMES = new Set(['KafkaJSSASLAuthenticationError', 'KafkaJSServerDoesNotSupportApiKey', 'KafkaJSNotImplemented']);
const MISSING_TOPIC_TYPES = new Set(['UNKNOWN_TOPIC_OR_PARTITION']);
const MISSING_TOPIC_NAMES = new Set(['KafkaJSTopicMetadataNotLoaded']);

/** The error and everything it wraps (`cause`, and an aggregate's `errors`), outermost first. */
export function errorChain(e: unknown): Array<{ name?: string; type?: string; message?: string }> {
  const out: Array<{ name?: string; type?: string; message?: string }> = [];
  const seen = new Set<unknown>();
  const visit = (x: unknown) => {
    if (x === null || typeof x !== 'object' || seen.has(x) || out.length > 32) return;
    seen.add(x);
    const err = x as { name?: string; type?: string; message?: string; cause?: unknown; errors?: unknown };
    out.push(err);
    visit(err.cause);
    if (Array.isArray(err.errors)) for (const inner of err.errors) visit(inner);
  };
  visit(e);
  return out;
}

export function classifyKafkaError(e: unknown): Verdict {
  const chain = errorChain(e);
  for (const x of chain) {
    if (x.type !== undefined && CONFIG_TYPES.has(x.type)) return { kind: 'config', why: x.type };
    if (x.name !== undefined && CONFIG_NAMES.has(x.name)) return { kind: 'config', why: x.name };
  }
  for (const x of chain) {
    if (x.type !== undefined && MISSING_TOPIC_TYPES.has(x.type)) return { kind: 'missing-topic', why: x.type };
    if (x.name !== undefined && MISSING_TOPIC_NAMES.has(x.name)) return { kind: 'missing-topic', why: x.name };
  }
  return { kind: 'transient' };
}

/**
 * Applies the decision over a run of failures: counts missing-topic failures in a row;
 * ok() (the client worked again) clears the count. Returns the reason to give up, or null.
 */
export class FatalityJudge {
  private missingStreak = 0;

  constructor(private readonly streak = MISSING_TOPIC_STREAK) {}

  failed(e: unknown): string | null {
    const v = classifyKafkaError(e);
    if (v.kind === 'config') return v.why;
    if (v.kind === 'missing-topic') {
      this.missingStreak++;
      return this.missingStreak >= this.streak ? `${v.why} ${this.missingStreak} times in a row (topic deleted? auto-creation is off)` : null;
    }
    this.missingStreak = 0;
    return null;
  }

  ok(): void {
    this.missingStreak = 0;
  }
}
