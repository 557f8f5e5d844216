// axe-core (npm, pinned in package-lock.json) run inside a page the way a browser extension
// would: the script is evaluated in the page (through the DevTools protocol, so a page's
// Content-Security-Policy does not stop it) and checks the document against WCAG 2.1 A and AA
// and axe's best practices. Used by every browser test of a page.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/**
 * The accessibility violations axe finds in `page` as it is now: one entry per rule broken,
 * `{ rule, impact, help, nodes: [selector, ...] }`; empty when there are none.
 */
export async function axeViolations(page, { enhancedContrast = false } = {}) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(await AXE_SOURCE);
  }
  // The elders' mode promises 7:1 (WCAG's AAA contrast): axe's enhanced contrast rule too.
  const tags = enhancedContrast ? [...TAGS, 'wcag2aaa'] : TAGS;
  const result = await page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] }),
    tags,
  );
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
  }));
}

/**
 * Throws naming every violation axe finds in `page`, `when` saying which page or state;
 * `options` as `axeViolations` takes them.
 */
export async function assertAccessible(page, when, options = {}) {
  const violations = await axeViolations(page, options);
  if (violations.length) {
    const list = violations.map((v) => `${v.rule} (${v.impact}: ${v.help}) at ${v.nodes.join(', ')}`);
    throw new Error(`${when}: axe found ${violations.length} accessibility violation(s): ${list.join('; ')}`);
  }
}
