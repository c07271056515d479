import { serve } from '@graphpipe/server-core/node';
import { softmaxModel } from './model.js';

const port = Number(process.env.PORT ?? 9001);
const server = await serve(softmaxModel(), { port, handleSignals: true });
console.log(`serving softmax on ${server.url}`);
