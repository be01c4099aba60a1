// Which kafkajs failures end a Kafka role (services/kafka/error-policy.ts): configuration
// errors only; an outage of any kind is ridden out. Built from kafkajs's own error classes,
// wrapped the way kafkajs wraps them (KafkaJSNumberOfRetriesExceeded / NonRetriable).
import { describe, expect, it } from 'vitest';
import { FatalityJudge, MISSING_TOPIC_STREAK, classifyKafkaError } from '../../services/kafka/error-policy.js';
import { connectionError, memberExpired, nonRetriable, protocolError as protocol, requestTimeout, retriesExceeded, saslError } from './kafkajs-errors.js';

describe('classifyKafkaError', () => {
  it('an outage is transient, however kafkajs wraps it', () => {
    const outage = [
      memberExpired(), // the member expired during the outage (the old TRIP_KAFKA_FATAL)
      retriesExceeded(connectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')),
      retriesExceeded(requestTimeout('Request Metadata(key: 3, version: 6) timed out')),
      protocol('NOT_COORDINATOR_FOR_GROUP', true),
      protocol('COORDINATOR_NOT_AVAILABLE', true),
      protocol('REBALANCE_IN_PROGRESS', false),
      protocol('ILLEGAL_GENERATION', false),
      protocol('LEADER_NOT_AVAILABLE', true),
      Object.assign(new Error('Failed to connect: seed broker not available'), { name: 'KafkaJSNoBrokerAvailableError' }),
      new Error('SQLITE_FULL: database or disk is full'),
      new TypeError("Cannot read properties of undefined (reading 'nodeId')"),
    ];
    for (const e of outage) expect(classifyKafkaError(e), e.message).toEqual({ kind: 'transient' });
  });

  it('bad credentials, ACLs and broker-side config mismatches are fatal, also when wrapped', () => {
    const cases: Array<[Error, string]> = [
      [saslError('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'), 'KafkaJSSASLAuthenticationError'],
      [retriesExceeded(saslError('SASL SCRAM SHA512 authentication failed')), 'KafkaJSSASLAuthenticationError'],
      [nonRetriable(protocol('SASL_AUTHENTICATION_FAILED', false)), 'SASL_AUTHENTICATION_FAILED'],
      [protocol('UNSUPPORTED_SASL_MECHANISM', false), 'UNSUPPORTED_SASL_MECHANISM'],
      [nonRetriable(protocol('TOPIC_AUTHORIZATION_FAILED', false)), 'TOPIC_AUTHORIZATION_FAILED'],
      [protocol('GROUP_AUTHORIZATION_FAILED', false), 'GROUP_AUTHORIZATION_FAILED'],
      [protocol('INVALID_SESSION_TIMEOUT', false), 'INVALID_SESSION_TIMEOUT'],
      [protocol('INCONSISTENT_GROUP_PROTOCOL', false), 'INCONSISTENT_GROUP_PROTOCOL'],
      [protocol('GROUP_MAX_SIZE_REACHED', false), 'GROUP_MAX_SIZE_REACHED'],
    ];
    for (const [e, why] of cases) expect(classifyKafkaError(e), e.message).toEqual({ kind: 'config', why });
  });

  it('an unknown topic is a missing topic (fatal only if it persists: FatalityJudge)', () => {
    expect(classifyKafkaError(retriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION', true)))).toEqual({ kind: 'missing-topic', why: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(classifyKafkaError(Object.assign(new Error('no metadata'), { name: 'KafkaJSTopicMetadataNotLoaded' }))).toEqual({ kind: 'missing-topic', why: 'KafkaJSTopicMetadataNotLoaded' });
  });

  it('looks inside aggregate errors too', () => {
    const agg = Object.assign(new Error('several'), { name: 'KafkaJSAggregateError', errors: [new Error('x'), protocol('CLUSTER_AUTHORIZATION_FAILED', false)] });
    expect(classifyKafkaError(agg).kind).toBe('config');
  });
});

describe('FatalityJudge', () => {
  const missing = () => retriesExceeded(protocol('UNKNOWN_TOPIC_OR_PARTITION', true));

  it('gives up on a missing topic after MISSING_TOPIC_STREAK failures in a row', () => {
    const j = new FatalityJudge();
    for (let i = 1; i < MISSING_TOPIC_STREAK; i++) expect(j.failed(missing())).toBeNull();
    expect(j.failed(missing())).toMatch(/UNKNOWN_TOPIC_OR_PARTITION 5 times in a row/);
  });

  it('a success or another kind of failure in between starts the count again (a restarting broker answers it briefly)', () => {
    const j = new FatalityJudge(3);
    j.failed(missing());
    j.failed(missing());
    j.ok();
    expect(j.failed(missing())).toBeNull();
    expect(j.failed(missing())).toBeNull();
    expect(j.failed(connectionError('ECONNREFUSED'))).toBeNull();
    expect(j.failed(missing())).toBeNull();
  });

  it('a configuration error is fatal at once; an outage never is', () => {
    const j = new FatalityJudge();
    for (let i = 0; i < 1000; i++) expect(j.failed(memberExpired())).toBeNull();
    expect(j.failed(saslError('bad password'))).toBe('KafkaJSSASLAuthenticationError');
  });
});
