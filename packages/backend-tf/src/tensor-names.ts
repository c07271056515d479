/**
 * One naming rule for the tensors of TF models: `x`, not `x:0`. TensorFlow names a node's first
 * output `x:0`; some signatures are keyed that way, others (and graph nodes) by the bare name.
 * The other form is still accepted where a name is looked up.
 */

/** `x` for `x:0`; any other name as it is (`x:1` names another output and keeps its index). */
export function publicName(name: string): string {
  return name.endsWith(':0') ? name.slice(0, -2) : name;
}

/** The public names of `names`, or `names` unchanged when dropping `:0` would make two of them one. */
export function publicNames(names: readonly string[]): string[] {
  const publics = names.map(publicName);
  return new Set(publics).size === publics.length ? publics : [...names];
}

/** `x` for `x:0` and `x:0` for `x`: the same tensor's other name. */
export function otherForm(name: string): string {
  return name.endsWith(':0') ? name.slice(0, -2) : `${name}:0`;
}

/** The declared name that `name` stands for (itself, or its other form), or `name` when neither is declared. */
export function declaredName(name: string, declared: ReadonlySet<string>): string {
  if (declared.has(name)) return name;
  const other = otherForm(name);
  return declared.has(other) ? other : name;
}

/** The tensor `inputs` holds under `name` or its other form. */
export function inputNamed<T>(inputs: Readonly<Record<string, T>>, name: string): T | undefined {
  if (Object.hasOwn(inputs, name)) return inputs[name];
  const other = otherForm(name);
  return Object.hasOwn(inputs, other) ? inputs[other] : undefined;
}

/** Each name's other form, where no tensor has it as its own: the names a server also accepts. */
export function otherForms(names: readonly string[]): Record<string, string> {
  const declared = new Set(names);
  const aliases: Record<string, string> = Object.create(null);
  for (const name of names) {
    const other = otherForm(name);
    if (!declared.has(other)) aliases[other] = name;
  }
  return aliases;
}
