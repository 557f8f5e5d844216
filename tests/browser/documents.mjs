#!/usr/bin/env node
// Prints the platform's printable documents as a clerk's browser would: each document is
// fetched with the clerk's token, opened in headless Chromium, printed to an A4 PDF (print
// media, the page's own @page rules) and screenshotted. Checks that each PDF has one or two
// A4 pages and that the printed page shows the texts expected (the case number, the
// applicant's name, the seal's name ...). On screen each is also checked with axe-core and
// shown at a phone's width (375 × 667, screenshotted), where nothing may run off the side.
//
//   node tests/browser/documents.mjs --spec spec.json --out DIR [--chromium /usr/bin/chromium]
//
// spec.json: {"documents": [{"name": "receipt", "url": "...", "method": "POST",
//              "token": "...", "expect": ["...", ...]}, ...]}
//
// Prints one JSON line on stdout:
//   {"ok":true,"documents":[{"name","heading","pages","a4","missing","violations","phone_overflow"}]}
// and exits 0, or {"ok":false,"error":"..."} and exits 1. Diagnostics go to stderr.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { axeViolations } from './axe.mjs';
import { pdfPages } from './pdf.mjs';

const WAIT_MS = 30_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 667 };
const OVERALL_MS = 180_000;
const USAGE = 'usage: node documents.mjs --spec spec.json --out DIR [--chromium /usr/bin/chromium]';

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  const names = { '--spec': 'spec', '--out': 'out', '--chromium': 'chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || argv[i + 1] === undefined) throw new Error(USAGE);
    args[name] = argv[i + 1];
  }
  if (!args.spec || !args.out) throw new Error(USAGE);
  return args;
}

async function run(args) {
  const spec = JSON.parse(await readFile(args.spec, 'utf8'));
  const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: DESKTOP });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
    const results = [];
    for (const doc of spec.documents) {
      const response = await fetch(doc.url, {
        method: doc.method || 'GET',
        headers: { authorization: `Bearer ${doc.token}` },
      });
      const html = await response.text();
      if (response.status !== 200) throw new Error(`${doc.name}: ${doc.url} answered ${response.status}: ${html}`);
      const type = response.headers.get('content-type') || '';
      if (!type.startsWith('text/html')) throw new Error(`${doc.name}: content-type ${type}`);
      await page.setViewportSize(DESKTOP);
      await page.emulateMedia({ media: 'screen' });
      await page.setContent(html, { waitUntil: 'load' });
      const violations = await axeViolations(page);
      // On a phone: how far the widest thing runs past the screen's edge (0 when it fits).
      await page.setViewportSize(PHONE);
      const phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.screenshot({ path: join(args.out, `${doc.name}.phone.png`), fullPage: true });
      await page.setViewportSize(DESKTOP);
      await page.emulateMedia({ media: 'print' });
      const printed = await page.locator('body').innerText();
      const missing = (doc.expect || []).filter((text) => !printed.includes(text));
      const heading = await page.getByRole('heading', { level: 1 }).innerText();
      const pdfPath = join(args.out, `${doc.name}.pdf`);
      await page.pdf({ path: pdfPath, format: 'A4', preferCSSPageSize: true, printBackground: true });
      await page.screenshot({ path: join(args.out, `${doc.name}.png`), fullPage: true });
      const { pages, a4 } = pdfPages(await readFile(pdfPath));
      results.push({ name: doc.name, heading, pages, a4, missing, violations, phone_overflow: phoneOverflow });
    }
    return results;
  } finally {
    await browser.close();
  }
}

async function main() {
  const watchdog = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: 'the run took too long' })}\n`);
    process.exit(1);
  }, OVERALL_MS);
  try {
    const args = parseArgs(process.argv.slice(2));
    const documents = await run(args);
    await writeFile(join(args.out, 'documents.json'), JSON.stringify(documents, null, 2));
    process.stdout.write(`${JSON.stringify({ ok: true, documents })}\n`);
    clearTimeout(watchdog);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(err && err.stack ? err.stack : err) })}\n`);
    process.exit(1);
  }
}

main();
