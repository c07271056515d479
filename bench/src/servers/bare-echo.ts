/** The transport floor: a bare node:http server that reads the body and echoes it back. */
import { createServer } from 'node:http';
import { listen, readAll, runServer } from './harness.js';

runServer(() =>
  listen(
    createServer((req, res) => {
      readAll(req).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
          res.end(body);
        },
        () => res.destroy(),
      );
    }),
  ),
);
