import { GraphPipeError } from './errors.js';

/**
 * The one rule for model names, wherever a name is set (a backend's metadata, the CLI's --name,
 * a composition, a repository) and wherever one is read (a URL): a name that can never mean a
 * path, so it can go in a URL as it is.
 */
export const MODEL_NAME_RULE = 'use letters, digits, "_", "-" and "." (not only dots)';

/** Letters, digits, "_", "-" and "." (not only dots). */
export function isModelName(name: string): boolean {
  return /^[\w.-]+$/.test(name) && !/^\.+$/.test(name);
}

/**
 * `name`, when it is a model name; otherwise an INVALID_ARGUMENT error stating the rule (and
 * `hint`). Versions follow the same rule (`what`: 'version').
 */
export function checkModelName(name: string, hint?: string, what = 'model name'): string {
  if (isModelName(name)) return name;
  const message = `invalid ${what} "${printable(name)}": ${MODEL_NAME_RULE}`;
  throw new GraphPipeError('INVALID_ARGUMENT', hint === undefined ? message : `${message}; ${hint}`);
}

/**
 * A model name made of `text` (a file name, say): each run of other characters becomes "_".
 * For names nobody chose; a name somebody chose is checked instead.
 */
export function toModelName(text: string): string {
  const name = text.replace(/[^\w.-]+/g, '_');
  return isModelName(name) ? name : 'model';
}

/** For messages: control characters (NUL among them) shown as escapes. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
