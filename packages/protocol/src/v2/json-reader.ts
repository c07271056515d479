/**
 * A strict JSON reader over UTF-8 bytes. The envelope (names, shapes, parameters) is read into
 * plain values; tensor `data` arrays are read straight into typed arrays, element by element,
 * without building an array of JS numbers first (see tensor-data.ts). Every mistake is an
 * INVALID_MESSAGE naming what was expected and the byte where it went wrong.
 */
import { invalidMessage } from '../errors.js';
import { isWellFormed } from '../string-elements.js';

/** Exact powers of ten: every one up to 1e22 is a double without rounding. */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** How deeply a generic value (e.g. a parameter) may nest. */
const MAX_DEPTH = 64;

// Byte values the reader branches on.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// ignoreBOM: a string's leading U+FEFF is its own, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A JSON object as read: no prototype, so a key such as `__proto__` is a plain key. */
export type JsonObject = { [key: string]: unknown };

export class JsonReader {
  pos: number;

  readonly end: number;

  /** `bytes` is exactly the JSON text: reads past its end give undefined, which no check accepts. */
  constructor(
    readonly bytes: Uint8Array,
    /** What is being read, for messages ("request JSON"). */
    readonly what: string,
  ) {
    this.pos = 0;
    this.end = bytes.length;
  }

  fail(message: string, at = this.pos): never {
    throw invalidMessage(`${this.what}: ${message} at byte ${at}`);
  }

