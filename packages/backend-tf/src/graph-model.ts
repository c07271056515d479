/** A TF.js graph model (model.json with `format: "graph-model"`, a GraphDef as JSON). */
import type { io, NamedTensorMap, Tensor } from '@tensorflow/tfjs';
import { tfDTypeFromProto } from './dtypes.js';
import type { Tf } from './engine.js';
import { fileLoadHandler } from './io.js';
import { dims, type LoadedModel, type TfTensorSpec } from './loaded-model.js';
import { publicNames } from './tensor-names.js';

/** A SignatureDef entry as the converter writes it into model.json. */
interface SignatureEntry {
  readonly name: string;
  readonly dtype?: string;
  readonly tensorShape?: {
    readonly dim?: readonly { readonly size?: string | number }[];
    readonly unknownRank?: boolean;
  };
}
interface Signature {
  readonly inputs?: Readonly<Record<string, SignatureEntry>>;
  readonly outputs?: Readonly<Record<string, SignatureEntry>>;
}

export async function loadGraphModel(dir: string, json: io.ModelJSON, tf: Tf): Promise<LoadedModel> {
  const model = await tf.loadGraphModel(fileLoadHandler(dir, json, tf.io));
  // TF.js's own choice: userDefinedMetadata.signature (all converters before tfjs 2 wrote it only there) over the
  // top-level signature. Reading the same one keeps names, dtypes and shapes in step with what execute() accepts.
  const signature = (model.modelSignature ?? {}) as Signature;
  // Signature keys name the tensors (execute() accepts them); without a signature, node names are all there is.
  // Either way they are published as `x`, not `x:0` (tensor-names.ts), and mapped back for execute().
  const inputs = renamed(
    fromSignature(signature.inputs) ??
      model.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: dims(i.shape) })),
  );
  const outputs = renamed(
    fromSignature(signature.outputs) ??
      model.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: dims(o.shape) })),
  );
  const tfInputName = new Map(inputs.map((io) => [io.name, io.tfName]));
  const tfOutputNames = new Map(outputs.map((io) => [io.name, io.tfName]));
  // execute() is synchronous and quiet; models with control flow or dynamic shapes need executeAsync(),
  // which says so by throwing. Learn it once rather than pay executeAsync's per-call warning on every model.
  let needsAsync = false;
  return {
    format: 'graph-model',
    inputs: inputs.map(({ tfName, ...spec }) => spec),
    outputs: outputs.map(({ tfName, ...spec }) => spec),
    async run(publicFeeds, publicOutputs) {
      // No prototype: a signature may name a tensor "__proto__".
      const feeds: NamedTensorMap = Object.create(null);
      for (const [name, t] of Object.entries(publicFeeds)) feeds[tfInputName.get(name) ?? name] = t;
      const outputNames = publicOutputs.map((name) => tfOutputNames.get(name) ?? name);
      if (!needsAsync) {
        try {
          return asList(tf.tidy(() => model.execute(feeds, [...outputNames])));
        } catch (err) {
          if (!(err instanceof Error && err.message.includes('executeAsync()'))) throw err;
          needsAsync = true;
        }
      }
      // executeAsync frees its own intermediates; only the outputs come back.
      return asList(await model.executeAsync(feeds, [...outputNames]));
    },
    dispose: () => model.dispose(),
  };
}

/** Specs under their public names, each remembering the name TF.js knows it by. */
function renamed(specs: TfTensorSpec[]): (TfTensorSpec & { tfName: string })[] {
  const names = publicNames(specs.map((s) => s.name));
  return specs.map((spec, i) => ({ ...spec, name: names[i]!, tfName: spec.name }));
}

function asList(result: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(result) ? result : [result];
}

function fromSignature(entries: Readonly<Record<string, SignatureEntry>> | undefined): TfTensorSpec[] | undefined {
  if (!entries || Object.keys(entries).length === 0) return undefined;
  return Object.entries(entries).map(([name, entry]) => ({
    name,
    dtype: tfDTypeFromProto(entry.dtype),
    shape:
      entry.tensorShape && !entry.tensorShape.unknownRank
        ? (entry.tensorShape.dim ?? []).map((d) => Number(d.size ?? -1))
        : undefined,
  }));
}
