import { GraphPipeError, isGraphPipeError, type Tensor, messageOf } from '@graphpipe/protocol';
import type { Backend, InferContext } from '@graphpipe/server-core';
import { traceStage } from './stage-trace.js';

/** A backend inside a composition, with how its tensor names map to the composition's. */
export interface Stage {
  readonly name: string;
  readonly backend: Backend;
  /** This stage's input name → the composition tensor that feeds it. Unlisted inputs keep their names. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** This stage's output name → the composition tensor it becomes. Unlisted outputs keep their names. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Where the model lives, for error messages. Default: the backend's `url`, if it has one. */
  readonly location?: string;
}

/** A stage given as a bare backend or as a stage without its name (the name comes from a key). */
export type StageInit = Backend | Omit<Stage, 'name'>;

export function toStage(name: string, init: StageInit): Stage {
  return 'infer' in init ? { name, backend: init } : { ...init, name };
}

export const sourceOf = (stage: Stage, input: string) => mapped(stage.inputs, input);
export const targetOf = (stage: Stage, output: string) => mapped(stage.outputs, output);

/** Own keys only: a tensor called `toString` is not renamed by the map's inherited method. */
function mapped(names: Readonly<Record<string, string>> | undefined, name: string): string {
  return names && Object.hasOwn(names, name) ? names[name]! : name;
}

/** Runs a stage on composition tensors, naming the stage in any failure. */
export async function runStage(
  stage: Stage,
  tensors: Readonly<Record<string, Tensor>>,
  outputNames: readonly string[],
  options: InferContext,
): Promise<Readonly<Record<string, Tensor>>> {
  const inputs = Object.fromEntries(
    stage.backend.metadata.inputs.map((io) => [io.name, tensors[sourceOf(stage, io.name)]!]),
  );
  try {
    return await traceStage(stage.name, locationOf(stage), () => stage.backend.infer(inputs, outputNames, options));
  } catch (err) {
    throw stageError(stage, err);
  }
}

/** Keeps the status class of the stage's failure (400 stays 400, a down remote stays 503). */
export function stageError(stage: Stage, err: unknown): GraphPipeError {
  const where = describeStage(stage);
  if (!isGraphPipeError(err)) {
    return new GraphPipeError('INTERNAL', `${where} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return new GraphPipeError(err.code, `${where} failed: ${err.message}`, {
    status: err.status,
    retryAfter: err.retryAfter,
    cause: err,
  });
}

export function describeStage(stage: Stage): string {
  const location = locationOf(stage);
  return location ? `stage '${stage.name}' (${location})` : `stage '${stage.name}'`;
}

/** Where the stage's model lives: as given, else the backend's `url` (a remote model's). */
function locationOf(stage: Stage): string | undefined {
  const location = stage.location ?? (stage.backend as { url?: unknown }).url;
  return typeof location === 'string' ? location : undefined;
}

/** Closes each distinct backend once, even when one appears in several stages; all are tried. */
export async function closeAll(backends: Iterable<Backend>): Promise<void> {
  const results = await Promise.allSettled([...new Set(backends)].map(async (b) => b.close?.()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The smallest concurrency the parts declare: a composition runs no faster than its slowest part. */
export function concurrencyOf(backends: readonly Backend[]): number | undefined {
  const declared = backends.map((b) => b.concurrency).filter((n): n is number => n !== undefined);
  return declared.length ? Math.min(...declared) : undefined;
}
