import { startOnnxServer } from './server.js';

const server = await startOnnxServer(process.argv[2], { port: Number(process.env.PORT ?? 9002), handleSignals: true });
console.log(`serving on ${server.url}; try: pnpm graphpipe info ${server.url}`);
