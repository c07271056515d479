import { expect, test } from 'vitest';
import { type Route, RouteTable, textReply } from '../src/index.js';

const route = (protocol: string): Route => ({ protocol, handle: () => textReply(protocol) });

test('a route added after a catch-all still answers its path; the most specific catch-all takes the rest', () => {
  const table = new RouteTable()
    .add('POST', '/models/:name', route('model'))
    .add('POST', '/models/*', route('malformed'))
    .add('POST', '*', route('default'))
    .add('POST', '/v2/repository/index', route('index'))
    .add('POST', '/v2/repository/models/:name/load', route('load'))
    .add('POST', '/v2/repository/*', route('repository'));
  const protocol = (path: string) => table.match('POST', path)?.route.protocol;
  expect(protocol('/v2/repository/index')).toBe('index');
  expect(protocol('/v2/repository/models/iris/load')).toBe('load');
  expect(table.match('POST', '/v2/repository/models/iris/load')?.params).toEqual({ name: 'iris' });
  expect(protocol('/models/iris')).toBe('model');
  expect(protocol('/models/iris/versions')).toBe('malformed');
  expect(protocol('/anything/else')).toBe('default');
  expect(protocol('/v2/repository/models/a/b/load')).toBe('repository');
  expect(table.match('GET', '/anything')).toBeUndefined();
});

test('matches with parameters, remembered by path, give each path its own parameters every time', () => {
  const table = new RouteTable()
    .add('POST', '/models/:name', route('model'))
    .add('POST', '/models/:name/versions/:version', route('version'));
  const params = (path: string) => table.match('POST', path)?.params;
  for (let round = 0; round < 3; round++) {
    expect(params('/models/a')).toEqual({ name: 'a' });
    expect(params('/models/b')).toEqual({ name: 'b' });
    expect(params('/models/a/versions/2')).toEqual({ name: 'a', version: '2' });
  }
  // More paths than are remembered: still right.
  for (let i = 0; i < 600; i++) expect(params(`/models/m${i}`)).toEqual({ name: `m${i}` });
  expect(Object.isFrozen(params('/models/a'))).toBe(true);
});
