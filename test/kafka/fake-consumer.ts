// A stand-in for a kafkajs consumer in unit tests of the reconnect logic: a `broker` flag
// decides whether connect() works and whether run() joins the group; the test crashes it
// (CRASH with restart true/false) and makes it join (GROUP_JOIN) at will.
import type { Consumer } from 'kafkajs';
import { connectionError } from './kafkajs-errors.js';

export interface FakeBroker {
  up: boolean;
  /** When set, connect() fails with this instead (a configuration error, say). */
  refuse?: () => Error;
}

const EVENTS = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' };

export class FakeConsumer {
  readonly events = EVENTS;
  private readonly listeners = new Map<string, Array<(ev: unknown) => void>>();
  connected = false;
  disconnects = 0;
  ran = false;

  constructor(
    readonly id: number,
    private readonly broker: FakeBroker,
    private readonly assignment: number[] = [0, 1],
  ) {}

  on(name: string, fn: (ev: unknown) => void): () => void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
    return () => undefined;
  }

  private emit(name: string, payload: unknown): void {
    for (const fn of this.listeners.get(name) ?? []) fn({ id: 0, type: name, timestamp: 0, payload });
  }

  async connect(): Promise<void> {
    if (this.broker.refuse) throw this.broker.refuse();
    if (!this.broker.up) throw connectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    this.connected = true;
  }

  /** What kafkajs's run() does: join the group, or on failure crash (retriable: restart). */
  async run(): Promise<void> {
    this.ran = true;
    if (this.broker.up) this.join();
    else this.crash(connectionError('Connection error: ECONNREFUSED'), true);
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
    this.connected = false;
  }

  crash(error: Error, restart: boolean): void {
    this.emit(EVENTS.CRASH, { error, groupId: 'g', restart });
  }

  join(partitions = this.assignment): void {
    this.emit(EVENTS.GROUP_JOIN, { groupId: 'g', memberId: `m${this.id}`, isLeader: true, leaderId: `m${this.id}`, groupProtocol: 'RoundRobin', duration: 1, memberAssignment: { t: partitions } });
  }

  asConsumer(): Consumer {
    return this as unknown as Consumer;
  }
}
