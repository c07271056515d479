/** Copy-ready code that calls the chosen model with the inputs on the page. */
import { type DType, elementCount, displayStrings, type Tensor } from '@graphpipe/client';
import { datatypeOf, encodeV2Request, type NamedTensor } from '@graphpipe/protocol/v2';
import { formatNumber, formatTensor } from './editor.js';

/** Above this many values an input is read from a .npy file rather than written out. */
const INLINE_LIMIT = 4096;

/** A shell word in single quotes. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

const compact = (t: Tensor) => formatTensor(t).replace(/\n/g, '');

/** `graphpipe infer …`: each input inline as JSON, or from a .npy file when large. */
export function cliSnippet(modelUrl: string, inputs: readonly NamedTensor[], needsToken: boolean): string {
  const lines = [`graphpipe infer ${shellQuote(modelUrl)}`];
  const files: string[] = [];
  for (const { name, tensor } of inputs) {
    const inline = elementCount(tensor.shape) <= INLINE_LIMIT;
    const value = inline ? jsonTensorText(tensor) : `${name}.npy`;
    if (!inline) files.push(`${name}.npy`);
    lines.push(`  --input ${shellQuote(`${name}=${value}`)}`);
  }
  if (needsToken) lines.push('  --token "$GRAPHPIPE_AUTH_TOKEN"');
  const note = files.length ? [`# ${files.join(', ')}: the input saved as .npy (NumPy's np.save)`] : [];
  return [...note, lines.join(' \\\n')].join('\n');
}

/** Nested JSON where the CLI reads float32 by default; {"dtype", "shape", "data"} for other dtypes. */
function jsonTensorText(t: Tensor): string {
  if (t.dtype === 'float32' && t.shape.length > 0) return compact(t);
  const data = compact({ ...t, shape: [elementCount(t.shape)] } as Tensor);
  return `{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data":${data}}`;
}

const ARRAY_BY_DTYPE: Record<Exclude<DType, 'string'>, string> = {
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  uint16: 'Uint16Array',
  int16: 'Int16Array',
  float16: 'Uint16Array',
  uint32: 'Uint32Array',
  int32: 'Int32Array',
  float32: 'Float32Array',
  uint64: 'BigUint64Array',
  int64: 'BigInt64Array',
  float64: 'Float64Array',
  bool: 'Uint8Array',
};

/** The TypeScript client: each input as a typed array (zeros of its size when large). */
export function clientSnippet(modelUrl: string, inputs: readonly NamedTensor[], needsToken: boolean): string {
  const options = needsToken ? ", { headers: { authorization: 'Bearer ' + process.env.GRAPHPIPE_AUTH_TOKEN } }" : '';
  const entries = inputs.map(({ name, tensor }) => `  ${propertyName(name)}: ${tensorExpression(tensor)},`);
  return [
    "import { RemoteModel, tensor } from '@graphpipe/client';",
    '',
    `const model = new RemoteModel(${jsString(modelUrl)}${options});`,
    'const { byName } = await model.infer({',
    ...entries,
    '});',
    'console.log(byName);',
  ].join('\n');
}

/** A string literal in single quotes, as the project's code writes them. */
const jsString = (text: string) =>
  `'${JSON.stringify(text).slice(1, -1).replaceAll("'", "\\'").replaceAll('\\"', '"')}'`;

const propertyName = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : jsString(name));

function tensorExpression(t: Tensor): string {
  const shape = `[${t.shape.join(', ')}]`;
  const count = elementCount(t.shape);
  // Typed arrays that more than one dtype uses say which one they hold.
  const dtypeArg = t.dtype === 'float16' || t.dtype === 'bool' ? `, '${t.dtype}'` : '';
  if (t.dtype === 'string') {
    return `tensor(${JSON.stringify(count <= INLINE_LIMIT ? displayStrings(t) : [])}, ${shape})`;
  }
  const type = ARRAY_BY_DTYPE[t.dtype];
  if (count > INLINE_LIMIT) return `tensor(new ${type}(${count}), ${shape}${dtypeArg}) /* your ${count} values */`;
  const wide = t.dtype === 'int64' || t.dtype === 'uint64';
  const values = Array.from(t.data as ArrayLike<number | bigint>, (v) =>
    wide ? `${v}n` : formatNumber(v as number, t.dtype),
  );
  return `tensor(new ${type}([${values.join(', ')}]), ${shape}${dtypeArg})`;
}

const utf8 = new TextDecoder();

/**
 * curl against the Open Inference Protocol v2's JSON form (FP16 has none: it says so). The body is
 * written out when every input is small enough, else read from a file, as the CLI reads large inputs.
 */
export function curlSnippet(inferUrl: string, inputs: readonly NamedTensor[], needsToken: boolean): string {
  if (inputs.some((i) => i.tensor.dtype === 'float16')) {
    return '# float16 tensors have no JSON form in the Open Inference Protocol: use its binary form or the client';
  }
  const inline = inputs.every(({ tensor }) => elementCount(tensor.shape) <= INLINE_LIMIT);
  // The body as JSON only (binaryInputs: false): shortest float32 digits, exact 64-bit integers,
  // BOOL as true and false. When it goes in a file, only its text inputs are encoded: to check them.
  const body = encodeV2Request({
    inputs: inline ? inputs : inputs.filter((i) => i.tensor.dtype === 'string'),
    binaryInputs: false,
  });
  // BYTES that are not UTF-8 text go as binary data, which a JSON body cannot hold.
  if (body.headerLength !== undefined) {
    return '# BYTES tensors that are not UTF-8 text have no JSON form in the Open Inference Protocol: use its binary form or the client';
  }
  const lines = [`curl -s ${shellQuote(inferUrl)}`, "  -H 'Content-Type: application/json'"];
  if (needsToken) lines.push('  -H "Authorization: Bearer $GRAPHPIPE_AUTH_TOKEN"');
  if (inline) {
    lines.push(`  -d ${shellQuote(utf8.decode(body.chunks[0]))}`);
    return lines.join(' \\\n');
  }
  lines.push('  -d @body.json');
  const outline = inputs.map(
    ({ name, tensor }) =>
      `{"name":${JSON.stringify(name)},"datatype":"${datatypeOf(tensor.dtype)}","shape":[${tensor.shape.join(',')}],"data":[…]}`,
  );
  return [
    `# body.json: the request body (too large to write here), each input's values flattened into its "data":`,
    `# {"inputs":[${outline.join(',')}]}`,
    lines.join(' \\\n'),
  ].join('\n');
}
