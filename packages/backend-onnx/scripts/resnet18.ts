/**
 * A ResNet-18-shaped image classifier (He et al. 2015: 7×7 stem, four stages of two basic blocks,
 * 64–512 channels, 1000 classes) with seeded random weights: compute-bound, unlike the bundled
 * models, so a benchmark can show what the server costs on a real network. Batch norm is folded
 * into the convolutions' biases, as an exported inference model has it. Input: NHWC float32
 * [batch, 224, 224, 3]; output: softmax scores [batch, 1000]. About 47 MB, so it is not committed:
 * `ensureResNet18()` builds it on demand (a few seconds) and keeps it under models/.cache/.
 *
 *     npx tsx packages/backend-onnx/scripts/resnet18.ts [file]
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, uniformFloats } from '@graphpipe/test-utils';
import { encodeModel, floatInit, node, valueInfo } from '@graphpipe/test-utils/onnx';
import type { onnx as Onnx } from 'onnx-proto';

export const RESNET18_PATH = fileURLToPath(new URL('../../../models/.cache/resnet18.onnx', import.meta.url));

class Builder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  private readonly random = seededRandom(18);
  private count = 0;

  /** Convolution with bias (batch norm folded in), He-uniform weights; returns its output's name. */
  conv(input: string, inChannels: number, outChannels: number, kernel: number, stride: number): string {
    const id = `conv${++this.count}`;
    const limit = Math.sqrt(6 / (inChannels * kernel * kernel));
    const weights = inChannels * outChannels * kernel * kernel;
    this.initializers.push(
      floatInit(
        `${id}_W`,
        [outChannels, inChannels, kernel, kernel],
        uniformFloats(this.random, weights, -limit, limit),
      ),
      floatInit(`${id}_B`, [outChannels], uniformFloats(this.random, outChannels, -0.05, 0.05)),
    );
    const pad = Math.floor(kernel / 2);
    this.nodes.push(
      node('Conv', [input, `${id}_W`, `${id}_B`], [id], {
        kernel_shape: [kernel, kernel],
        strides: [stride, stride],
        pads: [pad, pad, pad, pad],
      }),
    );
    return id;
  }

  op(type: string, inputs: string[], attrs: Record<string, number | readonly number[]> = {}): string {
    const id = `${type.toLowerCase()}${++this.count}`;
    this.nodes.push(node(type, inputs, [id], attrs));
    return id;
  }

  /** Two 3×3 convolutions and a shortcut (a 1×1 convolution when the shape changes). */
  basicBlock(input: string, inChannels: number, outChannels: number, stride: number): string {
    const a = this.op('Relu', [this.conv(input, inChannels, outChannels, 3, stride)]);
    const b = this.conv(a, outChannels, outChannels, 3, 1);
    const shortcut =
      stride === 1 && inChannels === outChannels ? input : this.conv(input, inChannels, outChannels, 1, stride);
    return this.op('Relu', [this.op('Add', [b, shortcut])]);
  }
}

export function buildResNet18(): Uint8Array {
  const g = new Builder();
  const nchw = g.op('Transpose', ['image'], { perm: [0, 3, 1, 2] });
  let x = g.op('Relu', [g.conv(nchw, 3, 64, 7, 2)]);
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let channels = 64;
  for (const [width, stride] of [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ] as const) {
    x = g.basicBlock(x, channels, width, stride);
    x = g.basicBlock(x, width, width, 1);
    channels = width;
  }
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 });
  const fcLimit = Math.sqrt(6 / (512 + 1000));
  const random = seededRandom(1000);
  g.initializers.push(
    floatInit('fc_W', [512, 1000], uniformFloats(random, 512 * 1000, -fcLimit, fcLimit)),
    floatInit('fc_B', [1000], uniformFloats(random, 1000, -0.05, 0.05)),
  );
  g.nodes.push(node('Gemm', [flat, 'fc_W', 'fc_B'], ['logits']), node('Softmax', ['logits'], ['scores'], { axis: 1 }));
  return encodeModel({
    name: 'resnet18',
    doc: 'ResNet-18-shaped image classifier with seeded random weights (a benchmark model: its answers mean nothing).',
    metadata: { name: 'resnet18' },
    inputs: [valueInfo('image', 'float32', ['batch', 224, 224, 3])],
    outputs: [valueInfo('scores', 'float32', ['batch', 1000])],
    initializers: g.initializers,
    nodes: g.nodes,
  });
}

/** The model's path, building it first if it is not there yet. */
export function ensureResNet18(path = RESNET18_PATH): string {
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  // Written beside and renamed, so a build cut short never leaves half a model behind.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, buildResNet18());
  renameSync(partial, path);
  return path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(ensureResNet18(process.argv[2] ? resolve(process.argv[2]) : undefined));
}
