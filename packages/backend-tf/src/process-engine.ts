/**
 * TF.js has one backend per process (its engine lives on globalThis), so loading a model on a second
 * engine would silently move every model already loaded. The first TF backend created fixes the
 * process's engine; a later one that asks for another engine is refused instead.
 */
import { GraphPipeError } from '@graphpipe/protocol';
import { selectEngine, type Engine, type EngineChoice, type EngineKind, type Importer } from './engine.js';

// On globalThis like TF.js's own engine, so two copies of this package in one process agree too.
const ACTIVE = Symbol.for('@graphpipe/backend-tf.processEngine');
const slots = globalThis as unknown as Record<symbol, Promise<Engine> | undefined>;

/** The process's engine: selected by the first call, then checked against each later call's choice. */
export async function processEngine(choice: EngineChoice = 'auto', importer?: Importer): Promise<Engine> {
  for (;;) {
    const pending = slots[ACTIVE];
    if (pending === undefined) return claim(selectEngine(choice, importer));
    let active: Engine;
    try {
      active = await pending;
    } catch {
      continue; // That selection failed and fixed nothing (claim() has cleared it): select afresh.
    }
    if (choice !== 'auto' && choice !== choiceOf(active.kind)) throw conflict(choice, active);
    return active;
  }
}

function claim(selection: Promise<Engine>): Promise<Engine> {
  slots[ACTIVE] = selection;
  selection.catch(() => {
    if (slots[ACTIVE] === selection) slots[ACTIVE] = undefined;
  });
  return selection;
}

function choiceOf(kind: EngineKind): EngineChoice {
  return kind === 'native-gpu' ? 'native' : kind;
}

function conflict(choice: EngineChoice, active: Engine): GraphPipeError {
  const fixed = choiceOf(active.kind);
  return new GraphPipeError(
    'INVALID_ARGUMENT',
    `engine '${choice}' requested, but this process already runs TF.js on '${fixed}' (${active.description}), ` +
      `chosen by the first TF backend created; TF.js runs one engine per process: leave engine unset ` +
      `(or '${fixed}') here, or serve this model from another process`,
  );
}
