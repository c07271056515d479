/**
 * String tensor elements are bytes on both wires (GraphPipe String, v2 BYTES): any bytes, NUL
 * included. These read them as text for the places that need text, and say which element is not.
 */
import { GraphPipeError } from './errors.js';
import type { TensorOf } from './tensor.js';

// ignoreBOM: a leading U+FEFF is part of an element, not a marker to drop.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** Names a tensor in messages, e.g. `input "text"` (made into text only for a message). */
type TensorLabelLike = { toString(): string };

function notText(what: TensorLabelLike, index: number, why: string, todo: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', `${what}: element ${index} ${why}${todo}`);
}

/** One element as text, exactly, or INVALID_ARGUMENT naming it; `todo` ends the message. */
function elementText(v: string | Uint8Array, what: TensorLabelLike, index: number, todo: string): string {
  if (typeof v === 'string') {
    if (!isWellFormed(v)) throw notText(what, index, 'holds a lone surrogate, which is not UTF-8 text', todo);
    return v;
  }
  try {
    return strictUtf8.decode(v);
  } catch {
    throw notText(what, index, 'is not valid UTF-8 text', todo);
  }
}

/**
 * The elements as text, decoded exactly: an element that is not valid UTF-8 (or a JS string with a
 * lone surrogate, which has no UTF-8 form) is refused with INVALID_ARGUMENT naming `what` and its
 * index, never replaced. NUL is text here; see `textValues` for consumers that stop at NUL.
 */
export function utf8Values(t: TensorOf<'string'>, what: TensorLabelLike, todo = ''): string[] {
  const out = new Array<string>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = elementText(t.data[i]!, what, i, todo);
  return out;
}

const TEXT_ONLY = '; this model takes UTF-8 text without NUL bytes';

/**
 * The elements as text for a model that can only take text without NUL (onnxruntime's string
 * tensors are JS strings cut at the first NUL): as `utf8Values`, and an element holding NUL is
 * refused too, never cut short. The message names `what` (e.g. `input "text"`) and the index.
 */
export function textValues(t: TensorOf<'string'>, what: TensorLabelLike): string[] {
  const out = new Array<string>(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const text = elementText(t.data[i]!, what, i, TEXT_ONLY);
    if (text.includes('\0')) throw notText(what, i, 'holds a NUL byte', TEXT_ONLY);
    out[i] = text;
  }
  return out;
}

/**
 * The elements as bytes, exactly: a JS string element as its UTF-8 (refused, with its index, when
 * it holds a lone surrogate: it has no bytes), a Uint8Array as itself.
 */
export function byteValues(t: TensorOf<'string'>, what: TensorLabelLike = 'String tensor'): Uint8Array[] {
  return t.data.map((v, i) => elementBytes(v, what, i));
}

/** One element's bytes (see `byteValues`); encoders use it for each JS string they send. */
export function elementBytes(v: string | Uint8Array, what: TensorLabelLike, index: number): Uint8Array {
  if (typeof v !== 'string') return v;
  if (!isWellFormed(v)) throw notText(what, index, 'holds a lone surrogate, which has no UTF-8 bytes', '');
  return encoder.encode(v);
}

/**
 * FOR DISPLAY ONLY: the elements as text with every invalid UTF-8 sequence shown as U+FFFD. Never
 * send or store what this returns: it is not the tensor's bytes.
 */
export function displayStrings(t: TensorOf<'string'>): string[] {
  return t.data.map((v) => (typeof v === 'string' ? v : lossyUtf8.decode(v)));
}

const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether a JS string has UTF-8 bytes (no lone surrogate): String.prototype.isWellFormed, or a fallback. */
export function isWellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(s) : !LONE_SURROGATE.test(s);
}
