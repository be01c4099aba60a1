// Structured JSON logs (pino) on stderr. Every drop or failure logs one line whose
// `code` is a stable error code (convention 8) and whose labels match its metric.
// Secrets never reach a log line: redact covers the config paths that can hold them.
import { pino, type Logger } from 'pino';

export type Log = Logger;

export function createLog(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Log {
  return pino(
    {
      level: opts.level ?? process.env['TRIPLINE_LOG_LEVEL'] ?? 'info',
      base: { app: 'tripline' },
      redact: { paths: ['webhookUrl', '*.webhookUrl', 'password', '*.password', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything (tests, library use). */
export const silentLog: Log = pino({ level: 'silent' });
