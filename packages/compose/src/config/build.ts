import type { Backend } from '@graphpipe/server-core';
import { createArgmaxBackend, type ArgmaxOptions } from '../argmax-backend.js';
import { COMBINE_NAMES, type CombineName } from '../combine.js';
import { createEnsembleBackend } from '../ensemble-backend.js';
import { createPipelineBackend } from '../pipeline-backend.js';
import type { Stage } from '../stage.js';
import type { Loaders } from './loaders.js';

export interface BuildContext {
  readonly loaders: Loaders;
  /** Relative model paths are resolved against it. */
  readonly dir: string;
  /** Every backend built so far, so a failed build can close them. */
  readonly opened: Backend[];
}

type Entry = Record<string, unknown>;

/**
 * One node of a config: a model (`{ onnx: path }`, `{ tf: dir }`, `{ remote: url }`, or any other
 * loader's key), a pipeline (`stages`), an ensemble (`members`), or `argmax`.
 */
export async function buildNode(
  node: unknown,
  name: string,
  where: string,
  ctx: BuildContext,
): Promise<{ backend: Backend; location?: string }> {
  const entry = asEntry(node, where);
  if ('stages' in entry) return { backend: await buildPipeline(entry, name, where, ctx) };
  if ('members' in entry) return { backend: await buildEnsemble(entry, name, where, ctx) };
  if ('argmax' in entry)
    return { backend: createArgmaxBackend(asEntry(entry.argmax ?? {}, `${where}.argmax`) as ArgmaxOptions) };
  // Own keys only: an entry key such as `constructor` is not a loader because Object has one.
  const kinds = Object.keys(entry).filter((key) => Object.hasOwn(ctx.loaders, key));
  if (kinds.length !== 1 || typeof entry[kinds[0]!] !== 'string') {
    const known = Object.keys(ctx.loaders)
      .map((k) => `{ ${k}: ... }`)
      .join(', ');
    throw new Error(`${where}: expected exactly one of stages, members, argmax or a model (${known})`);
  }
  const kind = kinds[0]!;
  const ref = entry[kind] as string;
  const options = entry.options === undefined ? {} : asEntry(entry.options, `${where}.options`);
  const backend = await ctx.loaders[kind]!(ref, { dir: ctx.dir, options });
  ctx.opened.push(backend);
  return { backend, location: ref };
}

async function buildPipeline(entry: Entry, name: string, where: string, ctx: BuildContext): Promise<Backend> {
  if (!Array.isArray(entry.stages)) throw new Error(`${where}.stages: expected a list`);
  const stages: Stage[] = [];
  for (const [i, node] of entry.stages.entries()) {
    stages.push(
      await buildStage(
        node,
        String(asEntry(node, `${where}.stages[${i}]`).name ?? i + 1),
        `${where}.stages[${i}]`,
        ctx,
      ),
    );
  }
  return createPipelineBackend({
    ...names(entry, name),
    stages,
    returns: stringList(entry.returns, `${where}.returns`),
  });
}

async function buildEnsemble(entry: Entry, name: string, where: string, ctx: BuildContext): Promise<Backend> {
  const members: [string, Stage][] = [];
  for (const [key, node] of Object.entries(asEntry(entry.members, `${where}.members`))) {
    members.push([key, await buildStage(node, key, `${where}.members.${key}`, ctx)]);
  }
  return createEnsembleBackend({
    ...names(entry, name),
    // fromEntries defines keys, so a member called `__proto__` stays a member.
    members: Object.fromEntries(members),
    combine: combineRule(entry.combine, `${where}.combine`),
  });
}

async function buildStage(node: unknown, name: string, where: string, ctx: BuildContext): Promise<Stage> {
  const entry = asEntry(node, where);
  const { backend, location } = await buildNode(entry, name, where, ctx);
  return {
    name,
    backend,
    location,
    inputs: stringMap(entry.inputs, `${where}.inputs`),
    outputs: stringMap(entry.outputs, `${where}.outputs`),
  };
}

function names(entry: Entry, name: string) {
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return { name: text(entry.name) ?? name, version: text(entry.version), description: text(entry.description) };
}

function combineRule(value: unknown, where: string): CombineName | Record<string, CombineName> | undefined {
  if (value === undefined) return undefined;
  const check = (v: unknown, at: string) => {
    if (!COMBINE_NAMES.includes(v as CombineName))
      throw new Error(`${at}: expected one of ${COMBINE_NAMES.join(', ')}, got ${JSON.stringify(v)}`);
    return v as CombineName;
  };
  if (typeof value === 'string') return check(value, where);
  return Object.fromEntries(Object.entries(asEntry(value, where)).map(([k, v]) => [k, check(v, `${where}.${k}`)]));
}

function asEntry(value: unknown, where: string): Entry {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where}: expected a mapping`);
  return value as Entry;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const entry = asEntry(value, where);
  for (const [k, v] of Object.entries(entry))
    if (typeof v !== 'string') throw new Error(`${where}.${k}: expected a tensor name`);
  return entry as Record<string, string>;
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new Error(`${where}: expected a list of tensor names`);
  return value as string[];
}
