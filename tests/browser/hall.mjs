#!/usr/bin/env node
// The service hall's pages in headless Chromium (issue 28), as people use them, each page
// checked with axe and photographed (PNG under --out):
//
// --scenario book: on a phone, a citizen opens an item's guide for their county, presses
// 预约到大厅办理, signs in, sends the form without a time (sent back), chooses the day's slot,
// gives the card number, reviews the held booking and confirms it: the page shows its QR code.
// Reports the booking's id.   node tests/browser/hall.mjs --scenario book --url URL --out DIR \
//   --document ID --password P --item CODE --region R --day 2026-12-07 --slot 09:00–09:30 \
//   --card ID
//
// --scenario serve: the hall's morning. At the kiosk a walk-in takes a ticket, then an elder
// reads their card (green channel), then the citizen checks in with the booking's QR code;
// the board on the wall shows the hall; the clerk at 1号窗口 calls: the booking due comes
// first and the board shows it within a second; the clerk serves and finishes it for the
// person's case (a number of no case of the hall is refused in words first); the window's
// rating device shows the visit and the person rates it, once; the clerk calls again: the
// elder before the walk-in who came earlier. Reports the board's delay in ms.
//   … --scenario serve --region R --booking ID --elder CARD --username U --password P \
//   --window 1号窗口 --case NUMBER
//
// --scenario phone: a window clerk books for a caller in the console (电话预约): finds the
// item by words, sends the form without a time (sent back), books the day's slot with the
// caller's card and reads it back; books the same again and is told the person has one that
// day. Reports the booking's id.   … --scenario phone --username U --password P \
//   --words 个体工商户 --item-name NAME --day 2026-12-07 --slot 10:00–10:30 --card ID
//
// --scenario suspended: a citizen whose third booking was missed tries to book again and is
// told booking is suspended.   … --scenario suspended --document ID --password P --item CODE \
//   --region R --card ID
//
// [--chromium /usr/bin/chromium] for another browser. Prints one JSON line (runner.mjs).

import { fail, main, visit, WAIT_MS } from './runner.mjs';
import { desktop, look, phone } from './phone.mjs';

/** Signs in on the online hall's sign-in page it led to (it comes back after). */
async function signIn(page, args) {
  await page.getByRole('heading', { name: '登录', level: 1 }).waitFor();
  await page.getByLabel('证件号码').fill(args.document);
  await page.getByLabel('密码', { exact: true }).fill(args.password);
  await page.getByRole('button', { name: '登录' }).click();
}

/** The booking form for the item, signed in. */
async function bookingForm(page, args) {
  await page.goto(new URL(`/halls/${args.region}/book?item=${args.item}`, args.url).toString());
  await signIn(page, args);
  await page.getByRole('heading', { name: '预约到大厅办理', level: 1 }).waitFor();
}

async function book(page, args, pages) {
  // From the guide of the item, for the citizen's county.
  await page.goto(new URL(`/items/${args.item}?region=${args.region}`, args.url).toString());
  await page.getByRole('link', { name: '预约到大厅办理' }).click();
  await signIn(page, args);
  await page.getByRole('heading', { name: '预约到大厅办理', level: 1 }).waitFor();
  await look(page, '10-book', pages);

  // No time chosen: sent back, saying so.
  await page.getByLabel('到场办理人的身份证号').fill(args.card);
  await page.getByRole('button', { name: '提交预约' }).click();
  const alert = await page.getByRole('alert').innerText();
  if (!alert.includes('请选择一个时段')) fail(`a booking without a time: ${alert}`);

  await page.getByRole('group', { name: args.day }).getByRole('radio', { name: new RegExp(`^${args.slot}`) }).check();
  await page.getByLabel('到场办理人的身份证号').fill(args.card);
  await page.getByRole('button', { name: '提交预约' }).click();
  await page.getByRole('heading', { name: '确认预约', level: 2 }).waitFor();
  const held = await page.getByRole('definition').allInnerTexts();
  if (!held.some((text) => text.includes('待确认'))) fail(`the held booking: ${held}`);
  await look(page, '11-held', pages);
  await page.getByRole('button', { name: '确认预约' }).click();
  await page.getByRole('status').filter({ hasText: '预约成功' }).waitFor();
  await page.getByRole('img', { name: '预约签到码' }).waitFor();
  await look(page, '12-booked', pages);
  const id = (await page.locator('.code').first().innerText()).trim();

  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '我的预约' }).click();
  await page.getByRole('table', { name: /我的预约/ }).getByRole('row').nth(1).waitFor();
  await look(page, '13-appointments', pages);
  return { booking: id };
}

