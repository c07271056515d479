// The README's "serve a function, call it" snippet, verbatim except for port 0.

import { readFileSync } from 'node:fs';
import { RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { serve } from '@graphpipe/server-core/node';
import { expect, test, vi } from 'vitest';

const SNIPPET_BODY = `const double = createFunctionBackend(({ input0 }) => tensor((input0.data as Float32Array).map((x) => x * 2), input0.shape),
  { name: 'double', inputs: [{ name: 'input0', dtype: 'float32', shape: [-1] }] });
const server = await serve(double, { port: 9000 });
const model = new RemoteModel(server.url);
const { outputs } = await model.infer(tensor(new Float32Array([1, 2, 3])));
console.log(outputs[0].data); // Float32Array [2, 4, 6]
await server.close();`;

test('the README still shows the snippet this file runs', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(SNIPPET_BODY);
});

test('the README example serves a function and calls it', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const double = createFunctionBackend(
      ({ input0 }) =>
        tensor(
          (input0.data as Float32Array).map((x) => x * 2),
          input0.shape,
        ),
      { name: 'double', inputs: [{ name: 'input0', dtype: 'float32', shape: [-1] }] },
    );
    const server = await serve(double, { port: 0 });
    const model = new RemoteModel(server.url);
    const { outputs } = await model.infer(tensor(new Float32Array([1, 2, 3])));
    console.log(outputs[0].data); // Float32Array [2, 4, 6]
    await server.close();

    expect(log).toHaveBeenCalledTimes(1);
    const printed = log.mock.calls[0]![0] as unknown;
    expect(printed).toBeInstanceOf(Float32Array);
    expect(Array.from(printed as Float32Array)).toEqual([2, 4, 6]);
    // The server really is gone.
    await expect(fetch(server.url)).rejects.toThrow();
  } finally {
    log.mockRestore();
  }
});
