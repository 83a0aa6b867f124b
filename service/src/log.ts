import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino blanks in every line, so a secret never reaches a log. */
export const REDACT_PATHS = [
  'secret',
  'shared_secret',
  'SHARED_SECRET',
  'api_key',
  'API_KEY',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config.SHARED_SECRET',
  'config.API_KEY',
  '*.secret',
  '*.apiKey',
];

/** The process's root logger; components take `log.child({ component })`. */
export function createLogger(options: { name: string; level: LevelWithSilent; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
