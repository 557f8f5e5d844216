#!/usr/bin/env node
// Drives the insight dashboard in headless Chromium, as a supervisor would: signs in through
// the form, checks the region table and breadcrumb of the starting region, drills into one
// child region, waits for an automatic refresh, checks the page with axe-core and takes a
// full-page screenshot. With --halls, it opens the 大厅 (halls) tab instead of drilling down,
// finds the service centres' and the windows' tables by their captions, expects the centre's
// row, and checks the page with the tab open.
//
//   node tests/browser/dashboard.mjs \
//     --url http://127.0.0.1:PORT/api/insight/dashboard/?refresh=2 \
//     --username U --password P --expect-region 430100000000 --drill 430121000000 \
//     --screenshot /tmp/dashboard.png [--chromium /usr/bin/chromium]
//   node tests/browser/dashboard.mjs --url '…/dashboard/?refresh=2#from=D&to=D' \
//     --username U --password P --expect-region 430900000000 --halls 430903000000 \
//     --screenshot /tmp/halls.png
//
// Prints one JSON line on stdout: {"ok":true,...} and exits 0, or {"ok":false,"error":"..."}
// (with a screenshot at <screenshot>.failure.png when one can be taken) and exits 1.
// Diagnostics (browser console errors, failed requests) go to stderr.

import { chromium } from 'playwright-core';
import { assertAccessible } from './axe.mjs';

const WAIT_MS = 30_000; // the bound of every single wait
const OVERALL_MS = 180_000; // a watchdog over the whole run

const USAGE =
  'usage: node dashboard.mjs --url URL --username U --password P --expect-region CODE ' +
  '(--drill CODE | --halls CENTRE) --screenshot PATH.png [--chromium /usr/bin/chromium]';

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  const names = {
    '--url': 'url',
    '--username': 'username',
    '--password': 'password',
    '--expect-region': 'expectRegion',
    '--drill': 'drill',
    '--halls': 'halls',
    '--screenshot': 'screenshot',
    '--chromium': 'chromium',
  };
  for (let i = 0; i < argv.length; i += 1) {
    let flag = argv[i];
    let value;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    const name = names[flag];
    if (!name) throw new Error(`unknown argument ${flag}; ${USAGE}`);
    if (value === undefined) {
      value = argv[i + 1];
      i += 1;
      if (value === undefined) throw new Error(`${flag} needs a value`);
    }
    args[name] = value;
  }
  for (const required of ['url', 'username', 'password', 'expectRegion', 'screenshot']) {
    if (!args[required]) throw new Error(`missing --${required.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}; ${USAGE}`);
  }
  if (!args.drill === !args.halls) throw new Error(`one of --drill and --halls; ${USAGE}`);
  for (const code of [args.expectRegion, args.drill, args.halls].filter(Boolean)) {
    if (!/^\d{12}$/.test(code)) throw new Error(`${code} is not a 12-digit region code`);
  }
  return args;
}

/** The significant prefix of a region code: province 2, city 4, county 6, town 9, village 12. */
function regionPrefix(code) {
  if (/^\d{2}0{10}$/.test(code)) return code.slice(0, 2);
  if (/^\d{4}0{8}$/.test(code)) return code.slice(0, 4);
  if (/^\d{6}0{6}$/.test(code)) return code.slice(0, 6);
  if (/^\d{9}000$/.test(code)) return code.slice(0, 9);
  return code;
}

const sel = {
  dashboard: '[data-testid="dashboard"]',
  regionRows: '[data-testid="region-table"] tbody tr',
  crumbs: '[data-testid="breadcrumb"] [data-code]',
  banner: '[data-testid="error-banner"]',
};

const KPIS = {
  cases: 'kpi-cases',
  on_time_rate: 'kpi-on-time-rate',
  handling_days: 'kpi-handling-days',
  visits: 'kpi-visits',
  cross_region: 'kpi-cross-region',
  good_rate: 'kpi-good-rate',
  open_overdue: 'kpi-open-overdue',
};

