import type { Page } from 'playwright-core';

/**
 * What went wrong inside a page: uncaught exceptions and console errors, less the browser's
 * notes on answers that failed on purpose (a 4xx the page shows, a probe for an optional route).
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || message.text().startsWith('Failed to load resource')) return;
    errors.push(`console: ${message.text()}`);
  });
  return errors;
}
