/** The model header of a file, read a few bytes at a time (see @graphpipe/onnx-common's parseModelHeader). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type ByteSource, bytesSource, type ModelHeader, parseModelHeader } from '@graphpipe/onnx-common';

export function readModelHeader(source: string | Uint8Array): ModelHeader {
  if (typeof source !== 'string') return parseModelHeader(bytesSource(source));
  const fd = openSync(source, 'r');
  try {
    return parseModelHeader(fileSource(fd));
  } finally {
    closeSync(fd);
  }
}

function fileSource(fd: number): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(position, length) {
      const buf = new Uint8Array(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, position));
    },
  };
}
