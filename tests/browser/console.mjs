#!/usr/bin/env node
// The staff console in headless Chromium, as people use it: elements found by role and label,
// never by CSS path; every page checked with axe-core and photographed (PNG under --out).
//
// --scenario first-day (the default): a window clerk's first morning. Opens the console's
// address, signs in with the administrator's temporary password, must choose their own,
// finds the online application in the hall's inbox, opens it, finds it again by the
// applicant's name, switches to English and back, reaches the content with the keyboard's skip
// link, and signs out.
//   node tests/browser/console.mjs --url http://127.0.0.1:PORT/ --username U \
//     --temporary P --chosen P2 --number CASE_NUMBER --applicant 李四 --out DIR
//
// --scenario walk-in: a walk-in taken in, accepted with a 容缺 deferral, the notice printed
// (see walkIn below).
//   node tests/browser/console.mjs --scenario walk-in --url … --username U --password P \
//     --item 个体工商户登记 --applicant 张三 --document ID --bad-document ID' \
//     --materials 'A|B' --deferred C --pdf scan.pdf --out DIR
//
// [--chromium /usr/bin/chromium] for another browser.
//
// Prints one JSON line on stdout: {"ok":true,"pages":[...]} and exits 0, or
// {"ok":false,"error":"..."} (with DIR/failure.png when one can be taken) and exits 1.

import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertAccessible } from './axe.mjs';
import { pdfPages } from './pdf.mjs';

