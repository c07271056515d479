import * as net from 'node:net';

/**
 * POSTs with the path exactly as given, over a bare socket, and resolves with the answer's
 * status: a URL parser (fetch's, http.request's) would normalise dot segments away before they
 * reached the server.
 */
export function rawPostStatus(
  port: number,
  path: string,
  { body = new Uint8Array(0), headers = {} }: { body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\n${lines.join('')}content-length: ${body.length}\r\n\r\n`);
    socket.write(body);
  });
}

/**
 * Writes `request` (its head, the blank line, and any body; as latin1) over a bare socket and
 * resolves with every byte the server sends, as latin1 text, once it closes the connection (or
 * after `waitMs`): what a client sees, interim answers (100 Continue) and bodies included.
 */
export function rawExchange(port: number, request: string, { waitMs = 5000 } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', reject);
    socket.write(request, 'latin1');
  });
}