function fail(message) {
  throw new Error(message);
}

async function regionCodes(page) {
  return page.locator(sel.regionRows).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-code')));
}

function checkRows(codes, region, when) {
  if (codes.length === 0) fail(`${when}: the region table of ${region} has no rows`);
  const prefix = regionPrefix(region);
  // A row keyed with the region itself counts that level's own cases (本级).
  const wrong = codes.filter((code) => !code || !code.startsWith(prefix));
  if (wrong.length) {
    fail(`${when}: region table rows not below ${region} (prefix ${prefix}): ${wrong.map(String).join(', ')}`);
  }
}

async function checkBanner(page, when) {
  const banner = page.locator(sel.banner);
  if (await banner.isVisible()) fail(`${when}: error banner shown: ${(await banner.innerText()).trim()}`);
}

async function crumbCodes(page) {
  return page.locator(sel.crumbs).evaluateAll((crumbs) => crumbs.map((c) => c.getAttribute('data-code')));
}

async function run(args, state) {
  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox'],
    timeout: WAIT_MS,
  });
  state.browser = browser;
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  state.page = page;

  const pageErrors = [];
  page.on('pageerror', (err) => {
    pageErrors.push(err.message);
    process.stderr.write(`page error: ${err.message}\n`);
  });
  page.on('console', (msg) => {
    // Failed responses are logged with their address below.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      process.stderr.write(`console error: ${msg.text()}\n`);
      // A Content-Security-Policy refusal means the page relies on something CSP forbids.
      if (/Content Security Policy/i.test(msg.text())) pageErrors.push(msg.text());
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) process.stderr.write(`http ${res.status()}: ${res.request().method()} ${res.url()}\n`);
  });
  page.on('requestfailed', (req) => {
    process.stderr.write(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}\n`);
  });

  const response = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: WAIT_MS });
  if (!response) fail(`no response for ${args.url}`);
  if (!response.ok()) fail(`${args.url} answered ${response.status()}`);

  // Sign in through the form.
  const form = page.getByTestId('signin-form');
  await form.waitFor({ state: 'visible', timeout: WAIT_MS });
  await assertAccessible(page, 'the sign-in form');
  await page.getByTestId('username').fill(args.username);
  await page.getByTestId('password').fill(args.password);
  await page.getByTestId('signin').click();

  const expected = page.locator(`${sel.dashboard}[data-region="${args.expectRegion}"]`);
  const signinError = page.getByTestId('signin-error');
  const noRole = page.getByTestId('no-role');
  const banner = page.locator(sel.banner);
  // Whichever comes first: a region shown, a sign-in error, the no-role notice, a banner.
  const outcome = [
    `${sel.dashboard}[data-region]`,
    '[data-testid="signin-error"]',
    '[data-testid="no-role"]',
    sel.banner,
  ]
    .map((selector) => `${selector}:visible`)
    .join(', ');
  await page.locator(outcome).first().waitFor({ state: 'visible', timeout: WAIT_MS });
  if (await signinError.isVisible()) fail(`sign-in failed: ${(await signinError.innerText()).trim()}`);
  if (await noRole.isVisible()) fail('the account has no supervisor role');
  const shownFirst = await page.locator(sel.dashboard).getAttribute('data-region');
  if (shownFirst && shownFirst !== args.expectRegion) {
    fail(`the dashboard starts at region ${shownFirst}, expected ${args.expectRegion}`);
  }
  if (!(await expected.isVisible())) {
    // The banner came first: give the region a last chance (a retry may still succeed).
    await expected.waitFor({ state: 'visible', timeout: WAIT_MS }).catch(async () => {
      const shown = await page.locator(sel.dashboard).getAttribute('data-region');
      const text = (await banner.isVisible()) ? (await banner.innerText()).trim() : '';
      fail(`the dashboard shows region ${shown ?? '(none)'}, expected ${args.expectRegion}${text ? `; banner: ${text}` : ''}`);
    });
  }
  await checkBanner(page, 'after sign-in');

  // The starting region's children (a question about the halls alone may have no cases).
  const before = await regionCodes(page);
  if (args.drill) checkRows(before, args.expectRegion, 'starting region');

  const kpis = {};
  for (const [name, testid] of Object.entries(KPIS)) {
    const tile = page.getByTestId(testid);
    await tile.waitFor({ state: 'visible', timeout: WAIT_MS });
    const value = tile.locator('.kpi-value');
    kpis[name] = ((await value.count()) ? await value.innerText() : await tile.innerText()).trim().replace(/\s+/g, ' ');
  }
  if (!/\d/.test(kpis.cases)) fail(`the 办件量 tile shows no number: ${JSON.stringify(kpis.cases)}`);

  // The breadcrumb starts at the caller's own region: nothing above it.
  const crumbs = await crumbCodes(page);
  if (crumbs[0] !== args.expectRegion) {
    fail(`the first crumb is ${crumbs[0] ?? '(none)'}, expected ${args.expectRegion} (crumbs: ${crumbs.join(' › ')})`);
  }
  const above = crumbs.filter((code) => !code.startsWith(regionPrefix(args.expectRegion)));
  if (above.length) fail(`the breadcrumb shows regions outside ${args.expectRegion}: ${above.join(', ')}`);

  const shown = args.drill ? await drillDown(page, args, before) : args.expectRegion;
  const after = await regionCodes(page);
  const halls = args.halls ? await openHalls(page, args) : null;

  // Automatic refresh: the count of successful loads goes up and the view stays.
  const dashboard = page.locator(sel.dashboard);
  const refreshesBefore = Number(await dashboard.getAttribute('data-refreshes'));
  await page
    .waitForFunction(
      ([selector, count]) => Number(document.querySelector(selector)?.dataset.refreshes) > count,
      [sel.dashboard, refreshesBefore],
      { timeout: WAIT_MS, polling: 100 },
    )
    .catch(() => fail(`no automatic refresh within ${WAIT_MS / 1000} s (data-refreshes stayed ${refreshesBefore})`));
  const regionNow = await dashboard.getAttribute('data-region');
  if (regionNow !== shown) fail(`after the automatic refresh the dashboard shows ${regionNow}, not ${shown}`);
  if (args.drill) checkRows(await regionCodes(page), args.drill, 'after the automatic refresh');
  if (args.halls) await hallTables(page, args, 'after the automatic refresh');
  await checkBanner(page, 'after the automatic refresh');
  const refreshes = Number(await dashboard.getAttribute('data-refreshes'));

  if (pageErrors.length) fail(`the page reported errors: ${pageErrors.join(' | ')}`);
  await assertAccessible(page, args.halls ? 'the dashboard with its halls tab open' : 'the drilled-down dashboard');

  await page.screenshot({ path: args.screenshot, fullPage: true, timeout: WAIT_MS });

  return {
    ok: true,
    region: args.expectRegion,
    drilled: args.drill ?? null,
    rows_before: before.length,
    rows_after: after.length,
    kpis,
    halls,
    refreshes,
    screenshot: args.screenshot,
  };
}

/** Drills into `args.drill`, a row of the starting region's table; the region shown then. */
async function drillDown(page, args, before) {
  const banner = page.locator(sel.banner);
  if (!before.includes(args.drill)) fail(`${args.drill} is not a row of ${args.expectRegion}'s table (rows: ${before.join(', ')})`);
  await page.locator(`${sel.regionRows}[data-code="${args.drill}"]`).click({ timeout: WAIT_MS });
  const drilled = page.locator(`${sel.dashboard}[data-region="${args.drill}"]`);
  await drilled.waitFor({ state: 'visible', timeout: WAIT_MS }).catch(async () => {
    const text = (await banner.isVisible()) ? (await banner.innerText()).trim() : '';
    fail(`the dashboard did not drill into ${args.drill}${text ? `; banner: ${text}` : ''}`);
  });
  await checkBanner(page, 'after drilling');
  checkRows(await regionCodes(page), args.drill, 'drilled region');
  const crumbsAfter = await crumbCodes(page);
  if (crumbsAfter[0] !== args.expectRegion || crumbsAfter[crumbsAfter.length - 1] !== args.drill) {
    fail(`after drilling the breadcrumb is ${crumbsAfter.join(' › ')}, expected ${args.expectRegion} › … › ${args.drill}`);
  }
  return args.drill;
}

/**
 * Opens the 大厅 (halls) tab by its role and name, as a keyboard or mouse user would, and
 * reads its tables: the centre `args.halls`'s row of the centres' table, and the windows'.
 */
async function openHalls(page, args) {
  const tab = page.getByRole('tab', { name: /大厅/ });
  await tab.click({ timeout: WAIT_MS });
  if ((await tab.getAttribute('aria-selected')) !== 'true') fail('the 大厅 tab is not selected after a click');
  const panel = page.getByRole('tabpanel', { name: /大厅/ });
  await panel.waitFor({ state: 'visible', timeout: WAIT_MS }).catch(() => fail('the 大厅 tab shows no panel named by it'));
  return hallTables(page, args, 'with the halls tab open');
}

/**
 * The halls' tables, found by their captions: the centre's row of the centres' tickets and of
 * their bookings (each row's cells' text), and the windows' names.
 */
async function hallTables(page, args, when) {
  const centreRow = async (caption) => {
    const table = page.getByRole('table', { name: caption });
    await table.waitFor({ state: 'visible', timeout: WAIT_MS }).catch(async () => {
      const banner = page.locator(sel.banner);
      const text = (await banner.isVisible()) ? (await banner.innerText()).trim() : '';
      fail(`${when}: no table captioned ${caption}${text ? `; banner: ${text}` : ''}`);
    });
    const row = table.getByRole('row').filter({ hasText: args.halls });
    if ((await row.count()) !== 1) fail(`${when}: the table captioned ${caption} has no one row for ${args.halls}`);
    return {
      name: (await row.getByRole('rowheader').innerText()).trim().replace(/\s+/g, ' '),
      cells: (await row.getByRole('cell').allInnerTexts()).map((t) => t.trim()),
    };
  };
  const tickets = await centreRow(/各服务中心取号/);
  const bookings = await centreRow(/各服务中心预约/);
  const windows = page.getByRole('table', { name: /各窗口/ });
  await windows.waitFor({ state: 'visible', timeout: WAIT_MS }).catch(() => fail(`${when}: no table captioned 各窗口…`));
  const windowNames = (await windows.getByRole('rowheader').allInnerTexts()).map((t) => t.trim().replace(/\s+/g, ' '));
  if (!windowNames.length) fail(`${when}: the windows' table has no rows`);
  return { centre: tickets.name, cells: tickets.cells, booking_cells: bookings.cells, windows: windowNames };
}

async function main() {
  const state = { browser: null, page: null };
  let args = null;
  let result;
  const watchdog = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: `the run took longer than ${OVERALL_MS / 1000} s` })}\n`);
    process.exit(1);
  }, OVERALL_MS);
  watchdog.unref();
  try {
    args = parseArgs(process.argv.slice(2));
    result = await run(args, state);
  } catch (err) {
    const message = String(err && err.message ? err.message : err);
    // Playwright appends a call log; keep the message itself, on one line.
    result = { ok: false, error: message.split(/\n\s*Call log:/)[0].replace(/\s+/g, ' ').trim() };
    if (state.page && args) {
      const path = `${args.screenshot}.failure.png`;
      try {
        await state.page.screenshot({ path, fullPage: true, timeout: 10_000 });
        result.failure_screenshot = path;
      } catch {
        // The page may be gone.
      }
    }
  } finally {
    if (state.browser) await state.browser.close().catch(() => {});
    clearTimeout(watchdog);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

main();
