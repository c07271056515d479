/**
 * Serves the ONNX and the TF.js Iris classifiers on two loopback ports, and their ensemble on a
 * third, built from remote backends pointing at the first two. Then classifies held-out rows
 * with all three and prints the answers side by side.
 *
 *     pnpm --filter @graphpipe/example-ensemble start             # ensemble declared in code
 *     pnpm --filter @graphpipe/example-ensemble start --config    # the same, from ensemble.yaml
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { createTfBackend } from '@graphpipe/backend-tf';
import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { serve, type ServerHandle } from '@graphpipe/server-core/node';
import { irisEnsemble, irisEnsembleFromConfig } from './ensemble.js';
import { formatTable } from './table.js';

const models = (path: string) => fileURLToPath(new URL(`../../../models/${path}`, import.meta.url));
const testSet = JSON.parse(readFileSync(models('iris-test-set.json'), 'utf8')) as {
  classes: string[];
  features: number[][];
  labels: number[];
};

/** Held-out rows (not used in training), spread over the three classes. */
const ROWS = [3, 9, 15, 21, 27];

export interface Prediction {
  readonly label: string;
  /** The probability of that label. */
  readonly p: number;
}

export interface ExampleRow {
  readonly features: readonly number[];
  readonly truth: string;
  readonly onnx: Prediction;
  readonly tf: Prediction;
  readonly ensemble: Prediction;
}

export interface ExampleOptions {
  /** Build the ensemble from ensemble.yaml instead of in code. */
  readonly fromConfig?: boolean;
  readonly print?: (text: string) => void;
}

export async function runExample({
  fromConfig = false,
  print = console.log,
}: ExampleOptions = {}): Promise<ExampleRow[]> {
  const servers: ServerHandle[] = [];
  try {
    const quiet = { port: 0, logger: false } as const;
    const onnx = await serve(await createOnnxBackend(models('iris-classifier.onnx')), quiet);
    servers.push(onnx);
    const tf = await serve(await createTfBackend(models('tf-iris')), quiet);
    servers.push(tf);
    const ensemble = await serve(await (fromConfig ? irisEnsembleFromConfig : irisEnsemble)(onnx.url, tf.url), quiet);
    servers.push(ensemble);
    print(`ONNX ${onnx.url}   TF.js ${tf.url}   ensemble ${ensemble.url}${fromConfig ? ' (from ensemble.yaml)' : ''}`);

    const features = tensor(Float32Array.from(ROWS.flatMap((i) => testSet.features[i]!)), [ROWS.length, 4]);
    const [a, b] = await Promise.all(
      [onnx, tf].map((s) => new RemoteModel(s.url).infer({ features }, { outputNames: ['probabilities'] })),
    );
    // The ensemble's label is the argmax of its mean probabilities, computed server-side.
    const c = await new RemoteModel(ensemble.url).infer({ features }, { outputNames: ['probabilities', 'label'] });
    const rows = ROWS.map(
      (i, r): ExampleRow => ({
        features: testSet.features[i]!,
        truth: testSet.classes[testSet.labels[i]!]!,
        onnx: predict(a!.outputs[0]!, r),
        tf: predict(b!.outputs[0]!, r),
        ensemble: predict(c.byName.probabilities!, r, Number((c.byName.label!.data as BigInt64Array)[r])),
      }),
    );
    const cell = (p: Prediction) => `${p.label} ${p.p.toFixed(3)}`;
    print(
      formatTable(
        ['features (cm)', 'true class', 'ONNX', 'TF.js', 'ensemble (mean)'],
        rows.map((row) => [row.features.join(', '), row.truth, cell(row.onnx), cell(row.tf), cell(row.ensemble)]),
      ),
    );
    return rows;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

/** Row r's label (by default its most probable class) and that class's probability. */
function predict(probabilities: Tensor, r: number, label?: number): Prediction {
  const row = Array.from((probabilities.data as Float32Array).subarray(r * 3, r * 3 + 3));
  const best = label ?? row.indexOf(Math.max(...row));
  return { label: testSet.classes[best]!, p: row[best]! };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runExample({ fromConfig: process.argv.includes('--config') });
}
