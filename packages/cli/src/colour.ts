/**
 * Whether to colour what is written to `stream`: only a terminal, and only one that has colours
 * by Node's rules (NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR=0 and TERM=dumb turn them off).
 * Piped or redirected output stays plain text.
 */
export function wantsColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && stream.hasColors();
}
