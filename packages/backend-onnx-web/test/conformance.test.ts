import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { describe, test } from 'vitest';
import { createOnnxWebBackend } from '../src/index.js';
import { modelBytes } from './helpers.js';

describe.each(['iris-classifier', 'two-in-two-out', 'identity-dtypes', 'tiny-conv'])(
  'backend conformance: %s',
  (model) => {
    for (const c of backendConformanceCases(() => createOnnxWebBackend(modelBytes(model)))) test(c.name, c.run);
  },
);
