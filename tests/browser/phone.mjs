// What the people's pages are checked for on a phone or a desktop, shared by the online
// hall's scenarios (portal.mjs) and the service hall's (hall.mjs): the device contexts, and
// [look]: axe, nothing wider than the screen, 44 px touch targets, and the same page again in
// the elders' mode (the 7:1 contrast rule, body ≥ 18 px, lines ≥ 1.3).

import { fail, visit } from './runner.mjs';

/** A phone in Chinese: 375×667 CSS pixels, touch, the mobile viewport. */
export async function phone(browser) {
  return browser.newContext({
    viewport: { width: 375, height: 667 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  });
}

/** A desktop in Chinese: 1366×768, a mouse, the office PC a company's clerk applies from. */
export async function desktop(browser) {
  return browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
}

/**
 * [visit], and what a phone needs: nothing wider than the screen, and every control a finger
 * can hit (44 px; a radio button or checkbox by its label).
 */
export async function look(page, name, pages, options = {}) {
  await lookAs(page, name, pages, options);
  // Every page in the elders' mode too, as the switch draws it (the class on <html>): the
  // 7:1 contrast rule, the same reach and touch targets, and its type.
  if (await page.evaluate(() => document.documentElement.classList.contains('elders'))) return;
  await page.evaluate(() => document.documentElement.classList.add('elders'));
  await lookAs(page, `${name}-as-elders`, pages, { ...options, enhancedContrast: true });
  if (await page.locator('main p').count()) {
    const elders = await type(page);
    if (elders.size < 18 || elders.line / elders.size < 1.3 || elders.heading <= elders.size) {
      fail(`${name}: the elders' mode type: ${JSON.stringify(elders)}`);
    }
  }
  await page.evaluate(() => document.documentElement.classList.remove('elders'));
}

async function lookAs(page, name, pages, options) {
  await visit(page, name, pages, options);
  const problems = await page.evaluate(() => {
    const found = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width) {
      found.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
    }
    const controls = document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary',
    );
    for (const control of controls) {
      const box = control.getBoundingClientRect();
      // Not shown: no box, or moved off the screen until focused (the skip link).
      if ((box.width === 0 && box.height === 0) || box.right <= 0) continue;
      if (getComputedStyle(control).visibility === 'hidden') continue;
      const target = ['radio', 'checkbox'].includes(control.type) ? control.closest('label') : control;
      const height = target.getBoundingClientRect().height;
      if (height < 44) {
        found.push(`${control.tagName.toLowerCase()} "${(control.textContent || control.name || '').trim().slice(0, 30)}" is ${height.toFixed(1)} px tall`);
      }
    }
    return found;
  });
  if (problems.length) fail(`${name}: ${problems.join('; ')}`);
}

/** The font size and line height (px) of the first paragraph in the content. */
export async function type(page) {
  return page.evaluate(() => {
    const style = getComputedStyle(document.querySelector('main p'));
    const heading = getComputedStyle(document.querySelector('main h1') ?? document.querySelector('h1'));
    return {
      size: parseFloat(style.fontSize),
      line: parseFloat(style.lineHeight),
      heading: parseFloat(heading.fontSize),
      elders: document.documentElement.classList.contains('elders'),
    };
  });
}

