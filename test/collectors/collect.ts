// Test helper: an onBatch that records what a collector hands over, and promises that
// resolve when a condition on what arrived holds (no sleeping on wall time; the timeout
// is only a failure guard).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectedBatch, CollectedRecord, SourcePosition } from '../../services/collectors/types.js';

export class Sink {
  readonly batches: CollectedBatch[] = [];
  readonly records: CollectedRecord[] = [];
  /** The position of the last batch accepted (what a runner would have saved). */
  position: SourcePosition | undefined;
  /** When set, called before a batch is accepted; throwing rejects the batch (a failed commit). */
  gate: ((batch: CollectedBatch) => void | Promise<void>) | undefined;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  readonly onBatch = async (batch: CollectedBatch): Promise<void> => {
    await this.gate?.(batch);
    this.batches.push(batch);
    this.records.push(...batch.records);
    this.position = batch.position;
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  };

  texts(): string[] {
    return this.records.map((r) => r.text);
  }

  /** Resolves when `check()` holds after some batch; rejects after `timeoutMs` with `what`. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; got ${this.records.length} records, last: ${JSON.stringify(this.texts().slice(-3))}`));
      }, timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  untilCount(n: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.records.length >= n, `${n} records`, timeoutMs);
  }

  untilText(text: string, timeoutMs?: number): Promise<void> {
    return this.until(() => this.records.some((r) => r.text === text), `record "${text}"`, timeoutMs);
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `tripline-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Lines "<prefix>-0000" .. in order, for exactly-once checks. */
export function numbered(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}-${String(i).padStart(5, '0')}`);
  return out;
}