  /** Skips whitespace; returns the next byte, or -1 at the end. */
  peek(): number {
    const b = this.bytes;
    let p = this.pos;
    const end = this.end;
    while (p < end) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
    return p < end ? b[p]! : -1;
  }

  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`expected ${what}`);
    this.pos++;
  }

  /** After the top-level value: nothing but whitespace may follow. */
  finish(): void {
    if (this.peek() !== -1) this.fail('unexpected content after the JSON value');
  }

  /**
   * Opens an object and returns its first key, the reader at its value; undefined for `{}`.
   * Read the value, then call nextKey, until a key is undefined:
   *
   *     for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) { … }
   *
   * (Loops rather than callbacks: nothing is allocated per object.)
   */
  firstKey(): string | undefined {
    this.expect(OPEN_BRACE, "'{'");
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return undefined;
    }
    return this.key();
  }

  /** After a value in an object: the next key, or undefined at the object's end. */
  nextKey(): string | undefined {
    const c = this.peek();
    this.pos++;
    if (c === CLOSE_BRACE) return undefined;
    if (c !== COMMA) this.fail("expected ',' or '}'", this.pos - 1);
    return this.key();
  }

  private key(): string {
    if (this.peek() !== QUOTE) this.fail('expected a key in double quotes');
    const key = this.string();
    this.expect(COLON, "':' after a key");
    return key;
  }

  /**
   * Opens an array: true when an element follows (the reader at it). Read it, then call
   * nextItem, until false:
   *
   *     for (let more = r.firstItem(); more; more = r.nextItem()) { … }
   */
  firstItem(): boolean {
    this.expect(OPEN_BRACKET, "'['");
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** After an element: true when another follows, false at the array's end. */
  nextItem(): boolean {
    const c = this.peek();
    this.pos++;
    if (c === CLOSE_BRACKET) return false;
    if (c !== COMMA) this.fail("expected ',' or ']'", this.pos - 1);
    return true;
  }

  /** Any JSON value as plain JS values (objects without a prototype). */
  value(depth = 0): unknown {
    if (depth > MAX_DEPTH) this.fail(`values nested more than ${MAX_DEPTH} deep`);
    const c = this.peek();
    if (c === OPEN_BRACE) {
      const out: JsonObject = Object.create(null);
      for (let key = this.firstKey(); key !== undefined; key = this.nextKey()) out[key] = this.value(depth + 1);
      return out;
    }
    if (c === OPEN_BRACKET) {
      const out: unknown[] = [];
      for (let more = this.firstItem(); more; more = this.nextItem()) out.push(this.value(depth + 1));
      return out;
    }
    if (c === QUOTE) return this.string();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    return c === -1 ? this.fail('unexpected end of JSON') : this.fail('expected a JSON value');
  }

  /**
   * Steps over an array by matching brackets (strings inside are stepped over, not decoded) and
   * returns where it starts. Nothing inside is checked: the caller reads it properly later.
   */
  skipArray(): number {
    if (this.peek() !== OPEN_BRACKET) this.fail("expected '['");
    const b = this.bytes;
    const end = this.end;
    const start = this.pos;
    let depth = 0;
    for (let p = start; p < end; p++) {
      const c = b[p]!;
      if (c === QUOTE) {
        p++;
        while (p < end && b[p] !== QUOTE) p += b[p] === BACKSLASH ? 2 : 1;
      } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        depth++;
      } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && --depth === 0) {
        this.pos = p + 1;
        return start;
      }
    }
    return this.fail('unterminated array', start);
  }

  literal<T>(word: string, value: T): T {
    const b = this.bytes;
    const p = this.pos;
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) this.fail(`expected ${word}`);
    this.pos = p + word.length;
    return value;
  }

  /** A JSON string as a JS string; strings that are not UTF-8 are refused. */
  string(): string {
    const b = this.bytes;
    const end = this.end;
    let p = this.pos + 1;
    const start = p;
    // Fast path: printable ASCII without escapes, the usual name or datatype.
    while (p < end) {
      const c = b[p]!;
      if (c === QUOTE || c === BACKSLASH || c < 0x20 || c >= 0x80) break;
      p++;
    }
    if (p < end && b[p] === QUOTE) {
      this.pos = p + 1;
      return ascii(b, start, p);
    }
    return this.stringSlow(start);
  }

  private stringSlow(start: number): string {
    const b = this.bytes;
    const end = this.end;
    let out = '';
    let run = start;
    let p = start;
    let surrogates = false;
    for (;;) {
      if (p >= end) this.fail('unterminated string', start - 1);
      const c = b[p]!;
      if (c === QUOTE) break;
      if (c < 0x20) this.fail('control character in a string (escape it)', p);
      if (c !== BACKSLASH) {
        p++;
        continue;
      }
      out += this.utf8(run, p);
      const e = b[p + 1];
      p += 2;
      switch (e) {
        case QUOTE:
          out += '"';
          break;
        case BACKSLASH:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          let code = 0;
          for (let i = 0; i < 4; i++) {
            const h = hexValue(b[p + i]);
            if (h < 0) this.fail('\\u must be followed by four hex digits', p - 2);
            code = code * 16 + h;
          }
          p += 4;
          if (code >= 0xd800 && code <= 0xdfff) surrogates = true;
          out += String.fromCharCode(code);
          break;
        }
        default:
          this.fail('invalid escape in a string', p - 2);
      }
      run = p;
    }
    out += this.utf8(run, p);
    // A \u escape of half a surrogate pair, unpaired, is no text: it has no UTF-8 bytes to carry.
    if (surrogates && !isWellFormed(out)) this.fail('a \\u escape leaves a lone surrogate (not text)', start);
    this.pos = p + 1;
    return out;
  }

  private utf8(start: number, end: number): string {
    if (start === end) return '';
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      return this.fail('a string is not valid UTF-8', start);
    }
  }

  /** A JSON number as a double (correctly rounded, as JSON.parse reads it). */
  number(): number {
    const v = this.scanNumber();
    if (v === undefined) return this.fail('expected a number');
    return v;
  }

  /**
   * Reads a number where one is expected; undefined (nothing read) when the next byte cannot
   * start one. Also reads NaN, Infinity and -Infinity, which Python's json module writes.
   * Fast path: up to 15 significant digits and a power of ten up to 22 give the exact double
   * with one multiplication or division; longer numbers go through Number().
   */
  scanNumber(): number | undefined {
    const b = this.bytes;
    const start = this.pos;
    let p = start;
    let c = b[p];
    const negative = c === MINUS;
    if (negative) c = b[++p];
    if (c === undefined || c < ZERO || c > NINE) {
      if (c === 0x4e) return negative ? undefined : this.literal('NaN', Number.NaN);
      if (c === 0x49) {
        this.pos = p;
        const inf = this.literal('Infinity', Number.POSITIVE_INFINITY);
        return negative ? -inf : inf;
      }
      if (negative) this.fail('expected digits after "-"', p);
      return undefined;
    }
    let mantissa = 0;
    let digits = 0;
    let exponent = 0;
    let exact = true;
    if (c === ZERO) {
      c = b[++p];
      if (c !== undefined && c >= ZERO && c <= NINE) this.fail('a number may not have leading zeros', p);
    } else {
      while (c !== undefined && c >= ZERO && c <= NINE) {
        if (digits < 15) {
          mantissa = mantissa * 10 + (c - ZERO);
          digits++;
        } else {
          exponent++;
          if (c !== ZERO) exact = false;
        }
        c = b[++p];
      }
    }
    if (c === DOT) {
      c = b[++p];
      if (c === undefined || c < ZERO || c > NINE) this.fail('expected digits after "."', p);
      while (c !== undefined && c >= ZERO && c <= NINE) {
        if (mantissa === 0 && c === ZERO) exponent--;
        else if (digits < 15) {
          mantissa = mantissa * 10 + (c - ZERO);
          digits++;
          exponent--;
        } else if (c !== ZERO) exact = false;
        c = b[++p];
      }
    }
    if (c === 0x65 || c === 0x45) {
      c = b[++p];
      let sign = 1;
      if (c === PLUS || c === MINUS) {
        if (c === MINUS) sign = -1;
        c = b[++p];
      }
      if (c === undefined || c < ZERO || c > NINE) this.fail('expected digits in the exponent', p);
      let e = 0;
      while (c !== undefined && c >= ZERO && c <= NINE) {
        if (e < 100_000) e = e * 10 + (c - ZERO);
        c = b[++p];
      }
      exponent += sign * e;
    }
    this.pos = p;
    let value: number;
    if (exact && exponent >= -22 && exponent <= 22) {
      value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
    } else if (mantissa === 0) {
      value = 0;
    } else {
      value = Number(ascii(b, negative ? start + 1 : start, p));
    }
    return negative ? -value : value;
  }
}

/** Bytes known to be ASCII as a string. */
export function ascii(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
