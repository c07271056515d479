import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

/**
 * Connections that have not yet sent a request. When the server stops listening, a client that
 * has just connected is about to send one; closing its connection as idle would reset a request
 * already on its way, so shutdown waits for it (it gets a 503) or for the connection to close.
 */
export class FreshConnections {
  private readonly fresh = new Set<Socket>();
  private waiters: Array<() => void> = [];

  /** `event`: 'connection', or for HTTPS 'secureConnection' (the socket its requests arrive on). */
  constructor(server: Server | TlsServer, event: 'connection' | 'secureConnection' = 'connection') {
    server.on(event, (socket: Socket) => {
      this.fresh.add(socket);
      socket.once('close', () => this.settle(socket));
    });
  }

  /**
   * A connection has sent a request (called by the server's request listener: a second
   * 'request' listener would make Node copy its listener list for every request).
   */
  settle(socket: Socket): void {
    if (this.fresh.delete(socket) && this.fresh.size === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once every connection has sent a request or closed, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.fresh.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
