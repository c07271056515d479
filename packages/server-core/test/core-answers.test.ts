import { createFunctionBackend, createServerCore, type Exchange, type Reply } from '@graphpipe/server-core';
import { expect, test } from 'vitest';

/** An exchange without a network: records the answer and which headers were read. */
function exchangeFor(method: string, path: string, headers: Record<string, string> = {}) {
  const read: string[] = [];
  const sent: Reply[] = [];
  const exchange: Exchange = {
    method,
    path,
    header(name) {
      read.push(name);
      return headers[name];
    },
    readBody: () => Promise.resolve(new Uint8Array()),
    signal: new AbortController().signal,
    abort() {},
    send(reply, _close, done) {
      sent.push(reply);
      done();
    },
  };
  return { exchange, read, sent };
}

const echo = () => createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' });

test('a route that answers at once is sent before handle() returns, and an open route never reads Authorization', async () => {
  const core = createServerCore(echo());
  const { exchange, read, sent } = exchangeFor('GET', '/healthz');
  const handled = core.handle(exchange);
  expect(sent.map((r) => r.status)).toEqual([200]);
  await handled;
  expect(read).not.toContain('authorization');
  await core.close();
});

test('without an auth token, model routes do not read Authorization either; with one, they check it', async () => {
  const open = createServerCore(echo());
  const a = exchangeFor('GET', '/');
  await open.handle(a.exchange);
  expect(a.sent[0]?.status).toBe(200);
  expect(a.read).not.toContain('authorization');
  await open.close();

  const guarded = createServerCore(echo(), { authToken: 's3cret' });
  const b = exchangeFor('GET', '/');
  await guarded.handle(b.exchange);
  expect(b.sent[0]?.status).toBe(401);
  const c = exchangeFor('GET', '/', { authorization: 'Bearer s3cret' });
  await guarded.handle(c.exchange);
  expect(c.sent[0]?.status).toBe(200);
  await guarded.close();
});

test('a custom route answering with a thenable is awaited like a promise', async () => {
  const core = createServerCore(echo());
  const reply: Reply = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'later' };
  core.routes.add('GET', '/later', {
    protocol: 'http',
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise, on purpose
    handle: () => ({ then: (resolve: (r: Reply) => void) => resolve(reply) }) as unknown as Promise<Reply>,
  });
  const { exchange, sent } = exchangeFor('GET', '/later');
  await core.handle(exchange);
  expect(sent).toEqual([reply]);
  await core.close();
});
