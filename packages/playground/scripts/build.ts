/**
 * Builds the page into dist/: src/main.ts bundled (the client included) and minified for
 * browsers, then inlined with the styles into src/page.html, so the page is one document that
 * needs nothing else. dist/index.js exports it as a string, with a Content-Security-Policy that
 * allows exactly that script and style; server-core serves it on any runtime.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

const bundled = await build({
  entryPoints: [here('src/main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
// A literal "</script" would end the inline script early.
const script = bundled.outputFiles[0]!.text.replaceAll('</script', '<\\/script').trim();
const style = (
  await transform(readFileSync(here('src/style.css'), 'utf8'), { loader: 'css', minify: true })
).code.trim();

const template = readFileSync(here('src/page.html'), 'utf8');
if (!template.includes('/*STYLE*/') || !template.includes('/*SCRIPT*/')) {
  throw new Error('src/page.html must hold the /*STYLE*/ and /*SCRIPT*/ markers');
}
// Functions as replacements: "$" in the code must stay as it is.
const html = template.replace('/*STYLE*/', () => style).replace('/*SCRIPT*/', () => script);

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${sha256(script)}`,
  `style-src ${sha256(style)}`,
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

mkdirSync(here('dist'), { recursive: true });
writeFileSync(
  here('dist/index.js'),
  `export const PLAYGROUND_HTML = ${JSON.stringify(html)};\nexport const PLAYGROUND_CSP = ${JSON.stringify(csp)};\n`,
);
writeFileSync(
  here('dist/index.d.ts'),
  `/** The playground page: one HTML document, its script and styles inlined. */
export declare const PLAYGROUND_HTML: string;
/** The page's Content-Security-Policy: its own script and style, requests to its own origin only. */
export declare const PLAYGROUND_CSP: string;
`,
);
const bytes = Buffer.byteLength(html);
console.log(`playground: ${bytes} bytes, ${gzipSync(html, { level: 9 }).length} gzipped`);
