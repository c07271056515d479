#!/usr/bin/env node
import { followLauncher, heapRoomFor, serveWithHeapRoom } from './heap-room.js';

const room = heapRoomFor(process.argv);
if (room === undefined) {
  followLauncher();
  const { main } = await import('./main.js');
  await main(process.argv);
} else {
  serveWithHeapRoom(room);
}
