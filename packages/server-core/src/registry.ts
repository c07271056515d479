import { GraphPipeError } from '@graphpipe/protocol';
import type { ServedModel } from './model.js';

/** The models a server answers for, by name, and the one that answers requests that name none. */
export class ModelRegistry {
  private readonly byName = new Map<string, ServedModel>();
  private readonly defaultName: string | undefined;

  constructor(models: readonly ServedModel[], defaultName?: string) {
    for (const model of models) {
      if (this.byName.has(model.name)) throw new TypeError(`two models are named "${model.name}"`);
      this.byName.set(model.name, model);
    }
    if (defaultName !== undefined && !this.byName.has(defaultName)) {
      throw new TypeError(`the default model "${defaultName}" is not among ${this.names()}`);
    }
    this.defaultName = defaultName ?? (models.length === 1 ? models[0]!.name : undefined);
  }

  get size(): number {
    return this.byName.size;
  }

  list(): ServedModel[] {
    return [...this.byName.values()];
  }

  get(name: string): ServedModel | undefined {
    return this.byName.get(name);
  }

  /** The model for requests that name none; 404 naming the models when there is no default. */
  default(): ServedModel {
    const model = this.defaultName === undefined ? undefined : this.byName.get(this.defaultName);
    if (model) return model;
    throw new GraphPipeError(
      'NOT_FOUND',
      this.byName.size === 0
        ? 'no model is being served'
        : `this server has several models and no default; name one: ${this.names()}`,
    );
  }

  private names(): string {
    return [...this.byName.keys()].map((n) => `"${n}"`).join(', ');
  }
}
