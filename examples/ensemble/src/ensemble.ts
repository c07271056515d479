import { fileURLToPath } from 'node:url';
import {
  createArgmaxBackend,
  createEnsembleBackend,
  createPipelineBackend,
  createRemoteBackend,
  defaultLoaders,
  loadComposition,
} from '@graphpipe/compose';
import type { Backend } from '@graphpipe/server-core';

export const CONFIG = fileURLToPath(new URL('../ensemble.yaml', import.meta.url));

/** The mean of both models' probabilities, then its argmax as the label; the models are served elsewhere. */
export async function irisEnsemble(onnxUrl: string, tfUrl: string): Promise<Backend> {
  return createPipelineBackend({
    name: 'iris-ensemble',
    description: 'Mean of the ONNX and TF.js Iris classifiers, served through GraphPipe',
    stages: [
      {
        name: 'vote',
        backend: createEnsembleBackend({
          name: 'vote',
          members: { 'onnx-iris': await createRemoteBackend(onnxUrl), 'tf-iris': await createRemoteBackend(tfUrl) },
          combine: { probabilities: 'mean' },
        }),
      },
      { name: 'label', backend: createArgmaxBackend({ input: 'probabilities', output: 'label', shape: [-1, 3] }) },
    ],
    returns: ['probabilities', 'label'],
  });
}

/** The same ensemble from ensemble.yaml. */
export function irisEnsembleFromConfig(onnxUrl: string, tfUrl: string): Promise<Backend> {
  return loadComposition(CONFIG, defaultLoaders, { vars: { ONNX_URL: onnxUrl, TF_URL: tfUrl } });
}