const WAIT_MS = 45_000; // the bound of every single wait (a loaded CI machine runs other tests beside)
const OVERALL_MS = 330_000;

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${flag}`);
    args[flag.slice(2)] = argv[i + 1];
  }
  const scenario = SCENARIOS[args.scenario || 'first-day'];
  if (!scenario) throw new Error(`unknown --scenario ${args.scenario}`);
  for (const required of ['url', 'out', ...scenario.needs]) {
    if (!args[required]) throw new Error(`missing --${required}`);
  }
  return args;
}

function fail(message) {
  throw new Error(message);
}

/** Checks `page` with axe and keeps a screenshot named `name`. */
async function visit(page, name, pages) {
  // Loaded, and quiet if it gets quiet soon: a material's PDF in a frame may keep the network
  // busy on a loaded machine, and the page is whole without it.
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
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

  await SCENARIOS[args.scenario || 'first-day'].run(page, args, pages);

  if (problems.length) fail(`the browser reported: ${problems.join('; ')}`);
  return { ok: true, pages: pages.list, number: pages.number };
}

/** Signs in through the form. */
async function signIn(page, args, username, password) {
  await page.goto(new URL('/console/sign-in', args.url).toString());
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码', { exact: true }).fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}

/** A window clerk's first morning (see the top of the file). */
async function firstDay(page, args, pages) {
  // The console's own address leads to the sign-in.
  await page.goto(new URL('/console/', args.url).toString());
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

}

/**
 * A walk-in at the window: the clerk finds the item the hall may collect, records the
 * applicant (a wrong ID number is caught, naming the field), uploads the required materials,
 * records the original ID check, submits, accepts with the deferrable material deferred (容缺)
 * against the applicant's commitment, and prints the acceptance notice (PDF, A4).
 */
async function walkIn(page, args, pages) {
  await signIn(page, args, args.username, args.password);
  await page.getByRole('heading', { name: /您好/ }).waitFor();
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '窗口收件' }).click();
  await page.getByLabel('事项名称或关键词').fill(args.item);
  await page.getByRole('button', { name: '查找事项' }).click();
  const row = page.getByRole('row').filter({ hasText: args.item }).first();
  await row.waitFor();
  const way = await row.innerText();
  if (args.mode && !way.includes(args.mode)) fail(`the item shows how the hall may collect it (${args.mode}): ${way}`);
  await visit(page, '11-intake-find', pages);
  await row.getByRole('link', { name: /选择/ }).click();

  await page.getByRole('heading', { name: '登记申请人' }).waitFor();
  await page.getByLabel('姓名或名称（与证件一致）').fill(args.applicant);
  await page.getByLabel('证件类型').selectOption({ label: '居民身份证' });
  await page.getByLabel('证件号码或统一社会信用代码').fill(args['bad-document']);
  await page.getByLabel('手机号码（可不填）').fill('13900139000');
  await page.getByRole('button', { name: '登记并开始收件' }).click();
  const refused = await page.getByRole('alert').innerText();
  if (!refused.includes('证件号码')) fail(`a wrong ID number is named: ${refused}`);
  await visit(page, '12-intake-applicant-refused', pages);
  await page.getByLabel('证件号码或统一社会信用代码').fill(args.document);
  await page.getByRole('button', { name: '登记并开始收件' }).click();

  // The draft's page: upload each required material, check the ID, submit.
  await page.getByRole('heading', { name: '窗口办理' }).waitFor();
  await visit(page, '13-window-draft', pages);
  for (const material of args.materials.split('|')) {
    await page.getByLabel(material, { exact: false }).first().setInputFiles(args.pdf);
    await page.getByRole('button', { name: `上传：${material}` }).click();
    await page.getByRole('status').filter({ hasText: '材料已收取' }).waitFor();
  }
  await page.getByRole('button', { name: '已核验身份证原件' }).click();
  await page.getByRole('status').filter({ hasText: '已记录核验身份证原件' }).waitFor();
  await page.getByRole('button', { name: '提交预审' }).click();
  await page.getByRole('status').filter({ hasText: '已提交预审' }).waitFor();
  await visit(page, '14-window-submitted', pages);

  // Accepted with the deferrable material deferred, against the written commitment.
  await page.getByLabel(new RegExp(`容缺受理：${args.deferred}`)).fill('5');
  await page.getByLabel('申请人书面承诺').fill('本人承诺在五个工作日内补交经营场所使用证明。');
  await page.getByRole('button', { name: '受理', exact: true }).click();
  await page.getByRole('status').filter({ hasText: '已受理' }).waitFor();
  const number = (await page.getByText(/^[0-9A-Z]{43}$/).first().innerText()).trim();
  if (number.length !== 43) fail(`a 43-character case number: "${number}"`);
  const deferred = await page.getByRole('region', { name: '申请材料' }).innerText();
  if (!deferred.includes('容缺，补正期限')) fail(`the deferral is shown: ${deferred}`);
  await visit(page, '15-window-accepted', pages);

  // The acceptance notice, printed: the number, the applicant, on A4.
  await page.getByRole('button', { name: '打印受理通知书' }).click();
  await page.getByRole('heading', { name: /受理通知书/ }).waitFor();
  await page.emulateMedia({ media: 'print' });
  const printed = await page.locator('body').innerText();
  for (const expected of [number, args.applicant]) {
    if (!printed.includes(expected)) fail(`the printed notice shows "${expected}"`);
  }
  const pdfPath = join(args.out, 'receipt.pdf');
  await page.pdf({ path: pdfPath, format: 'A4', preferCSSPageSize: true, printBackground: true });
  const { pages: sheets, a4 } = pdfPages(await readFile(pdfPath));
  if (!a4 || sheets < 1 || sheets > 2) fail(`the notice prints on one or two A4 pages: ${sheets}, A4 ${a4}`);
  await page.emulateMedia({ media: 'screen' });
  await visit(page, '16-receipt', pages);
  pages.number = number;
}

/** Tab stops whose focus ring was checked, and those the browser did not count as keyboard focus. */
const FOCUS = { drawn: 0, unjudged: 0 };

/**
 * Moves the focus with the Tab key alone until it rests on `target`, and checks the focus is
 * visible there (an outline or a ring): a control reachable only by mouse fails.
 */
async function tabTo(page, target, what) {
  await target.waitFor();
  for (let presses = 0; presses < 150; presses += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) {
      const { visible, ring } = await target.evaluate((el) => {
        const style = getComputedStyle(el);
        return {
          visible: el.matches(':focus-visible'),
          ring: (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none',
        };
      });
      // Where the browser shows keyboard focus, the page must draw it. Now and then headless
      // Chromium does not count a focus that came by Tab as keyboard focus (seen under load);
      // such a stop proves nothing about the page, and is counted.
      if (visible && !ring) fail(`the focus on ${what} is not visible`);
      FOCUS[visible ? 'drawn' : 'unjudged'] += 1;
      return;
    }
  }
  fail(`${what} cannot be reached with the Tab key`);
}

/**
 * Tabs to the button `target`, presses Enter and waits for the page it leads to to show
 * `shown`. Headless Chromium under load now and then loses that Enter (nothing is sent, or
 * the page comes back as it was); the button is tabbed to and pressed once more before the
 * test fails. `before` runs before each try (a file field set again: a reload empties it).
 */
async function pressUntil(page, target, what, shown, before = async () => {}) {
  for (let tries = 0; tries < 2; tries += 1) {
    await before();
    await tabTo(page, target, what);
    // A lost Enter loads nothing: wait for the page a while, not the whole bound.
    const loaded = page.waitForEvent('load', { timeout: 10_000 }).catch(() => null);
    await page.keyboard.press('Enter');
    await loaded;
    if (await shown.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
  }
  fail(`${what}: pressing Enter did not lead to what it should`);
}

/**
 * Presses `key` on a link or a form's button and waits for the page it leads to: the page
 * before may show the same words the next one will (a second material's "收取" after the
 * first's), and Tab must not start on a page that is going away.
 */
async function pressToLoad(page, key) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
}

/** Tabs to `target` and types `text` into it (what was there replaced). */
async function typeInto(page, target, text, what) {
  await tabTo(page, target, what);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/**
 * The walk-in's intake and acceptance with the keyboard alone: every field reached with Tab,
 * every button pressed with Enter, each file field reached by Tab (the file set on it).
 */
async function keyboardWalkIn(page, args, pages) {
  await page.goto(new URL('/console/sign-in', args.url).toString());
  await typeInto(page, page.getByLabel('用户名'), args.username, 'the user name');
  await typeInto(page, page.getByLabel('密码', { exact: true }), args.password, 'the password');
  await pressToLoad(page, 'Enter');
  await page.getByRole('heading', { name: /您好/ }).waitFor();
  await tabTo(page, page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '窗口收件' }), 'the menu');
  await pressToLoad(page, 'Enter');
  await typeInto(page, page.getByLabel('事项名称或关键词'), args.item, 'the item search');
  await pressToLoad(page, 'Enter');
  const row = page.getByRole('row').filter({ hasText: args.item }).first();
  await tabTo(page, row.getByRole('link', { name: /选择/ }), 'the item');
  await pressToLoad(page, 'Enter');

  await page.getByRole('heading', { name: '登记申请人' }).waitFor();
  await typeInto(page, page.getByLabel('姓名或名称（与证件一致）'), args.applicant, 'the name');
  await typeInto(page, page.getByLabel('证件号码或统一社会信用代码'), args.document, 'the ID number');
  await tabTo(page, page.getByRole('button', { name: '登记并开始收件' }), 'register');
  await pressToLoad(page, 'Enter');

  await page.getByRole('heading', { name: '窗口办理' }).waitFor();
  for (const material of args.materials.split('|')) {
    // The file field is reached by Tab and its ring checked; the file itself is set on the
    // field, not through the operating system's dialog: after that dialog headless Chromium
    // now and then loses the keys that follow, which no page can cause or prevent.
    const field = page.getByLabel(material, { exact: false }).first();
    await pressUntil(
      page,
      page.getByRole('button', { name: `上传：${material}` }),
      `upload ${material}`,
      page.getByRole('row').filter({ hasText: material }).filter({ hasText: '查看' }),
      async () => {
        await tabTo(page, field, `the file of ${material}`);
        await field.setInputFiles(args.pdf);
      },
    );
  }
  await pressUntil(page, page.getByRole('button', { name: '已核验身份证原件' }), 'the ID check',
    page.getByRole('status').filter({ hasText: '已记录核验身份证原件' }));
  await pressUntil(page, page.getByRole('button', { name: '提交预审' }), 'submit',
    page.getByRole('status').filter({ hasText: '已提交预审' }));

  await typeInto(page, page.getByLabel(new RegExp(`容缺受理：${args.deferred}`)), '5', 'the deferral');
  await typeInto(page, page.getByLabel('申请人书面承诺'), '本人承诺在五个工作日内补交。', 'the commitment');
  await pressUntil(page, page.getByRole('button', { name: '受理', exact: true }), 'accept',
    page.getByRole('status').filter({ hasText: '已受理' }));
  pages.number = (await page.getByText(/^[0-9A-Z]{43}$/).first().innerText()).trim();
  await visit(page, '61-keyboard-accepted', pages);
  if (FOCUS.unjudged > 3 || FOCUS.drawn < 10) fail(`focus rings checked at too few Tab stops: ${JSON.stringify(FOCUS)}`);
}

/**
 * The back office: an approver finds the accepted case in the queue with its clock in words,
 * opens it, claims the open step, and either decides it (--action decide, the default: approve
 * with the opinion; the page then shows the decision) or completes it for the next step
 * (--action complete; --shots names the screenshots, for one run per step).
 */
async function backOffice(page, args, pages) {
  const shot = args.shots || '2';
  await signIn(page, args, args.username, args.password);
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '审批办理' }).click();
  await page.getByRole('heading', { name: '审批办理', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: args.number });
  await row.waitFor();
  const words = await row.innerText();
  if (!/\d{4}-\d\d-\d\d · (正常 · 剩余 \d+ 个工作日|临近期限 · 剩余 \d+ 个工作日|已超期)/.test(words)) fail(`the queue shows the clock in words: ${words}`);
  if (args.step && !words.includes(args.step)) fail(`the queue names the open step ${args.step}: ${words}`);
  await visit(page, `${shot}1-queue`, pages);
  await row.getByRole('link', { name: args.number }).click();
  await page.getByRole('heading', { name: '办理时限' }).waitFor();
  await page.getByRole('button', { name: '签收' }).click();
  await page.getByRole('status').filter({ hasText: '已签收' }).waitFor();
  await visit(page, `${shot}2-work-claimed`, pages);
  if ((args.action || 'decide') === 'complete') {
    await page.getByLabel('办理意见').fill('经审核，材料真实有效，建议准予。');
    await page.getByRole('button', { name: '提交下一环节' }).click();
    await page.getByRole('status').filter({ hasText: '已完成本环节' }).waitFor();
    await visit(page, `${shot}3-work-completed`, pages);
    return;
  }
  await page.getByLabel('办理意见').fill('材料齐全，符合登记条件，同意。');
  await page.getByRole('button', { name: '作出决定' }).click();
  await page.getByRole('status').filter({ hasText: '已作出准予决定' }).waitFor();
  const status = await page.getByText('已准予').first().innerText();
  if (!status.includes('已准予')) fail('the work item shows the decision');
  await visit(page, `${shot}3-work-decided`, pages);
}

/**
 * The result handed out at the window: the clerk finds the concluded case in the inbox's
 * "to hand out" list, prints the certificate's face, records the visit (the rating code shown
 * as a QR code), and hands the result out at the window.
 */
async function handOut(page, args, pages) {
  await signIn(page, args, args.username, args.password);
  await page.getByRole('link', { name: /待出件/ }).first().click();
  const row = page.getByRole('row').filter({ hasText: args.number });
  await row.waitFor();
  await row.getByRole('link', { name: args.number }).click();
  await page.getByRole('heading', { name: '统一窗口出件' }).waitFor();
  await visit(page, '31-handout', pages);

  await page.getByRole('link', { name: /打印证照/ }).first().click();
  const face = await page.locator('body').innerText();
  if (!face.includes(args.applicant)) fail(`the certificate's face names its holder: ${face.slice(0, 200)}`);
  await page.getByRole('img', { name: '核验二维码' }).waitFor();
  await page.screenshot({ path: join(args.out, '32-certificate.png'), fullPage: true });
  await page.goBack();

  await page.getByLabel('办事类别').selectOption({ label: '领取结果' });
  await page.getByRole('button', { name: '登记并生成评价码' }).click();
  await page.getByRole('img', { name: '评价二维码' }).waitFor();
  const code = (await page.getByRole('figure').innerText()).replace(/\s+/g, ' ');
  if (!/评价码 \S+/.test(code)) fail(`the rating code is shown: ${code}`);
  await visit(page, '33-visit-qr', pages);
  await page.getByRole('link', { name: '返回办件' }).click();

  await page.getByLabel('窗口领取').check();
  await page.getByRole('button', { name: '出件', exact: true }).click();
  await page.getByRole('status').filter({ hasText: '已出件' }).waitFor();
  await visit(page, '34-delivered', pages);
}

