// Child process for the load test: an echo server with tight limits, so its memory is measured alone.
import { serveEcho } from './echo-server.js';

const [concurrency, maxQueue, delayMs, maxBodyMb] = process.argv.slice(2).map(Number);
const server = await serveEcho({
  concurrency,
  maxQueue,
  delayMs,
  maxBodyBytes: maxBodyMb! * 2 ** 20,
  handleSignals: true,
});
console.log(server.url);
