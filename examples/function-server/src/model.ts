import { tensor, type TensorOf } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';

/**
 * A small numeric model written as a function: softmax over each row of a [batch, classes]
 * float32 matrix of logits, plus the index of the largest logit per row.
 */
export function softmaxModel() {
  return createFunctionBackend(
    ({ logits }) => {
      const { data, shape } = logits as TensorOf<'float32'>;
      const [rows, cols] = shape as [number, number];
      const probabilities = new Float32Array(data.length);
      const argmax = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const row = data.subarray(r * cols, (r + 1) * cols);
        const max = Math.max(...row);
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += probabilities[r * cols + c] = Math.exp(row[c]! - max);
        for (let c = 0; c < cols; c++) probabilities[r * cols + c]! /= sum;
        argmax[r] = row.indexOf(max);
      }
      return { probabilities: tensor(probabilities, shape), argmax: tensor(argmax, [rows]) };
    },
    {
      name: 'softmax',
      version: '1.0.0',
      description: 'Softmax and argmax over the rows of a logits matrix.',
      inputs: [
        { name: 'logits', dtype: 'float32', shape: [-1, -1], description: 'unnormalised scores, one row per example' },
      ],
      outputs: [
        { name: 'probabilities', dtype: 'float32', shape: [-1, -1] },
        { name: 'argmax', dtype: 'int32', shape: [-1] },
      ],
    },
  );
}
