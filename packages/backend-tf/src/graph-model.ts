/** A TF.js graph model (model.json with `format: "graph-model"`, a GraphDef as JSON). */
import type { io, Tensor } from '@tensorflow/tfjs';
import { tfDTypeFromProto } from './dtypes.js';
import type { Tf } from './engine.js';
import { fileLoadHandler } from './io.js';
import { dims, type LoadedModel, type TfTensorSpec } from './loaded-model.js';

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
  // Signature keys are the public names (execute() accepts them); without a signature, node names are all there is.
  const inputs =
    fromSignature(signature.inputs) ??
    model.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: dims(i.shape) }));
  const outputs =
    fromSignature(signature.outputs) ??
    model.outputs.map((o) => ({ name: o.name, dtype: o.dtype, shape: dims(o.shape) }));
  // execute() is synchronous and quiet; models with control flow or dynamic shapes need executeAsync(),
  // which says so by throwing. Learn it once rather than pay executeAsync's per-call warning on every model.
  let needsAsync = false;
  return {
    format: 'graph-model',
    inputs,
    outputs,
    async run(feeds, outputNames) {
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
