import ts from 'typescript';

/**
 * Type-checks a JavaScript program (with its JSDoc) against the declarations installed beside
 * it, as an editor would for a user. Third-party declarations are not checked (that alone takes
 * seconds), but every module that the declarations of `ownPackages` import must resolve: one
 * they name without depending on it fails here, as it would in a user's strict project.
 */
export function typeCheck(entry: string, typeRoots: string[], ownPackages: RegExp): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots,
  };
  const program = ts.createProgram([entry], options);
  const problems = ts.getPreEmitDiagnostics(program).map(describe);
  // Modules that declarations declare by name, as @types/node does `node:http`.
  const ambient = new Set(
    program
      .getTypeChecker()
      .getAmbientModules()
      .map((m) => m.getName().slice(1, -1)),
  );
  for (const file of program.getSourceFiles()) {
    if (!file.isDeclarationFile || !ownPackages.test(file.fileName)) continue;
    for (const specifier of importedModules(file)) {
      if (ambient.has(specifier)) continue;
      const { resolvedModule } = ts.resolveModuleName(
        specifier,
        file.fileName,
        options,
        ts.sys,
        undefined,
        undefined,
        file.impliedNodeFormat,
      );
      if (!resolvedModule) problems.push(`${file.fileName}: cannot find module '${specifier}'`);
    }
  }
  return problems;
}

/** Every module a declaration file imports or re-exports, `import('…')` types included. */
function importedModules(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      if (ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function describe(d: ts.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return text;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${d.file.fileName}:${line + 1}:${character + 1}: ${text}`;
}
