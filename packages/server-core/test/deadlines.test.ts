import { expect, test, vi } from 'vitest';
import { clearDeadline, setDeadline } from '../src/http/deadlines.js';

test('a deadline fires once, after its time and at most a quarter of it late; a cleared one never', async () => {
  const fired: string[] = [];
  const started = performance.now();
  let firedAt = 0;
  setDeadline(80, () => {
    fired.push('a');
    firedAt = performance.now() - started;
  });
  const b = setDeadline(40, () => fired.push('b'));
  clearDeadline(b);
  await vi.waitFor(() => expect(fired).toEqual(['a']), { timeout: 2000, interval: 5 });
  expect(firedAt).toBeGreaterThanOrEqual(79);
  // Checked every max(5, 80 / 4) ms: late by one period at most, plus the test's own scheduling.
  expect(firedAt).toBeLessThan(80 + 20 + 200);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(fired).toEqual(['a']);
});
