/**
 * Shutdown under load, as an orchestrator does it: many concurrent multi-megabyte answers, then
 * SIGTERM at various moments. Every request must end in a complete 200, a 503 (told to retry
 * elsewhere), or a connection refused before anything was sent: never an answer cut short or a
 * reset after the request went out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { decodeInferResponse, encodeInferRequest, tensor } from '@graphpipe/client';
import { afterAll, expect, test } from 'vitest';

const ROUNDS = 20;
const CLIENTS = 8;
/** Milliseconds from the requests' start to SIGTERM, cycled over the rounds. */
const SIGTERM_AFTER = [0, 5, 20, 50, 100, 200];
const GRACE_MS = 800;
/**
 * Callers that come after SIGTERM: during the grace period (with a wide margin, as a load
 * balancer that is still moving traffic away; the margin also absorbs this test process being
 * slow to send on a busy machine), and well after it, when nothing listens any more. A
 * connection that reaches the kernel in the very instant the listener closes can be reset: that
 * is the race the grace period exists to keep traffic away from.
 */
const LATE_DURING_GRACE_MS = [0, 60, 120, 180];
const LATE_AFTER_GRACE_MS = GRACE_MS + 300;
const ROW = 224 * 224 * 3;

type Outcome = 'complete' | 'unavailable' | 'refused' | 'cut';

const fixture = fileURLToPath(new URL('./fixtures/identity-server.mjs', import.meta.url));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the server process; resolves with it and its port once it listens. */
async function startServer(
  options: object,
): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [fixture, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code !== 0) console.error(`server exited with ${code ?? signal}:\n${stderr}`);
      resolve(code);
    }),
  );
  void exited.then(() => children.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it listened: ${out}`)));
  });
  return { child, port, exited };
}

/** One request on its own connection, classified by what came back. */
function call(port: number, body: Uint8Array, expected: Float32Array): Promise<{ outcome: Outcome; detail: string }> {
  return new Promise((resolve) => {
    let sent = false;
    let settled = false;
    const done = (outcome: Outcome, detail: string) => {
      if (settled) return;
      settled = true;
      resolve({ outcome, detail });
    };
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      agent: false,
      headers: { 'content-length': body.length },
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !sent) done('refused', err.code);
      else done('cut', `request failed after it was sent: ${err.code ?? err.message}`);
    });
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => done('cut', `answer ${res.statusCode} broke: ${err.message}`));
      res.on('aborted', () => done('cut', `answer ${res.statusCode} aborted`));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        // Without a Content-Length (chunked), 'end' itself says the answer arrived whole.
        const whole = res.headers['content-length'] === undefined || bytes.length === declared;
        if (!whole) return done('cut', `${res.statusCode}: ${bytes.length} of ${declared} bytes`);
        if (res.statusCode === 503) return done('unavailable', bytes.toString());
        if (res.statusCode !== 200) return done('cut', `unexpected ${res.statusCode}: ${bytes.toString()}`);
        const out = decodeInferResponse(new Uint8Array(bytes)).outputs[0]!.data as Float32Array;
        const same = out.length === expected.length && out.every((v, i) => v === expected[i]);
        done(same ? 'complete' : 'cut', same ? '' : 'the answer differs from the request');
      });
    });
    req.on('socket', (socket) => socket.once('connect', () => (sent = true)));
    req.end(body);
  });
}

test(`${ROUNDS} rounds of SIGTERM during ${CLIENTS} concurrent 4.8 MB answers: nothing cut`, async () => {
  const rows = new Float32Array(8 * ROW).map((_, i) => (i % 1000) / 7);
  const body = encodeInferRequest({ inputs: [tensor(rows, [8, 224, 224, 3])] });
  const counts: Record<Outcome, number> = { complete: 0, unavailable: 0, refused: 0, cut: 0 };
  const cuts: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { child, port, exited } = await startServer({ shutdownGraceMs: GRACE_MS, drainTimeoutMs: 10_000 });
    const calls = Array.from({ length: CLIENTS }, () => call(port, body, rows));
    const after = SIGTERM_AFTER[round % SIGTERM_AFTER.length]!;
    await delay(after);
    child.kill('SIGTERM');
    const signalled = performance.now();
    for (const at of [...LATE_DURING_GRACE_MS, LATE_AFTER_GRACE_MS]) {
      await delay(at - (performance.now() - signalled));
      calls.push(call(port, body, rows));
    }
    (await Promise.all(calls)).forEach(({ outcome, detail }, i) => {
      counts[outcome]++;
      if (outcome === 'cut') cuts.push(`round ${round} (SIGTERM after ${after} ms), call ${i}: ${detail}`);
    });
    expect(await exited, `round ${round}: exit code`).toBe(0);
  }
  console.log(`shutdown under load, ${ROUNDS} rounds: ${JSON.stringify(counts)}`);
  expect(cuts).toEqual([]);
  expect(counts.complete).toBeGreaterThan(0);
  expect(counts.unavailable).toBeGreaterThan(0);
  expect(counts.refused).toBeGreaterThanOrEqual(ROUNDS);
}, 180_000);
