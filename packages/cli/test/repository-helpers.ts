import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerHandle } from '@graphpipe/server-core/node';
import { selfSignedCertificate } from '@graphpipe/test-utils/tls';
import { encodeModel, floatInit, node, valueInfo } from '@graphpipe/test-utils/onnx';
import { afterAll } from 'vitest';
import { modelPath } from '@graphpipe/test-utils';

/** Imports backends from here, as the CLI does from its own place. */
export const importer = (name: string) => import(name);

export const ADMIN_TOKEN = 'admin-s3cret-7f1c';

/** An ONNX model of y = x + k (float32 [n]): an answer to x = 0 says which model ran. */
export function addingModel(k: number): Uint8Array {
  return encodeModel({
    name: `add_${k}`,
    doc: `x + ${k}`,
    inputs: [valueInfo('x', 'float32', ['n'])],
    outputs: [valueInfo('y', 'float32', ['n'])],
    nodes: [node('Add', ['x', 'k'], ['y'])],
    initializers: [floatInit('k', [1], new Float32Array([k]))],
  });
}

/** An ONNX model holding `mib` MiB of weights (y = x·W, W of [256·mib, 1024]). */
export function heavyModel(mib: number): Uint8Array {
  const rows = 256 * mib;
  const w = new Float32Array(rows * 1024).map((_, i) => (i % 251) / 251);
  return encodeModel({
    name: 'heavy',
    doc: `${mib} MiB of weights`,
    inputs: [valueInfo('x', 'float32', ['n', rows])],
    outputs: [valueInfo('y', 'float32', ['n', 1024])],
    nodes: [node('MatMul', ['x', 'w'], ['y'])],
    initializers: [floatInit('w', [rows, 1024], w)],
  });
}

/** Temporary directories, removed after the file's tests. */
export function useTempDirs(): (prefix?: string) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix = 'graphpipe-repository-') => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** Writes `bytes` (or copies a bundled model, by its path under models/) to `path` in `dir`. */
export async function put(dir: string, path: string, content: Uint8Array | string | { bundled: string }) {
  const target = join(dir, path);
  await mkdir(dirname(target), { recursive: true });
  if (typeof content === 'object' && 'bundled' in content) {
    await cp(modelPath(content.bundled), target, { recursive: true });
  } else {
    await writeFile(target, content);
  }
}

/** A self-signed certificate and its key written to `dir`, and the serve options that use them. */
export async function certificateFiles(dir: string): Promise<{ certFile: string; tlsArgs: string[] }> {
  const { cert, key } = await selfSignedCertificate();
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await writeFile(certFile, cert);
  await writeFile(keyFile, key, { mode: 0o600 });
  return { certFile, tlsArgs: ['--tls-cert', certFile, '--tls-key', keyFile] };
}

/** POSTs to a repository route, with the admin token unless told otherwise. */
export async function adminPost(
  server: ServerHandle,
  path: string,
  { token = ADMIN_TOKEN, body }: { token?: string | null; body?: string } = {},
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}

/** The repository index, as the API gives it. */
export async function indexOf(server: ServerHandle, ready = false): Promise<unknown[]> {
  const res = await adminPost(server, '/v2/repository/index', { body: ready ? '{"ready": true}' : '' });
  if (res.status !== 200) throw new Error(`index answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as unknown[];
}
