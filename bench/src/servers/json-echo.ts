/**
 * The seed's JSON baseline: a JSON body of numbers is parsed into a Float32Array (what a model
 * would need), then the identity "model" output is serialised back as JSON numbers.
 */
import { createServer } from 'node:http';
import { fromJson, toJson } from '../baselines/json.js';
import { listen, readAll, runServer } from './harness.js';

runServer(() =>
  listen(
    createServer((req, res) => {
      readAll(req)
        .then((body) => {
          const input = fromJson(body.toString('utf8'));
          const out = toJson(input.shape, input.data);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
          res.end(out);
        })
        .catch(() => {
          res.writeHead(400).end();
        });
    }),
  ),
);
