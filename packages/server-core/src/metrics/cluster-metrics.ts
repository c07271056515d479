import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * One /metrics for a server of several worker processes (Node's cluster module): a worker asked
 * for metrics asks the primary, which gathers every worker's registry with prom-client's
 * AggregatorRegistry (counters and histograms add up) and answers.
 */
const ASK = 'graphpipe:metrics-ask';
const ANSWER = 'graphpipe:metrics-answer';

interface Ask {
  readonly type: typeof ASK;
  readonly id: number;
}
interface Answer {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly text?: string;
  readonly contentType?: string;
  readonly error?: string;
}

/** In the primary: answers the workers' requests for the whole cluster's metrics. Returns a stop function. */
export function answerClusterMetrics(): () => void {
  const aggregator = new AggregatorRegistry();
  const onMessage = (worker: Worker, message: Ask) => {
    if (message?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text, contentType: aggregator.contentType }),
      (err: Error) => worker.send({ type: ANSWER, id: message.id, error: err.message }),
    );
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}

/** In a worker: a scrape of the whole cluster, asked of the primary; this worker's registry is its share. */
export function clusterScrape(
  registry: Registry,
  timeoutMs = 10_000,
): () => Promise<{ text: string; contentType: string }> {
  if (!cluster.isWorker || !process.send) throw new Error('cluster metrics are for the workers of a cluster');
  AggregatorRegistry.setRegistries([registry]);
  // prom-client starts answering the primary's requests only once an aggregator exists here too.
  new AggregatorRegistry();
  let next = 0;
  const pending = new Map<number, (answer: Answer) => void>();
  process.on('message', (message: Answer) => {
    if (message?.type === ANSWER) pending.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary process did not answer for metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer.error !== undefined || answer.text === undefined) reject(new Error(answer.error ?? 'no metrics'));
        else resolve({ text: answer.text, contentType: answer.contentType ?? registry.contentType });
      });
      process.send!({ type: ASK, id } satisfies Ask);
    });
}
