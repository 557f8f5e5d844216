#!/usr/bin/env node
// A window clerk's first morning in the staff console, in headless Chromium, as a person does
// it: elements found by role and label, never by CSS path. Opens the platform's front door,
// signs in with the administrator's temporary password, must choose their own, finds the
// online application in the hall's inbox, opens it, finds it again by the applicant's name,
// switches to English and back, reaches the content with the keyboard's skip link, and signs
// out. Every page is checked with axe-core and photographed (PNG under --out).
//
//   node tests/browser/console.mjs --url http://127.0.0.1:PORT/ --username U \
//     --temporary P --chosen P2 --number CASE_NUMBER --applicant 李四 --out DIR \
//     [--chromium /usr/bin/chromium]
//
// Prints one JSON line on stdout: {"ok":true,"pages":[...]} and exits 0, or
// {"ok":false,"error":"..."} (with DIR/failure.png when one can be taken) and exits 1.

import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { assertAccessible } from './axe.mjs';

const WAIT_MS = 20_000;
const OVERALL_MS = 200_000;

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${flag}`);
    args[flag.slice(2)] = argv[i + 1];
  }
  for (const required of ['url', 'username', 'temporary', 'chosen', 'number', 'applicant', 'out']) {
    if (!args[required]) throw new Error(`missing --${required}`);
  }
  return args;
}

function fail(message) {
  throw new Error(message);
}

/** Checks `page` with axe and keeps a screenshot named `name`. */
async function visit(page, name, pages) {
  await page.waitForLoadState('networkidle');
  await assertAccessible(page, name);
  const path = join(pages.out, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  pages.list.push({ name, url: page.url(), screenshot: path });
}

async function run(args, state) {
  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  state.browser = browser;
  // A hall PC: 1366×768, Chinese.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  state.page = page;
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  page.on('console', (message) => {
    // A form sent back with what to fix answers 422 on purpose; the browser logs it.
    const expected = /status of 422/.test(message.text());
    if (message.type() === 'error' && !expected) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const pages = { out: args.out, list: [] };

  // The front door leads to the sign-in.
  await page.goto(args.url);
  await page.waitForURL(/\/console\/sign-in/);
  await page.getByRole('heading', { name: '工作人员登录' }).waitFor();
  await visit(page, '01-sign-in', pages);

  // A wrong password is said plainly, beside the form.
  await page.getByLabel('用户名').fill(args.username);
  await page.getByLabel('密码', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: '登录' }).click();
  const wrong = await page.getByRole('alert').innerText();
  if (!wrong.includes('用户名或密码不正确')) fail(`wrong password said: ${wrong}`);

  // The temporary password opens only the password page.
  await page.getByLabel('密码', { exact: true }).fill(args.temporary);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/console\/password/);
  await page.getByText('管理员为您设置了临时密码').waitFor();
  await visit(page, '02-password-forced', pages);
  await page.goto(new URL('/console/inbox', args.url).toString());
  await page.waitForURL(/\/console\/password/);

  // Two new passwords that differ are caught before anything is sent.
  await page.getByLabel('当前密码').fill(args.temporary);
  await page.getByLabel('新密码', { exact: true }).fill(args.chosen);
  await page.getByLabel('再次输入新密码').fill(`${args.chosen}x`);
  await page.getByRole('button', { name: '保存新密码' }).click();
  if (!(await page.getByRole('alert').innerText()).includes('不一致')) fail('a mismatch not said');
  await page.getByLabel('当前密码').fill(args.temporary);
  await page.getByLabel('新密码', { exact: true }).fill(args.chosen);
  await page.getByLabel('再次输入新密码').fill(args.chosen);
  await page.getByRole('button', { name: '保存新密码' }).click();
  await page.getByRole('status').filter({ hasText: '密码已修改' }).waitFor();

  // Home: the hall's inbox with its counts.
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '首页' }).click();
  await page.getByRole('heading', { name: /您好/ }).waitFor();
  const review = page.getByRole('link', { name: /待预审/ }).first();
  const reviewText = await review.innerText();
  if (!/^\s*1\s/.test(reviewText)) fail(`the home page counts one case awaiting review: "${reviewText}"`);
  await visit(page, '03-home', pages);

  // The inbox lists the case; its page shows whom it is for, its materials and history.
  await review.click();
  await page.getByRole('heading', { name: '综合受理', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: args.number });
  await row.waitFor();
  if (!(await row.innerText()).includes(args.applicant)) fail('the inbox row names the applicant');
  await visit(page, '04-inbox', pages);
  await row.getByRole('link', { name: args.number }).click();
  await page.getByRole('heading', { name: '申请人' }).waitFor();
  const applicant = await page.getByRole('region', { name: '申请人' }).innerText();
  if (!applicant.includes(args.applicant)) fail(`the case page names the applicant: ${applicant}`);
  const history = page.getByRole('region', { name: '办理过程' }).getByRole('listitem');
  if ((await history.count()) < 1) fail('the history has entries');
  if (!(await page.getByRole('region', { name: '申请材料' }).getByRole('row').count())) fail('materials listed');
  await visit(page, '05-case', pages);

  // Found again by the beginning of the applicant's name.
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '办件查询' }).click();
  await page.getByLabel('申请人姓名（开头）').fill(args.applicant.slice(0, 1));
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('row').filter({ hasText: args.number }).waitFor();
  await visit(page, '06-search', pages);

  // In English, the same page.
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Find a case' }).waitFor();
  await page.getByRole('row').filter({ hasText: args.number }).waitFor();
  await visit(page, '07-search-en', pages);
  await page.getByRole('link', { name: '中文' }).click();
  await page.getByRole('heading', { name: '办件查询' }).waitFor();

  // The keyboard: the first Tab reaches the skip link, which moves to the content.
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement?.textContent?.trim());
  if (first !== '跳到正文') fail(`the first Tab stop is the skip link, not "${first}"`);
  await page.keyboard.press('Enter');
  const focused = await page.evaluate(() => document.activeElement?.id);
  if (focused !== 'main') fail(`the skip link moves focus to the content, not "${focused}"`);

  // Signing out leads back to the sign-in; the inbox asks to sign in again.
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL(/\/console\/sign-in/);
  await page.goto(new URL('/console/inbox/awaiting_review', args.url).toString());
  await page.waitForURL(/\/console\/sign-in\?next=/);

  if (problems.length) fail(`the browser reported: ${problems.join('; ')}`);
  return { ok: true, pages: pages.list };
}

const state = {};
let args;
try {
  args = parseArgs(process.argv.slice(2));
  const watchdog = new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`no result within ${OVERALL_MS} ms`)), OVERALL_MS).unref();
  });
  const report = await Promise.race([run(args, state), watchdog]);
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
