/** Progress on stderr: a cli-progress bar on a terminal, one line per step elsewhere (CI logs). */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(label: string): void;
  stop(): void;
}

export function progress(tier: string, total: number, enabled = true): Progress {
  if (!enabled) return { tick() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let n = 0;
    return {
      tick: (label) => console.error(`[${tier}] ${++n}/${total} ${label}`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${tier.padEnd(12)} [{bar}] {value}/{total} {label}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: 'starting' });
  return {
    tick: (label) => bar.increment(1, { label }),
    stop: () => bar.stop(),
  };
}
