// kafkajs errors built the way kafkajs builds and wraps them at runtime (its .d.ts
// constructor signatures are narrower than the JavaScript ones), for the unit tests of
// the Kafka roles' reconnect policy.
import * as kafkajs from 'kafkajs';

type Ctor = new (...args: unknown[]) => Error;
const make = (name: keyof typeof kafkajs, ...args: unknown[]): Error => new (kafkajs[name] as unknown as Ctor)(...args);

/** A broker error code, as kafkajs's protocol layer raises it. */
export const protocolError = (type: string, retriable: boolean, message = type): Error => make('KafkaJSProtocolError', { type, code: 0, retriable, message });
/** What kafkajs's retrier rejects with for a non-retriable error. */
export const nonRetriable = (e: Error): Error => make('KafkaJSNonRetriableError', e, { cause: e });
/** What kafkajs's retrier rejects with once retries are exhausted. */
export const retriesExceeded = (e: Error): Error => make('KafkaJSNumberOfRetriesExceeded', e, { retryCount: 8, retryTime: 10_000 });
export const connectionError = (message: string): Error => make('KafkaJSConnectionError', message);
export const requestTimeout = (message: string): Error => make('KafkaJSRequestTimeoutError', message);
export const saslError = (message: string): Error => make('KafkaJSSASLAuthenticationError', message);
/** The coordinator forgot our member during an outage (the OffsetCommit answer after it). */
export const memberExpired = (): Error => nonRetriable(protocolError('UNKNOWN_MEMBER_ID', false, 'The coordinator is not aware of this member'));
