import { checkModelName, GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, ModelMetadata, TensorSpec } from '@graphpipe/server-core';
import { mismatch, renamed } from './io-spec.js';
import { closeAll, concurrencyOf, runStage, sourceOf, type Stage, targetOf } from './stage.js';

export interface PipelineOptions {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** Run in order; each stage reads the request's tensors and those earlier stages produced. */
  readonly stages: readonly Stage[];
  /** The tensors the pipeline answers with, in order. Default: the last stage's outputs. */
  readonly returns?: readonly string[];
}

/**
 * Stages in sequence over a shared set of named tensors: the request's inputs, then each stage's
 * outputs (renamed by its `outputs` map), from which later stages take their inputs (by their
 * `inputs` map, else by the same name). A stage whose outputs nobody needs is skipped.
 */
export function createPipelineBackend(options: PipelineOptions): Backend {
  checkModelName(options.name);
  const { stages } = options;
  if (stages.length === 0) throw new TypeError(`pipeline '${options.name}' has no stages`);
  const plan = planPipeline(stages, options.returns);
  const metadata: ModelMetadata = {
    name: options.name,
    version: options.version,
    description: options.description,
    inputs: plan.inputs,
    outputs: plan.outputs,
  };
  return {
    metadata,
    defaultOutputs: plan.defaultOutputs,
    concurrency: concurrencyOf(stages.map((s) => s.backend)),
    async infer(inputs, outputNames, call) {
      const wanted = wantedOutputs(stages, outputNames);
      const tensors: Record<string, Tensor> = { ...inputs };
      for (let i = 0; i < stages.length; i++) {
        const stage = stages[i]!;
        if (wanted[i]!.length === 0) continue;
        if (call.signal.aborted)
          throw new GraphPipeError('ABORTED', `the request was aborted before stage '${stage.name}'`);
        const out = await runStage(stage, tensors, wanted[i]!, call);
        for (const name of wanted[i]!) {
          // Own keys only: an answer without "constructor" must not pass Object's off as that output.
          const t = Object.hasOwn(out, name) ? out[name] : undefined;
          if (!t) throw new GraphPipeError('INTERNAL', `stage '${stage.name}' returned no output "${name}"`);
          tensors[targetOf(stage, name)] = t;
        }
      }
      return Object.fromEntries(outputNames.map((name) => [name, tensors[name]!]));
    },
    close: () => closeAll(stages.map((s) => s.backend)),
  };
}

interface Plan {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly defaultOutputs: readonly string[] | undefined;
}

/** Derives the pipeline's declaration from its stages and checks that every link fits. */
function planPipeline(stages: readonly Stage[], returns: readonly string[] | undefined): Plan {
  const known = new Map<string, TensorSpec>();
  const produced = new Set<string>();
  const inputs: TensorSpec[] = [];
  for (const stage of stages) {
    const { metadata } = stage.backend;
    checkMapKeys(stage, 'inputs', metadata.inputs);
    checkMapKeys(stage, 'outputs', metadata.outputs);
    for (const io of metadata.inputs) {
      const source = sourceOf(stage, io.name);
      const have = known.get(source);
      if (!have) {
        const spec = renamed(io, source);
        inputs.push(spec);
        known.set(source, spec);
        continue;
      }
      const why = mismatch(have, io);
      if (why) throw new TypeError(`stage '${stage.name}' input "${io.name}" cannot take "${source}": ${why}`);
    }
    for (const io of metadata.outputs) {
      const target = targetOf(stage, io.name);
      known.set(target, renamed(io, target));
      produced.add(target);
    }
  }
  const last = stages.at(-1)!;
  const names = returns ?? last.backend.metadata.outputs.map((io) => targetOf(last, io.name));
  for (const name of names)
    if (!produced.has(name)) throw new TypeError(`pipeline returns "${name}", which no stage produces`);
  const lastDefaults = last.backend.defaultOutputs?.map((name) => targetOf(last, name));
  return { inputs, outputs: names.map((name) => known.get(name)!), defaultOutputs: returns ? undefined : lastDefaults };
}

function checkMapKeys(stage: Stage, which: 'inputs' | 'outputs', declared: readonly TensorSpec[]): void {
  for (const key of Object.keys(stage[which] ?? {})) {
    if (!declared.some((io) => io.name === key)) {
      throw new TypeError(`stage '${stage.name}' maps ${which.slice(0, -1)} "${key}", which its model does not have`);
    }
  }
}

/** Per stage, the outputs to ask for: walking back from the answer, only what is read later. */
function wantedOutputs(stages: readonly Stage[], outputNames: readonly string[]): string[][] {
  const needed = new Set(outputNames);
  const wanted: string[][] = [];
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    const names = stage.backend.metadata.outputs
      .map((io) => io.name)
      .filter((name) => needed.has(targetOf(stage, name)));
    // A later stage's output shadows an earlier one of the same name.
    for (const name of names) needed.delete(targetOf(stage, name));
    if (names.length) for (const io of stage.backend.metadata.inputs) needed.add(sourceOf(stage, io.name));
    wanted[i] = names;
  }
  return wanted;
}
