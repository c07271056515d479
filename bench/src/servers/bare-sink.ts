/**
 * The transport floor for a model: a bare node:http server that reads the whole body and
 * answers with a fixed number of bytes (the size of the model's real answer).
 */
import { createServer } from 'node:http';
import { listen, readAll, runServer } from './harness.js';

const answer = Buffer.alloc(Number(process.argv[2] ?? 0));

runServer(() =>
  listen(
    createServer((req, res) => {
      readAll(req).then(
        () => {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': answer.length });
          res.end(answer);
        },
        () => res.destroy(),
      );
    }),
  ),
);
