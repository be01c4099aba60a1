// The figures the hardening suite reports (issue 9's note): printed as one
// `[hardening] <what>: <json>` line each, and appended as JSON lines to the file named by
// TRIPLINE_HARDENING_REPORT when that is set (CI keeps it as an artifact).
import { appendFileSync } from 'node:fs';

export function report(what: string, data: Record<string, unknown>): void {
  const line = JSON.stringify({ what, ...data });
  console.log(`[hardening] ${what}: ${JSON.stringify(data)}`);
  const file = process.env['TRIPLINE_HARDENING_REPORT'];
  if (file) appendFileSync(file, `${line}\n`);
}

/** Own keys and property descriptors of the shared prototypes, to prove nothing was polluted. */
export function prototypeFingerprint(): string {
  const describe = (o: object) =>
    Reflect.ownKeys(o)
      .map((k) => `${String(k)}:${typeof (Object.getOwnPropertyDescriptor(o, k)?.value ?? 'accessor')}`)
      .sort()
      .join(',');
  return [Object.prototype, Array.prototype, String.prototype, Function.prototype, Number.prototype].map(describe).join('|');
}

/** True while no shared prototype has gained the well-known pollution markers. */
export function unpolluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return probe['polluted'] === undefined && probe['isAdmin'] === undefined && ([] as unknown as Record<string, unknown>)['polluted'] === undefined;
}
