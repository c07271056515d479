import { RemoteModel, type Tensor, tensor, tensorFromJson } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();
const rows = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
const sums = (inputs: Readonly<Record<string, Tensor>>) => {
  const x = inputs.x!.data as Float32Array;
  return tensor(
    Float32Array.from({ length: x.length / 2 }, (_, i) => x[2 * i]! + x[2 * i + 1]!),
    [x.length / 2],
  );
};
const spec = { inputs: [{ name: 'x', dtype: 'float32' as const, shape: [-1, 2] }], outputs: [{ name: 'sum' }] };

describe('labels and examples', () => {
  test("GET /models/{name}/examples answers the model's examples, which run as they are", async () => {
    const { url } = await start(createFunctionBackend(sums, { ...spec, name: 'adder', examples: { x: rows } }));
    const answer = await fetch(`${url}/models/adder/examples`);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const examples = (await answer.json()) as Record<string, unknown>;
    expect(examples).toEqual({ x: { dtype: 'float32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] } });
    expect(await (await fetch(`${url}/models/adder/versions/1/examples`)).json()).toEqual(examples);

    const { outputs } = await new RemoteModel(`${url}/models/adder`).infer({ x: tensorFromJson(examples.x) });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([3, 7, 11]);
  });

  test('a model without examples answers {}; an unknown model 404', async () => {
    const { url } = await start(createFunctionBackend(sums, { ...spec, name: 'plain' }));
    expect(await (await fetch(`${url}/models/plain/examples`)).json()).toEqual({});
    expect((await fetch(`${url}/models/other/examples`)).status).toBe(404);
  });

  test('the JSON metadata lists the class names as Labels, when the model has them', async () => {
    const labelled = createFunctionBackend(sums, { ...spec, name: 'labelled', labels: ['cat', 'dog'] });
    const { url } = await start([labelled, createFunctionBackend(sums, { ...spec, name: 'plain' })]);
    const json = async (path: string) => (await fetch(`${url}${path}`)).json() as Promise<Record<string, unknown>>;
    expect((await json('/models/labelled')).Labels).toEqual(['cat', 'dog']);
    expect(Object.keys(await json('/models/plain'))).toEqual([
      'Name',
      'Version',
      'Server',
      'Description',
      'Inputs',
      'Outputs',
    ]);
  });

  test('an example that does not fit its input is refused when the model is served', async () => {
    const wrong = createFunctionBackend(sums, { ...spec, examples: { x: tensor(new Float32Array(3), [1, 3]) } });
    await expect(start(wrong)).rejects.toThrow(/the example for input "x" .* must have shape \[-1, 2\], got \[1, 3\]/);
    const unknown = createFunctionBackend(sums, { ...spec, examples: { y: rows } });
    await expect(start(unknown)).rejects.toThrow(/an example for "y", which is not one of its inputs/);
  });
});
