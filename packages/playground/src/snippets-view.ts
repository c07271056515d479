/** The snippets section: each snippet in a pre, with a button that copies it. */
import { h } from './dom.js';

export interface Snippet {
  readonly title: string;
  readonly code: string;
}

export function renderSnippets(snippets: readonly Snippet[]): HTMLElement[] {
  return snippets.map(({ title, code }) => {
    const pre = h('pre', { tabindex: '0', 'aria-label': title }, h('code', {}, code));
    const status = h('span', { class: 'hint', 'aria-live': 'polite' });
    const copy = h('button', { type: 'button' }, `Copy ${title}`);
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(code);
        status.textContent = 'Copied';
      } catch {
        // No clipboard outside secure contexts: select the text for the user to copy.
        getSelection()?.selectAllChildren(pre);
        status.textContent = 'Selected: press Ctrl+C (⌘C) to copy';
      }
    });
    return h(
      'div',
      { class: 'snippet' },
      h('div', { class: 'row' }, h('h3', {}, title), h('span', {}, status, ' ', copy)),
      pre,
    );
  });
}