/** A ticket taken at the kiosk: its number, from the ticket page. */
async function ticketNumber(page) {
  await page.getByRole('heading', { name: '您的号码', level: 1 }).waitFor();
  return (await page.locator('#ticket-number').innerText()).trim();
}

async function serve(page, args, pages, context) {
  const browser = context.browser();
  const kiosk = `/halls/${args.region}/kiosk`;
  const at = (path) => new URL(path, args.url).toString();

  // The kiosk: a walk-in, an elder with their card, and the booking checked in by QR.
  await page.goto(at(kiosk));
  await page.getByRole('heading', { name: /自助取号/, level: 1 }).waitFor();
  await look(page, '20-kiosk', pages);
  const group = page.getByRole('button', { name: /综合窗口/ });
  await group.click();
  const walkIn = await ticketNumber(page);
  await look(page, '21-ticket', pages);
  await page.getByRole('link', { name: '返回取号' }).click();
  await page.getByLabel('身份证号（老年人优先，可不填）').fill(args.elder);
  await group.click();
  const elder = await ticketNumber(page);
  await page.getByText('绿色通道，优先办理').waitFor();
  await page.getByRole('link', { name: '返回取号' }).click();
  await page.getByLabel('预约二维码或身份证号').fill(args.booking);
  await page.getByRole('button', { name: '签到取号' }).click();
  const booked = await ticketNumber(page);
  await look(page, '22-checked-in', pages);

  // The board on the wall.
  const wall = await (await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' })).newPage();
  wall.setDefaultTimeout(WAIT_MS);
  await wall.goto(at(`/halls/${args.region}/board`));
  await wall.getByRole('heading', { name: /叫号屏/, level: 1 }).waitFor();
  await visit(wall, '23-board', pages);

  // The clerk at the window.
  const desk = await (await desktop(browser)).newPage();
  desk.setDefaultTimeout(WAIT_MS);
  await staffSignIn(desk, args);
  await desk.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '叫号' }).click();
  await desk.getByRole('heading', { name: '窗口叫号', level: 1 }).waitFor();
  await desk.getByLabel('我的窗口').selectOption({ label: args.window });
  await desk.getByRole('button', { name: '进入窗口' }).click();
  await desk.getByRole('heading', { name: args.window, level: 2 }).waitFor();
  await visit(desk, '30-calling', pages);
  const window = new URL(desk.url()).searchParams.get('window');

  // The call: the booking due goes first, and the board shows it within a second.
  const row = wall.getByRole('table', { name: '各窗口当前号码' }).getByRole('row', { name: new RegExp(args.window) });
  const pressed = Date.now();
  await desk.getByRole('button', { name: '叫下一位' }).click();
  await row.getByText(booked, { exact: true }).waitFor();
  const boardMs = Date.now() - pressed;
  await desk.getByLabel('当前号码').filter({ hasText: booked }).waitFor();
  await wall.getByRole('status').filter({ hasText: `请 ${booked} 号到 ${args.window}` }).waitFor();
  await visit(wall, '24-board-called', pages);
  await visit(desk, '31-called', pages);

  // Served and finished for the person's case (a number the hall has no case of is refused
  // first, the ticket still in hand); the rating device at the window shows the visit, rated
  // once.
  await desk.getByRole('button', { name: '开始办理' }).click();
  const last = args.case.slice(-1);
  const noSuchCase = args.case.slice(0, -1) + (last === '9' ? '8' : '9');
  await desk.getByLabel('受理编号').fill(noSuchCase);
  await desk.getByRole('button', { name: '办结' }).click();
  const refused = await desk.getByRole('alert').innerText();
  if (!refused.includes('没有这个受理编号')) fail(`a finish for no case of the hall: ${refused}`);
  if (await desk.getByLabel('受理编号').inputValue() !== noSuchCase) fail('the number refused is not kept to correct');
  await visit(desk, '35-no-such-case', pages);
  await desk.getByLabel('受理编号').fill(args.case);
  await desk.getByRole('button', { name: '办结' }).click();
  await desk.getByRole('status').filter({ hasText: '已办结' }).waitFor();
  const device = await (await desktop(browser)).newPage();
  device.setDefaultTimeout(WAIT_MS);
  await staffSignIn(device, args);
  await device.goto(at(`/console/calling/${window}/rating`));
  await device.getByText(`请对 ${booked} 号本次办理作出评价`).waitFor();
  await visit(device, '32-device', pages);
  await device.getByRole('button', { name: '非常满意' }).click();
  await device.getByRole('status').filter({ hasText: '感谢您的评价' }).waitFor();
  if (await device.getByRole('button', { name: '非常满意' }).count()) fail('the device offers the rated visit again');
  await visit(device, '33-device-thanks', pages);

  // Next: the elder, though the walk-in came first; then the walk-in.
  await desk.getByRole('button', { name: '叫下一位' }).click();
  await desk.getByLabel('当前号码').filter({ hasText: elder }).waitFor();
  await desk.getByRole('button', { name: '过号' }).click();
  await desk.getByRole('button', { name: '叫下一位' }).click();
  await desk.getByLabel('当前号码').filter({ hasText: walkIn }).waitFor();
  await visit(desk, '34-walk-in-called', pages);
  return { board_ms: boardMs, numbers: [walkIn, elder, booked] };
}