/**
 * The cross-region desk: the handling county's approver finds the case another county's hall
 * took in, with its hand-over deadline in words, opens the transfer and takes it over.
 */
async function desk(page, args, pages) {
  await signIn(page, args, args.username, args.password);
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '跨域通办' }).click();
  await page.getByRole('heading', { name: '跨域通办', level: 1 }).waitFor();
  const row = page.getByRole('row').filter({ hasText: args.number });
  await row.waitFor();
  const words = await row.innerText();
  if (!/\d{4}-\d\d-\d\d · (正常|临近期限) · 剩余 \d+ 个工作日|已超期/.test(words)) fail(`the desk shows the hand-over deadline in words: ${words}`);
  await visit(page, '41-desk', pages);
  await row.getByRole('link', { name: args.number }).click();
  await page.getByRole('button', { name: '接收办件' }).click();
  await page.getByRole('status').filter({ hasText: '已接收' }).waitFor();
  const state = await page.getByText('已接收办理中').first().innerText();
  if (!state) fail('the transfer shows it is taken over');
  await visit(page, '42-transfer-taken-over', pages);
}

/** Opens the transfer of case --number on the desk's --side tab (handling or receiving). */
async function openTransfer(page, args, side) {
  await signIn(page, args, args.username, args.password);
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '跨域通办' }).click();
  await page.getByRole('link', { name: side }).click();
  const row = page.getByRole('row').filter({ hasText: args.number });
  await row.waitFor();
  await row.getByRole('link', { name: args.number }).click();
  await page.getByRole('heading', { name: '纸质材料寄递' }).waitFor();
}

