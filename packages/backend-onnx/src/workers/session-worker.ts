/** A worker thread holding one InferenceSession; it runs one request at a time for the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '@graphpipe/protocol';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { runSession } from '../run-session.js';
import type { RunOutputs, RunRequest, WorkerInit, WorkerReply } from './worker-protocol.js';

const port = parentPort!;
const { source, options } = workerData as WorkerInit;

// onnxruntime-node takes bytes only in an ArrayBuffer, not a SharedArrayBuffer, so each worker copies them.
// A load failure is thrown here and reaches the pool as the worker's 'error' event.
const session =
  typeof source === 'string'
    ? await InferenceSession.create(source, options)
    : await InferenceSession.create(new Uint8Array(source).slice(), options);

port.on('message', async ({ feeds, fetched }: RunRequest) => {
  try {
    const ortFeeds = Object.fromEntries(
      Object.entries(feeds).map(([name, t]) => [name, new OrtTensor(t.type, unshared(t.data), t.dims)]),
    );
    const results = await runSession(session, ortFeeds, fetched);
    const outputs: RunOutputs = Object.fromEntries(
      Object.entries(results).map(([name, t]) => [name, { type: t.type, dims: t.dims, data: t.data }]),
    );
    reply({ kind: 'done', outputs }, buffersOf(outputs));
  } catch (err) {
    reply({ kind: 'failed', message: messageOf(err) });
  }
});
reply({ kind: 'ready', io: { inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata } });

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/** onnxruntime-node refuses arrays over a SharedArrayBuffer ("Invalid argument"), so a shared input is copied. */
function unshared(data: OrtTensor.DataType): OrtTensor.DataType {
  return !Array.isArray(data) && data.buffer instanceof SharedArrayBuffer ? data.slice() : data;
}

/** The outputs' buffers, fresh from onnxruntime and owned by no one else here: moved, not copied. */
function buffersOf(outputs: RunOutputs): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of Object.values(outputs)) {
    if (!Array.isArray(data) && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
  }
  return [...buffers];
}
