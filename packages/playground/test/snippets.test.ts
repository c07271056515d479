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
      '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.3, 3.7, 1.5, 0.2]},' +
        '{"name":"ids","shape":[1],"datatype":"INT64","data":[9007199254740993]}]}',
    );
    const words = { name: 'w', tensor: tensor(["it's", '12']) };
    expect(curlSnippet('u', [words], true)).toContain(`"data":["it'\\''s", "12"]`);
    expect(curlSnippet('u', [words], true)).toContain('Authorization: Bearer $GRAPHPIPE_AUTH_TOKEN');
  });

  test('shell quoting', () => {
    expect(shellQuote('a/b:c')).toBe('a/b:c');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