/** Signs a member of staff in to the console. */
async function staffSignIn(page, args) {
  await page.goto(new URL('/console/sign-in', args.url).toString());
  await page.getByLabel('用户名').fill(args.username);
  await page.getByLabel('密码', { exact: true }).fill(args.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
}

/** On the phone-booking page: the item found by its words and chosen. */
async function phoneItem(page, args) {
  await page.getByLabel('事项名称或关键词').fill(args.words);
  await page.getByRole('button', { name: '查找事项' }).click();
  await page.getByRole('link', { name: args['item-name'] }).click();
  await page.getByRole('heading', { name: args['item-name'], level: 2 }).waitFor();
}

async function phoneBooking(page, args, pages) {
  await staffSignIn(page, args);
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '电话预约' }).click();
  await page.getByRole('heading', { name: '为来电群众预约', level: 1 }).waitFor();
  await phoneItem(page, args);
  await visit(page, '50-phone-slots', pages);

  // No time chosen: sent back, saying so.
  await page.getByLabel('来电人身份证号码').fill(args.card);
  await page.getByRole('button', { name: '预约', exact: true }).click();
  const alert = await page.getByRole('alert').innerText();
  if (!alert.includes('请先选择时段')) fail(`a phone booking without a time: ${alert}`);

  const bookIt = async () => {
    await page.getByRole('group', { name: args.day }).getByRole('radio', { name: new RegExp(`^${args.slot}`) }).check();
    await page.getByLabel('来电人身份证号码').fill(args.card);
    await page.getByRole('button', { name: '预约', exact: true }).click();
  };
  await bookIt();
  await page.getByRole('heading', { name: '已为来电人预约', level: 2 }).waitFor();
  const facts = await page.getByRole('definition').allInnerTexts();
  if (!facts.some((text) => text.includes(args.slot.split('–')[1]))) fail(`the booking read back: ${facts}`);
  await visit(page, '51-phone-booked', pages);
  const booking = facts[facts.length - 1].trim();

  // The same person, item and day again: refused in words.
  await page.getByRole('link', { name: '为下一位来电人预约' }).click();
  await phoneItem(page, args);
  await bookIt();
  const again = await page.getByRole('alert').innerText();
  if (!again.includes('当天已预约过')) fail(`a second booking of the day: ${again}`);
  await visit(page, '52-phone-refused', pages);
  return { booking };
}

async function suspended(page, args, pages) {
  await bookingForm(page, args);
  await page.getByRole('radio', { disabled: false }).first().check();
  await page.getByLabel('到场办理人的身份证号').fill(args.card);
  await page.getByRole('button', { name: '提交预约' }).click();
  const alert = await page.getByRole('alert').innerText();
  if (!alert.includes('暂停')) fail(`a suspended booking: ${alert}`);
  await look(page, '40-suspended', pages);
}

await main(
  {
    book: { needs: ['document', 'password', 'item', 'region', 'day', 'slot', 'card'], context: phone, run: book },
    serve: {
      needs: ['region', 'booking', 'elder', 'username', 'password', 'window', 'case'], context: desktop, run: serve,
    },
    phone: {
      needs: ['username', 'password', 'words', 'item-name', 'day', 'slot', 'card'], context: desktop, run: phoneBooking,
    },
    suspended: { needs: ['document', 'password', 'item', 'region', 'card'], context: phone, run: suspended },
  },
  'book',
);
