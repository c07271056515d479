/** Replaces `${NAME}` in every string of a parsed config, so one file serves any host and port. */
export function substitute(value: unknown, vars: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      // Own keys only: `${constructor}` is not set just because every object has a constructor.
      const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
      if (v === undefined) throw new Error(`the config uses \${${name}}, which is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}
