import { startTfServer } from './server.js';

const { server, engine } = await startTfServer(process.argv[2], {
  port: Number(process.env.PORT ?? 9003),
  handleSignals: true,
});
console.log(`serving on ${server.url} with ${engine}`);
