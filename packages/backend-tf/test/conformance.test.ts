import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { describe, test } from 'vitest';
import { createTfBackend } from '../src/index.js';
import { modelPath } from '@graphpipe/test-utils';

// No case is skipped: each model declares every input's dtype and shape, and runs deterministically.
describe.each(['tf-iris', 'tf-graph', 'tf-graph-legacy', 'tf-conv'])('backend conformance: %s', (model) => {
  for (const c of backendConformanceCases(() => createTfBackend(modelPath(model)))) test(c.name, c.run);
});
