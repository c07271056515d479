import { pino, type Logger } from 'pino';

/** JSON lines on stdout, written asynchronously so logging stays off the request path. */
export function createLogger(level = 'info'): Logger {
  return pino({ name: 'graphpipe', level }, pino.destination({ sync: false }));
}
