import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { inferContext, post, text, useServers } from './helpers.js';

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

const run = inferContext();
const t = tensor(new Float32Array([1, 2]), [2]);

test('a function that throws gives a rejected promise, never a throw from infer', async () => {
  const backend = createFunctionBackend(() => {
    throw new Error('broken on purpose');
  });
  let answer: Promise<unknown> | undefined;
  expect(() => {
    answer = backend.infer({ input0: t }, ['output0'], run);
  }).not.toThrow();
  await expect(answer).rejects.toThrow('broken on purpose');
});

test('answers now, as a promise, or as any thenable are all taken by name', async () => {
  const answers = [
    () => t,
    async () => t,
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise, on purpose
    () => ({ then: (resolve: (value: typeof t) => void) => resolve(t) }) as unknown as Promise<typeof t>,
  ];
  for (const answer of answers) {
    const out = await createFunctionBackend(answer).infer({ input0: t }, ['output0'], run);
    expect(out.output0).toBe(t);
  }
});

test('a model name is checked where it is set, and a name the routes would refuse is never served', async () => {
  const rule = 'invalid model name "my model": use letters, digits, "_", "-" and "." (not only dots)';
  expect(() => createFunctionBackend(() => ({}), { name: 'my model' })).toThrow(rule);
  // A function's own name is made into one: bound functions are called "bound f".
  const bound = createFunctionBackend(
    function f() {
      return {};
    }.bind(null),
  );
  expect(bound.metadata.name).toBe('bound_f');
  // A backend declaring such a name itself is refused when served.
  const declaring = { ...bound, metadata: { ...bound.metadata, name: 'my model' } };
  await expect(start(declaring)).rejects.toThrow(`${rule}; serve it under another name`);
});
