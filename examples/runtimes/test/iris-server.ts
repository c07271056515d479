/**
 * A server of the Iris model started as a user would (a runtime's binary running a program), and
 * the checks every runtime must pass: our client, the original implementations' bytes, a malformed
 * and an oversize request, health, metrics where the runtime has them, and a graceful stop.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { RemoteModel } from '@graphpipe/client';
import { decodeMetadataResponse, ERROR_CODE_HEADER, tensor } from '@graphpipe/protocol';
import { REPO_ROOT } from '@graphpipe/test-utils';
import { expect, vi } from 'vitest';

/** The body limit every server here is started with, so an oversize body stays small. */
export const MAX_BODY_MB = 1;

export interface Served {
  readonly url: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `command`, and resolves once it prints `serving <name> on <url>`. */
export function startServing(command: string, args: readonly string[]): Promise<Served> {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (text: string) => {
      printed += text;
      // The CLI under Bun says after the URL which server answers.
      const url = /^serving \S+ on (http:\/\/\S+)(?: \(Bun\.serve, .*\))?$/m.exec(printed)?.[1];
      if (url) resolve({ url, child, output: () => printed, exited });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (text: string) => (printed += text));
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`${command} ${args.join(' ')} exited (${code}):\n${printed}`)));
  });
}

const conformance = (file: string) => readFileSync(join(REPO_ROOT, 'conformance', file));

/**
 * Each on a connection of its own: a server may refuse a body (413) before reading it and drop the
 * connection, and the next fetch must not find that connection in its pool and be reset.
 */
async function post(url: string, body: Uint8Array) {
  const response = await fetch(url, {
    method: 'POST',
    body: body as Uint8Array<ArrayBuffer>,
    headers: { connection: 'close' },
  });
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** An error answer: its status, one line of text, the code named in its header. */
async function expectError(url: string, body: Uint8Array, status: number, code: string, text: RegExp) {
  const { response, bytes } = await post(url, body);
  const message = new TextDecoder().decode(bytes);
  expect({ status: response.status, code: response.headers.get(ERROR_CODE_HEADER) }, message).toEqual({
    status,
    code,
  });
  expect(message).toMatch(text);
  expect(message.trim()).not.toContain('\n');
}

export async function checkIrisServer(url: string, { metrics }: { metrics: boolean }): Promise<void> {
  for (const probe of ['/readyz', '/healthz']) {
    const response = await fetch(`${url}${probe}`);
    expect([probe, response.status, (await response.text()).trim()]).toEqual([probe, 200, 'ok']);
  }

  // Our client.
  const model = new RemoteModel(url);
  expect((await model.metadata()).name).toBe('iris-classifier');
  const features = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), [2, 4]);
  const { byName } = await model.infer({ features });
  expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n, 2n]);
  expect(byName.probabilities!.shape).toEqual([2, 3]);

  // The original clients' bytes: metadata requests (union type NONE too), and inference requests
  // this model cannot take.
  for (const file of ['sample_metadata_request.bin', 'py_metadatareq.bin', 'request_none_type.bin']) {
    const { response, bytes } = await post(url, conformance(file));
    expect([file, response.status, response.headers.get('content-type')]).toEqual([
      file,
      200,
      'application/octet-stream',
    ]);
    expect(decodeMetadataResponse(bytes).name).toBe('iris-classifier');
  }
  await expectError(url, conformance('sample_request.bin'), 400, 'INVALID_ARGUMENT', /shape \[-1, 4\], got \[2, 3\]/);
  await expectError(url, conformance('py_inferreq.bin'), 400, 'INVALID_ARGUMENT', /"some"/);

  // Bytes that are not a GraphPipe message, and a body over the limit.
  await expectError(url, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]), 400, 'INVALID_MESSAGE', /./);
  await expectError(url, new Uint8Array(MAX_BODY_MB * 2 ** 20 + 1), 413, 'PAYLOAD_TOO_LARGE', /maxBodyBytes/);

  // The playground page for a browser; any other client keeps getting the metadata JSON at GET /.
  const page = await fetch(url, { headers: { accept: 'text/html' } });
  expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
  expect(await page.text()).toContain('<title>GraphPipe playground</title>');
  expect(((await (await fetch(url)).json()) as { Name: string }).Name).toBe('iris-classifier');

  const scrape = await fetch(`${url}/metrics`);
  if (metrics) {
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(
      /^graphpipe_requests_total\{protocol="graphpipe",kind="infer",status="200",model="iris-classifier"/m,
    );
    expect(text).toMatch(/^graphpipe_requests_total\{protocol="graphpipe",kind="invalid",status="413"/m);
  } else {
    expect(scrape.status).toBe(404);
  }
}

/** SIGTERM: not ready during the grace period, then the process exits 0. */
export async function checkGracefulStop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  // The signal arrives when it arrives: poll readiness until it says so.
  await vi.waitFor(async () => expect((await fetch(`${served.url}/readyz`)).status).toBe(503), {
    timeout: 5_000,
    interval: 20,
  });
  expect(await served.exited, served.output()).toBe(0);
}
