import { checkModelName, GraphPipeError } from '@graphpipe/protocol';

/**
 * A model name from a URL, decoded. Names are looked up among the models served, never used as
 * paths; ones that could mean a path elsewhere are refused outright.
 */
export function modelName(raw: string): string {
  return checkModelName(decoded(raw, 'model name'));
}

/** A version from a URL, decoded: the same rule as for names. */
export function versionOf(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : checkModelName(decoded(raw, 'version'), undefined, 'version');
}

function decoded(raw: string, what: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GraphPipeError('INVALID_ARGUMENT', `the ${what} ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
}
