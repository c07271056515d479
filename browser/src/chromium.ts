/**
 * Debian's Chromium, started through playwright-core: no browser is downloaded, the system's is
 * driven. A machine without it fails here with what to install, never skips.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const INSTALL = "install Debian's Chromium with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH";

/** Flags that let Chromium run headless as root in a container, without reaching the network on its own. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a new, empty profile, removed on close. */
export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: ${INSTALL}`);
  const profile = mkdtempSync(join(tmpdir(), 'graphpipe-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      acceptDownloads: true,
      viewport: { width: 1100, height: 900 },
      timeout: 60_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(
      `Chromium at ${CHROMIUM_PATH} did not start (${(err as Error).message.split('\n')[0]}): ${INSTALL}`,
      {
        cause: err,
      },
    );
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