/** The handling county posts the paper result back to the hall that took the case in. */
async function postResult(page, args, pages) {
  await openTransfer(page, args, '移入本地办理');
  await page.getByLabel('寄递内容').selectOption({ label: '纸质结果（寄回收件地）' });
  await page.getByLabel('寄递公司').fill('中国邮政EMS');
  await page.getByLabel('运单号').fill(args.tracking);
  await page.getByRole('button', { name: '登记寄出' }).click();
  await page.getByRole('status').filter({ hasText: '已登记寄出' }).waitFor();
  await visit(page, '51-result-posted', pages);
}

/** The hall that took the case in confirms the paper result arrived. */
async function receiveResult(page, args, pages) {
  await openTransfer(page, args, '本地收件移出');
  const leg = page.getByRole('row').filter({ hasText: args.tracking });
  await leg.getByRole('button', { name: '确认收到' }).click();
  await page.getByRole('status').filter({ hasText: '已确认收到' }).waitFor();
  await visit(page, '52-result-received', pages);
}

/**
 * Pages looked at as they are: signed in, each of --paths ('|'-separated) opened, its heading
 * shown, checked with axe and photographed as --shots-N (N its place in the list).
 */
async function lookAt(page, args, pages) {
  await signIn(page, args, args.username, args.password);
  await page.getByRole('heading', { name: /您好/ }).waitFor();
  const paths = args.paths.split('|');
  for (const [n, path] of paths.entries()) {
    await page.goto(new URL(path, args.url).toString());
    await page.getByRole('heading', { level: 1 }).waitFor();
    await visit(page, `${args.shots}-${n + 1}`, pages);
  }
}

const SCENARIOS = {
  desk: { needs: ['username', 'password', 'number'], run: desk },
  'hand-out': { needs: ['username', 'password', 'number', 'applicant'], run: handOut },
  'back-office': { needs: ['username', 'password', 'number'], run: backOffice },
  'keyboard-walk-in': {
    needs: ['username', 'password', 'item', 'applicant', 'document', 'materials', 'deferred', 'pdf'],
    run: keyboardWalkIn,
  },
  pages: { needs: ['username', 'password', 'paths', 'shots'], run: lookAt },
  'post-result': { needs: ['username', 'password', 'number', 'tracking'], run: postResult },
  'receive-result': { needs: ['username', 'password', 'number', 'tracking'], run: receiveResult },
  'first-day': { needs: ['username', 'temporary', 'chosen', 'number', 'applicant'], run: firstDay },
  'walk-in': {
    needs: ['username', 'password', 'item', 'applicant', 'document', 'bad-document', 'materials', 'deferred', 'pdf'],
    run: walkIn,
  },
};

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
