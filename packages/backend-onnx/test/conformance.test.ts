import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { modelPath } from '@graphpipe/test-utils';
import { describe, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';

describe.each(['iris-classifier', 'two-in-two-out', 'identity-dtypes'])('backend conformance: %s', (model) => {
  for (const c of backendConformanceCases(() => createOnnxBackend(modelPath(`${model}.onnx`)))) test(c.name, c.run);
});
