// The live collector contract: bytes in, records with resumable positions out.
// A collector hands records to the runner in batches and waits for each batch's
// promise: that await is the backpressure (a slow engine stops the reading, no
// unbounded buffers). The runner saves `position` only after the batch's effects are
// durable, and passes the saved position back to `start` after a restart.
import type { InputKind } from '../../schemas/event.js';

/** Opaque, JSON-serializable resume point of one source (file identity + offset, journal cursor, ...). */
export type SourcePosition = Record<string, unknown>;

export interface CollectedRecord {
  text: string;
  /** Human-readable place ("audit.log line 12", "cursor s=…"), for evidence and dead letters. */
  position: string;
  invalidUtf8: boolean;
  truncated: boolean;
  /** Reference time for year inference (the file's mtime), when known. */
  refMs?: number;
  /** Host to use when the line names none (syslog peer, Loki labels). */
  defaultHost?: string;
}

export interface CollectedBatch {
  source: string;
  kind: InputKind;
  records: CollectedRecord[];
  /** Where to resume once every record of this batch has been processed. */
  position: SourcePosition;
}

export interface CollectorStatus {
  opened: boolean;
  /** Human-readable description of what is being read, e.g. the resolved file paths. */
  detail: string;
  /** Records dropped or cut by the collector itself (oversized syslog messages, ...). */
  truncated: number;
}

export interface Collector {
  readonly name: string;
  readonly kind: InputKind;
  /**
   * Starts reading from `from` (a position this collector returned earlier) or from
   * its configured start (`startAt: end|beginning`) when undefined. Resolves once
   * the source is opened; records then flow to `onBatch` until stop().
   */
  start(from: SourcePosition | undefined, onBatch: (batch: CollectedBatch) => Promise<void>): Promise<void>;
  /** Stops reading; resolves after the last onBatch call has settled. */
  stop(): Promise<void>;
  status(): CollectorStatus;
}
