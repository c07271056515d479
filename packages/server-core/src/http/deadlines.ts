/**
 * Deadlines checked by one periodic timer instead of a timer each: a body timeout is set for
 * every request and almost never fires, and a timer per request costs more than the check. A
 * deadline fires up to a quarter of its length late (at most a second), which is fine for
 * timeouts counted in seconds. The timer stops at its first tick with nothing to watch, not as
 * the last deadline clears: one request at a time would otherwise start and stop it for each.
 */
export interface Deadline {
  readonly at: number;
  readonly expire: () => void;
}

const watched = new Set<Deadline>();
let timer: ReturnType<typeof setInterval> | undefined;
let period = Number.POSITIVE_INFINITY;

/** Calls `expire` once `ms` have passed, unless `clearDeadline` comes first. */
export function setDeadline(ms: number, expire: () => void): Deadline {
  const deadline = { at: performance.now() + ms, expire };
  watched.add(deadline);
  const wanted = Math.max(5, Math.min(1000, ms / 4));
  if (!timer || wanted < period) restart(wanted);
  return deadline;
}

export function clearDeadline(deadline: Deadline): void {
  watched.delete(deadline);
}

function restart(ms: number): void {
  if (timer) clearInterval(timer);
  period = ms;
  timer = setInterval(check, ms);
  // Pending deadlines alone must not keep a process alive (Node; other runtimes have no unref).
  (timer as { unref?: () => void }).unref?.();
}

function check(): void {
  if (watched.size === 0) {
    clearInterval(timer);
    timer = undefined;
    period = Number.POSITIVE_INFINITY;
    return;
  }
  const now = performance.now();
  for (const deadline of watched) {
    if (deadline.at <= now) {
      clearDeadline(deadline);
      deadline.expire();
    }
  }
}
