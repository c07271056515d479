import { checkModelName } from '@graphpipe/protocol';
import type { Backend, ModelMetadata, TensorSpec } from '@graphpipe/server-core';
import { type Combiner, combinerFor, type CombineRule } from './combine.js';
import { mismatch, renamed } from './io-spec.js';
import { closeAll, concurrencyOf, runStage, sourceOf, type Stage, type StageInit, targetOf, toStage } from './stage.js';

export interface EnsembleOptions {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** The models to run side by side, by name (the name appears in errors). */
  readonly members: Readonly<Record<string, StageInit>>;
  /**
   * How member outputs become the ensemble's: one rule for every output all members have, or a
   * rule per output (then only those outputs). Default 'mean'.
   */
  readonly combine?: CombineRule | Readonly<Record<string, CombineRule>>;
}

/**
 * Runs every member on the same inputs at once and combines their answers output by output.
 * When one member fails, the others are cancelled and the failure names the member.
 */
export function createEnsembleBackend(options: EnsembleOptions): Backend {
  checkModelName(options.name);
  const members = Object.entries(options.members).map(([name, init]) => toStage(name, init));
  if (members.length === 0) throw new TypeError(`ensemble '${options.name}' has no members`);
  const rules = rulesFor(members, options.combine ?? 'mean');
  const combiners = new Map<string, Combiner>();
  const outputs: TensorSpec[] = [];
  for (const [name, rule] of rules) {
    const combiner = combinerFor(rule);
    combiners.set(name, combiner);
    outputs.push(
      combiner.spec(
        name,
        members.map((m) => memberOutput(m, name)),
      ),
    );
  }
  const metadata: ModelMetadata = {
    name: options.name,
    version: options.version,
    description: options.description,
    inputs: sharedInputs(members),
    outputs,
  };
  return {
    metadata,
    concurrency: concurrencyOf(members.map((m) => m.backend)),
    async infer(inputs, outputNames, { config, signal, deadline }) {
      const failed = new AbortController();
      // Each member gets the request's deadline: a remote one passes it on.
      const call = { config, signal: AbortSignal.any([signal, failed.signal]), deadline };
      const answers = await Promise.all(
        members.map(async (member) => {
          const names = outputNames.map((name) => memberOutput(member, name).name);
          try {
            const out = await runStage(member, inputs, names, call);
            return names.map((name) => out[name]!);
          } catch (err) {
            // No point waiting for the others: the answer is already a failure.
            failed.abort();
            throw err;
          }
        }),
      );
      return Object.fromEntries(
        outputNames.map(
          (name, i) =>
            [
              name,
              combiners.get(name)!.run(
                answers.map((a) => a[i]!),
                name,
              ),
            ] as const,
        ),
      );
    },
    close: () => closeAll(members.map((m) => m.backend)),
  };
}

function rulesFor(
  members: readonly Stage[],
  combine: NonNullable<EnsembleOptions['combine']>,
): [string, CombineRule][] {
  if (typeof combine === 'object') return Object.entries(combine);
  const first = members[0]!;
  const shared = first.backend.metadata.outputs
    .map((io) => targetOf(first, io.name))
    .filter((name) => members.every((m) => findOutput(m, name)));
  if (shared.length === 0)
    throw new TypeError('the ensemble members have no output in common; map their outputs to shared names');
  return shared.map((name) => [name, combine]);
}

/** The member's own output that becomes ensemble output `name`. */
function memberOutput(member: Stage, name: string): TensorSpec {
  const io = findOutput(member, name);
  if (!io) throw new TypeError(`ensemble member '${member.name}' has no output for "${name}"`);
  return io;
}

function findOutput(member: Stage, name: string): TensorSpec | undefined {
  return member.backend.metadata.outputs.find((o) => targetOf(member, o.name) === name);
}

/** Every input any member takes, declared as the first member that takes it declares it. */
function sharedInputs(members: readonly Stage[]): TensorSpec[] {
  const inputs = new Map<string, TensorSpec>();
  for (const member of members) {
    for (const io of member.backend.metadata.inputs) {
      const source = sourceOf(member, io.name);
      const have = inputs.get(source);
      const why = have && mismatch(have, io);
      if (why) throw new TypeError(`ensemble members disagree on input "${source}": ${why}`);
      if (!have) inputs.set(source, renamed(io, source));
    }
  }
  return [...inputs.values()];
}
