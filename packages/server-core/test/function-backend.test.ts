import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { post, text, useServers } from './helpers.js';

const start = useServers();

test('an answer by name that leaves out an output called "constructor" is a 500 naming it', async () => {
  const backend = createFunctionBackend(() => ({}), { outputs: [{ name: 'constructor' }] });
  const { url } = await start(backend);
  const res = await post(url, encodeInferRequest({ inputs: [tensor(new Float32Array(2))] }));
  expect({ status: res.status, body: text(res.bytes) }).toEqual({
    status: 500,
    body: 'the model returned no output "constructor"\n',
  });
});
