import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { type DType, type Tensor, type TensorOf, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend, type InferContext } from '@graphpipe/server-core';
import { type ServeOptions, type ServerHandle, serve } from '@graphpipe/server-core/node';
import { afterAll, expect } from 'vitest';

/** Starts servers on loopback port 0 and closes them all after the file's tests. Call once per file. */
export function useServers(): (
  backends: Backend | readonly Backend[],
  options?: ServeOptions,
) => Promise<ServerHandle> {
  const open: ServerHandle[] = [];
  afterAll(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  return async (backends, options = {}) => {
    const handle = await serve(backends, { port: 0, logger: false, ...options });
    open.push(handle);
    return handle;
  };
}

/** What `infer` needs besides inputs, for calling a backend or served model directly: a config and a signal never aborted. */
export function inferContext(config = ''): InferContext {
  return { config, signal: new AbortController().signal };
}

/** One tensor of every dtype, with edge values. */
export const SAMPLES: Readonly<Record<DType, Tensor>> = {
  uint8: tensor(new Uint8Array([0, 1, 127, 128, 255, 42]), [2, 3]),
  int8: tensor(new Int8Array([-128, -1, 0, 1, 127]), [5]),
  uint16: tensor(new Uint16Array([0, 1, 0x8000, 0xffff]), [2, 2]),
  int16: tensor(new Int16Array([-32768, -1, 0, 32767]), [4, 1]),
  uint32: tensor(new Uint32Array([0, 1, 0x80000000, 0xffffffff]), [4]),
  int32: tensor(new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]), [1, 4]),
  uint64: tensor(new BigUint64Array([0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n]), [2, 2]),
  int64: tensor(new BigInt64Array([-(2n ** 63n), -1n, 2n ** 53n + 1n, 2n ** 63n - 1n]), [4]),
  // Raw IEEE half bits: 1, -2, +inf, a NaN, the smallest subnormal, -0.
  float16: tensor(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x7e01, 0x0001, 0x8000]), [3, 2], 'float16'),
  float32: tensor(new Float32Array([0, -0, 1.5, -3.25, Infinity, NaN, 3.4028234663852886e38, 1e-45]), [2, 2, 2]),
  float64: tensor(new Float64Array([Math.PI, -Number.MAX_VALUE, Number.MIN_VALUE, -Infinity, NaN]), [5]),
  string: tensor(['', 'héllo', '日本語', '😀', 'a\u0000b'], [5]),
  bool: tensor(new Uint8Array([1, 0, 0, 1]), [2, 2], 'bool'),
};

/** A conformance vector, copied into a fresh (8-aligned) buffer. */
export function vector(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../../conformance/${name}`, import.meta.url)));
}

export function hex(bytes: Uint8Array | ArrayBufferView): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The elements of a tensor in a comparable form: numbers/bigints, or strings as hex of their bytes. */
export function values(t: Tensor): unknown[] {
  if (t.dtype === 'string')
    return t.data.map((s) => (typeof s === 'string' ? Buffer.from(s, 'utf8').toString('hex') : hex(s)));
  return Array.from(t.data as ArrayLike<number | bigint>);
}

/** Same dtype, shape and element bytes. */
export function expectSameTensor(actual: Tensor | undefined, expected: Tensor): void {
  expect(actual).toBeDefined();
  expect(actual!.dtype).toBe(expected.dtype);
  expect([...actual!.shape]).toEqual([...expected.shape]);
  expect(values(actual!)).toEqual(values(expected));
  if (expected.dtype !== 'string') expect(hex(actual!.data as ArrayBufferView)).toBe(hex(expected.data));
}

/** A promise with its resolve function, to hold a backend until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A node:http request whose body the test writes by hand (and may never finish).
 * `response` resolves with the full answer, however far the body got.
 */
export function rawRequest(
  url: string,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders } = {},
) {
  const { hostname, port } = new URL(url);
  const req = http.request({
    hostname,
    port,
    method: options.method ?? 'POST',
    path: options.path ?? '/',
    headers: options.headers,
    agent: false,
  });
  const errors: Error[] = [];
  req.on('error', (err) => errors.push(err));
  const response = new Promise<RawResponse>((resolve, reject) => {
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  return { req, response, errors };
}

/** POSTs bytes with fetch (no Content-Type unless given) and returns status, headers and body. */
export async function post(
  url: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const res = await fetch(url, { method: 'POST', body: body, headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A GET's status, headers and body (JSON parsed, when there is one), and the body as text. */
export async function getJson<T = unknown>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: T; raw: string }> {
  const res = await fetch(url, { headers });
  const raw = await res.text();
  return { status: res.status, headers: res.headers, raw, body: raw ? (JSON.parse(raw) as T) : (undefined as T) };
}

/** Doubles `x` (float32 [-1, 4]) and sums each row into `total` (float64 [-1]). */
export const doubler = (options: { name?: string; version?: string } = {}) =>
  createFunctionBackend(
    ({ x }, { config }) => {
      const data = (x as TensorOf<'float32'>).data;
      const k = config === '' ? 2 : Number(config);
      const rows = x!.shape[0]!;
      const total = new Float64Array(rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < 4; c++) total[r] += data[r * 4 + c]! * k;
      return {
        y: tensor(
          data.map((v) => v * k),
          x!.shape,
        ),
        total: tensor(total, [rows]),
      };
    },
    {
      name: options.name ?? 'doubler',
      version: options.version,
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
      outputs: [
        { name: 'y', dtype: 'float32', shape: [-1, 4] },
        { name: 'total', dtype: 'float64', shape: [-1] },
      ],
    },
  );
