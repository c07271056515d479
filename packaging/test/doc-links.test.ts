/**
 * Every relative link in the documentation leads somewhere: the file or folder it names exists, and
 * its #anchor is a heading of the Markdown file it points into (slugged as GitHub renders them).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';
import { expect, test } from 'vitest';
import { repoRoot } from '../../scripts/published-packages.mjs';

const markdown = new MarkdownIt({ html: true });

const markdownIn = (dir: string) =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((name) => name.endsWith('.md'))
        .map((name) => join(dir, name))
    : [];

/** The folders holding packages or examples, and the folders of the root that are not one of those. */
const foldersIn = (dir: string) =>
  readdirSync(join(repoRoot, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => join(dir, entry.name));

const DOCUMENTS = [
  'README.md',
  ...markdownIn('docs'),
  ...[...foldersIn('.'), ...foldersIn('packages'), ...foldersIn('examples')]
    .map((dir) => join(dir, 'README.md'))
    .filter((file) => existsSync(join(repoRoot, file))),
];

/** The hrefs of a Markdown file's links, code spans and blocks left out as GitHub does. */
const hrefsOf = (source: string): string[] => {
  const hrefs: string[] = [];
  const walk = (tokens: ReturnType<typeof markdown.parse>) => {
    for (const token of tokens) {
      if (token.type === 'link_open') hrefs.push(String(token.attrGet('href') ?? ''));
      if (token.children) walk(token.children);
    }
  };
  walk(markdown.parse(source, {}));
  return hrefs;
};

const anchorsCache = new Map<string, Set<string>>();
/** The anchors GitHub gives a Markdown file's headings (repeated ones numbered: `-1`, `-2`). */
const anchorsOf = (file: string): Set<string> => {
  let anchors = anchorsCache.get(file);
  if (!anchors) {
    const slugger = new GithubSlugger();
    const tokens = markdown.parse(readFileSync(file, 'utf8'), {});
    anchors = new Set(
      tokens.flatMap((token, i) => (token.type === 'heading_open' ? [slugger.slug(inlineText(tokens[i + 1]!))] : [])),
    );
    anchorsCache.set(file, anchors);
  }
  return anchors;
};

/** A heading's text as GitHub slugs it: code spans and links reduced to their text. */
const inlineText = (inline: ReturnType<typeof markdown.parse>[number]) =>
  (inline.children ?? [])
    .map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : ''))
    .join('');

/** Why a link does not resolve, or undefined when it does. */
const brokenReason = (document: string, href: string): string | undefined => {
  const [path = '', anchor] = href.split('#');
  const target = path === '' ? join(repoRoot, document) : join(repoRoot, dirname(document), decodeURIComponent(path));
  if (!existsSync(target)) return `${relative(repoRoot, target)} does not exist`;
  if (anchor === undefined) return undefined;
  const file = statSync(target).isDirectory() ? join(target, 'README.md') : target;
  if (!file.endsWith('.md')) return `#${anchor} points into ${relative(repoRoot, file)}, which has no headings`;
  if (!existsSync(file)) return `${relative(repoRoot, file)} does not exist`;
  return anchorsOf(file).has(decodeURIComponent(anchor))
    ? undefined
    : `${relative(repoRoot, file)} has no heading #${anchor}`;
};

const isRelative = (href: string) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('//');

test('the documentation checked holds the root README, docs/, and the READMEs of packages and folders', () => {
  expect(DOCUMENTS).toContain('README.md');
  expect(DOCUMENTS).toContain(join('packages', 'server-core', 'README.md'));
  expect(DOCUMENTS).toContain(join('bench', 'README.md'));
  expect(DOCUMENTS.filter((document) => document.startsWith('docs'))).not.toEqual([]);
});

test.each(DOCUMENTS)('every relative link and anchor in %s resolves', (document) => {
  const source = readFileSync(join(repoRoot, document), 'utf8');
  const broken = hrefsOf(source)
    .filter(isRelative)
    .flatMap((href) => {
      const reason = brokenReason(document, href);
      return reason ? [`${href}: ${reason}`] : [];
    });
  expect(broken).toEqual([]);
});
