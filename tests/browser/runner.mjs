// What every browser scenario file shares: its command line (--scenario, --url, --out,
// --chromium and the scenario's own flags), Debian's Chromium launched headless with the
// flags this machine's closed network needs, a page that counts the browser's own errors,
// each page checked with axe and photographed, one JSON line reported on stdout, and a
// watchdog over the whole run.

import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { assertAccessible } from './axe.mjs';

export const WAIT_MS = 45_000; // the bound of every single wait (a loaded CI machine runs other tests beside)
const OVERALL_MS = 330_000;

export function fail(message) {
  throw new Error(message);
}

function parseArgs(argv, scenarios, fallback) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${flag}`);
    args[flag.slice(2)] = argv[i + 1];
  }
  args.scenario ||= fallback;
  const scenario = scenarios[args.scenario];
  if (!scenario) throw new Error(`unknown --scenario ${args.scenario}`);
  for (const required of ['url', 'out', ...scenario.needs]) {
    if (!args[required]) throw new Error(`missing --${required}`);
  }
  return args;
}

/**
 * Checks `page` with axe (`options` as `assertAccessible` takes them) and keeps a full-page
 * screenshot named `name` in the run's output.
 */
export async function visit(page, name, pages, options = {}) {
  // Loaded, and quiet if it gets quiet soon.
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
  await assertAccessible(page, name, options);
  const path = join(pages.out, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  pages.list.push({ name, url: page.url(), screenshot: path });
}

/** A new headless Chromium. */
export async function launch(args) {
  return chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Runs the scenario the command line names (`fallback` when none) with a page made by
 * `scenario.context(browser, args)` (a browser context: viewport, locale, device), then
 * reports on stdout and exits: `{"ok":true,"pages":[...], ...extra}` with 0, or
 * `{"ok":false,"error":"..."}` (and OUT/failure.png) with 1.
 */
export async function main(scenarios, fallback) {
  const state = {};
  let args;
  try {
    args = parseArgs(process.argv.slice(2), scenarios, fallback);
    const watchdog = new Promise((_, reject) => {
      setTimeout(() => reject(new Error(`no result within ${OVERALL_MS} ms`)), OVERALL_MS).unref();
    });
    const report = await Promise.race([run(scenarios[args.scenario], args, state), watchdog]);
    console.log(JSON.stringify(report));
    await state.browser?.close();
    process.exit(0);
  } catch (error) {
    if (state.page && args?.out) {
      await state.page.screenshot({ path: join(args.out, 'failure.png'), fullPage: true }).catch(() => {});
    }
    console.error(error.stack || String(error));
    console.log(JSON.stringify({ ok: false, error: String(error.message || error), url: state.page?.url() }));
    await state.browser?.close().catch(() => {});
    process.exit(1);
  }
}

async function run(scenario, args, state) {
  const browser = await launch(args);
  state.browser = browser;
  const context = await scenario.context(browser, args);
  const page = await context.newPage();
  state.page = page;
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  page.on('console', (message) => {
    // A form sent back with what to fix answers 4xx on purpose; the browser logs it.
    const expected = /status of (404|409|422|429)/.test(message.text());
    if (message.type() === 'error' && !expected) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const pages = { out: args.out, list: [] };
  const extra = (await scenario.run(page, args, pages, context)) || {};
  if (problems.length) fail(`the browser reported: ${problems.join('; ')}`);
  return { ok: true, pages: pages.list, ...extra };
}
