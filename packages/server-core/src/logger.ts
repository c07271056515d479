import { type Logger, pino } from 'pino';

/** JSON lines on stdout, written asynchronously so logging stays off the request path. */
export function createLogger(level = 'info'): Logger {
  return pino({ name: 'graphpipe', level }, pino.destination({ sync: false }));
}

/** The one place the default is decided: a logger given, none (false), or JSON lines on stdout. */
export function resolveLogger(option: Logger | false | undefined): Logger | false {
  return option === undefined ? createLogger() : option;
}
