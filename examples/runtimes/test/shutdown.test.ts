/**
 * Graceful shutdown on Bun's and Deno's entry points, on their own binaries: after SIGTERM the
 * server says not ready and turns new work away (503) for the grace period, the request already
 * in flight gets its whole answer, then the process exits 0.
 */
import { RemoteModel } from '@graphpipe/client';
import { tensor } from '@graphpipe/protocol';
import { runtimeBinary } from '@graphpipe/test-utils';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { type Served, startServing } from './iris-server.js';

const SCRIPT = 'examples/runtimes/test/fixtures/slow-model.ts';
const RUNNERS = { bun: [SCRIPT], deno: ['run', '-A', SCRIPT] } as const;

describe.each(['bun', 'deno'] as const)('shutdown on %s', (runtime) => {
  let served: Served | undefined;
  afterAll(() => {
    served?.child.kill('SIGKILL');
  });

  test('the request in flight is answered in full; new work meanwhile gets 503; then exit 0', async () => {
    served = await startServing(runtimeBinary(runtime), [
      ...RUNNERS[runtime],
      '--delay-ms',
      '1500',
      '--grace-ms',
      '300',
    ]);
    const { url } = served;
    const model = new RemoteModel(url, { retries: 0 });
    const big = tensor(
      new Float32Array(200_000).map((_, i) => i),
      [200_000],
    );
    const inFlight = model.infer(big);
    // Wait until the model is running it, by the server's own count.
    await vi.waitFor(
      async () =>
        expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^graphpipe_inferences_running\{[^}]*\} 1$/m),
      { timeout: 5_000, interval: 20 },
    );
    served.child.kill('SIGTERM');
    await vi.waitFor(async () => expect((await fetch(`${url}/readyz`)).status).toBe(503), {
      timeout: 5_000,
      interval: 20,
    });
    await expect(model.infer(tensor(new Float32Array([1]), [1]))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const { outputs } = await inFlight;
    expect(outputs[0]!.shape).toEqual([200_000]);
    expect((outputs[0]!.data as Float32Array)[199_999]).toBe(199_999);
    expect(await served.exited, served.output()).toBe(0);
  }, 30_000);
});
