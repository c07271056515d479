import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, tensorToJson, toNpy } from '@graphpipe/protocol';
import { describeTensor } from '../format.js';
import { type RemoteOptions, remoteModel } from '../remote.js';
import { readTensorArg } from '../tensor-file.js';

export interface InferCommandOptions extends RemoteOptions {
  input: string[];
  output?: string[];
  config?: string;
  json?: boolean;
  save?: string;
  timeout: string;
}

/** `--input name=value` names an input; a bare value takes the model's next default input. */
function splitNamed(arg: string): { name: string; value: string } {
  const m = /^([A-Za-z_][\w.:/-]*)=(.+)$/s.exec(arg);
  return m ? { name: m[1]!, value: m[2]! } : { name: '', value: arg };
}

export async function inferCommand(url: string, opts: InferCommandOptions): Promise<void> {
  const inputs: Tensor[] = [];
  const inputNames: string[] = [];
  for (const arg of opts.input) {
    const { name, value } = splitNamed(arg);
    inputs.push(await readTensorArg(value));
    inputNames.push(name);
  }
  // A v2 URL (…/v2/models/<name>) or a grpc:// one speaks the Open Inference Protocol, whose answers name their outputs.
  const model = await remoteModel(url, opts);
  let answer: Awaited<ReturnType<typeof model.infer>>;
  try {
    if (!opts.output?.length && model.protocol === 'graphpipe')
      await model.metadata({ timeoutMs: Number(opts.timeout) });
    answer = await model.infer(inputs, {
      inputNames,
      outputNames: opts.output,
      config: opts.config,
      timeoutMs: Number(opts.timeout),
    });
  } finally {
    model.close();
  }
  const { outputs, byName } = answer;
  // byName knows the names when they were asked for, or when the metadata lists exactly these outputs.
  const names = new Map([...Object.entries(byName)].map(([name, t]) => [t, name]));
  const named = outputs.map((t, i) => ({ name: names.get(t) ?? `output${i}`, tensor: t }));
  if (opts.json)
    console.log(
      JSON.stringify(Object.fromEntries(named.map(({ name, tensor }) => [name, tensorToJson(tensor)])), null, 2),
    );
  else for (const { name, tensor } of named) console.log(describeTensor(name, tensor));
  if (opts.save) {
    for (const { name, tensor } of named) {
      const path = join(opts.save, `${name.replace(/[^\w.-]+/g, '_')}.npy`);
      await writeFile(path, toNpy(tensor));
      console.error(`wrote ${path}`);
    }
  }
}
