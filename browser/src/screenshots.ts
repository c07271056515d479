import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Where the browser tests leave their screenshots for a developer to open (not committed). */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));

const taken: string[] = [];

/** A full-page screenshot as screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = `${SCREENSHOTS_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  taken.push(path);
  return path;
}

/** Writes screenshots/report.json (the screenshots' paths and what was measured) and prints it. */
export function report(measured: Record<string, unknown>): void {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const text = JSON.stringify({ screenshots: taken, ...measured }, null, 2);
  writeFileSync(`${SCREENSHOTS_DIR}report.json`, `${text}\n`);
  console.log(`browser tests: ${text}`);
}
