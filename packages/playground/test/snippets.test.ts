import { tensor } from '@graphpipe/client';
import { describe, expect, test } from 'vitest';
import { cliSnippet, clientSnippet, curlSnippet, shellQuote } from '../src/snippets.js';

const url = 'http://127.0.0.1:9000/models/iris-classifier';
const features = { name: 'features', tensor: tensor(new Float32Array([5.3, 3.7, 1.5, 0.2]), [1, 4]) };
const ids = { name: 'ids', tensor: tensor(new BigInt64Array([9007199254740993n]), [1]) };

describe('snippets', () => {
  test('graphpipe infer with the inputs inline; other dtypes in the JSON tensor form; a token from the environment', () => {
    expect(cliSnippet(url, [features], false)).toBe(
      `graphpipe infer ${url} \\\n  --input 'features=[[5.3, 3.7, 1.5, 0.2]]'`,
    );
    expect(cliSnippet(url, [ids], true)).toBe(
      `graphpipe infer ${url} \\\n  --input 'ids={"dtype":"int64","shape":[1],"data":["9007199254740993"]}' \\\n  --token "$GRAPHPIPE_AUTH_TOKEN"`,
    );
  });

  test('large inputs come from .npy files', () => {
    const image = { name: 'image', tensor: tensor(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) };
    expect(cliSnippet(url, [image], false)).toMatch(/^# image\.npy: .*\n.*--input image=image\.npy$/s);
  });

  test('the TypeScript client with typed arrays', () => {
    const code = clientSnippet(url, [features, ids], false);
    expect(code).toContain(`new RemoteModel('${url}')`);
    expect(code).toContain('features: tensor(new Float32Array([5.3, 3.7, 1.5, 0.2]), [1, 4]),');
    expect(code).toContain('ids: tensor(new BigInt64Array([9007199254740993n]), [1]),');
  });

  test('curl with an Open Inference Protocol v2 body', () => {
    const code = curlSnippet('http://h/v2/models/m/infer', [features, ids], false);
    const body = /-d '(.*)'$/s.exec(code)![1]!;
    expect(body).toBe(
      '{"inputs":[{"name":"features","datatype":"FP32","shape":[1,4],"data":[5.3,3.7,1.5,0.2]},' +
        '{"name":"ids","datatype":"INT64","shape":[1],"data":[9007199254740993]}]}',
    );
    const words = { name: 'w', tensor: tensor(["it's", '12']) };
    expect(curlSnippet('u', [words], true)).toContain(`"data":["it'\\''s","12"]`);
    expect(curlSnippet('u', [words], true)).toContain('Authorization: Bearer $GRAPHPIPE_AUTH_TOKEN');
    const flags = { name: 'b', tensor: tensor(new Uint8Array([1, 0]), [2], 'bool') };
    const counts = { name: 'n', tensor: tensor(new Uint32Array([4294967295]), []) };
    expect(curlSnippet('u', [flags, counts], false)).toContain(
      `-d '{"inputs":[{"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]},` +
        `{"name":"n","datatype":"UINT32","shape":[],"data":[4294967295]}]}'`,
    );
  });

  test('curl says when a tensor has no JSON form', () => {
    const half = { name: 'h', tensor: tensor(new Uint16Array([0x3c00]), [1], 'float16') };
    expect(curlSnippet('u', [half], false)).toMatch(/^# float16 tensors have no JSON form/);
    const bytes = { name: 'raw', tensor: tensor([new Uint8Array([0xff, 0xfe])]) };
    expect(curlSnippet('u', [bytes], false)).toMatch(/^# BYTES tensors that are not UTF-8 text have no JSON form/);
  });

  test('curl reads a large body from a file, as the CLI reads large inputs from .npy files', () => {
    const image = { name: 'image', tensor: tensor(new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) };
    const code = curlSnippet('http://h/v2/models/m/infer', [features, image], false);
    expect(code.length).toBeLessThan(1000);
    expect(code).toMatch(/^# body\.json: .*\n.*\n {2}-d @body\.json$/s);
    expect(code).toContain('{"name":"image","datatype":"FP32","shape":[1,3,224,224],"data":[…]}');
    expect(code).not.toContain("-d '");
  });

  test('shell quoting', () => {
    expect(shellQuote('a/b:c')).toBe('a/b:c');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
