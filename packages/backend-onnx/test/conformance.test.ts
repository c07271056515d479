import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { describe, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';
import { modelPath } from './helpers.js';

describe.each(['iris-classifier', 'two-in-two-out', 'identity-dtypes'])('backend conformance: %s', (model) => {
  for (const c of backendConformanceCases(() => createOnnxBackend(modelPath(model)))) test(c.name, c.run);
});
