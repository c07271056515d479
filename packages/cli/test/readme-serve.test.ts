import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteModel, tensor } from '@graphpipe/client';
import { expect, test } from 'vitest';
import { freePort } from '@graphpipe/test-utils';
import { repoRoot, startUntil, stop } from './helpers.js';

// The README's main command, `pnpm serve`, run as written (with the port moved off 9000).
test('pnpm serve starts the bundled iris classifier, answers, and shuts down on Ctrl-C', async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  expect(readme).toContain('npx -y pnpm@10.24.0 install && npx -y pnpm@10.24.0 serve');
  const port = await freePort();
  const pnpm = join(repoRoot, 'node_modules/.bin/pnpm');
  // Turbo prints its telemetry notice once per machine, then notes in its config dir that it did:
  // a config dir of its own makes every run the first, and the script alone must keep it quiet.
  const turboConfig = mkdtempSync(join(tmpdir(), 'graphpipe-turbo-config-'));
  const { child, match, output } = await startUntil(pnpm, ['serve'], /serving iris-classifier on (http:\/\/\S+)/, {
    PORT: String(port),
    XDG_CONFIG_HOME: turboConfig,
    TURBO_TELEMETRY_DISABLED: undefined,
    DO_NOT_TRACK: undefined,
  });
  try {
    expect(match[1]).toBe(`http://127.0.0.1:${port}`);
    const model = new RemoteModel(match[1]!);
    const { byName } = await model.infer(tensor(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), [2, 4]), {
      outputNames: ['label'],
    });
    expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n, 2n]);

    // The README's curl call over the Open Inference Protocol, and the start of the answer it shows.
    const [, path, body] = /curl -s localhost:9000(\S+) -d '([^']+)'/.exec(readme)!;
    const shown = /\n# (\{"model_name".*?)…/.exec(readme)![1]!;
    const answer = await fetch(`${match[1]}${path}`, { method: 'POST', body });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toMatch(new RegExp(`^${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  } finally {
    await stop(child, 'SIGINT');
    rmSync(turboConfig, { recursive: true, force: true });
  }
  expect(output()).not.toMatch(/^Attention:|anonymous telemetry/im); // turbo's notice
  expect(output()).toMatch(/"signal":"SIGINT","msg":"shutting down"/);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
}, 120_000);
