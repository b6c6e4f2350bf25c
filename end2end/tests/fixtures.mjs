// Every test runs under a guard that fails it if the browser reports a Content-Security-Policy
// violation on any page it opened, in the default context or one the test made itself.
import { test as base, expect } from '@playwright/test';

const CSP = /Content[- ]Security[- ]Policy/i;

export const test = base.extend({
  cspGuard: [
    async ({ browser, context }, use) => {
      const violations = [];
      const watch = async (ctx) => {
        ctx.on('console', (message) => {
          if (CSP.test(message.text())) violations.push(`${message.location().url}: ${message.text()}`);
        });
        // Chrome logs violations itself; the event makes sure none goes unreported.
        await ctx.addInitScript(() => {
          document.addEventListener('securitypolicyviolation', (event) => {
            console.error(
              `Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`,
            );
          });
        });
      };
      await watch(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args) => {
        const made = await newContext(...args);
        await watch(made);
        return made;
      };
      await use();
      browser.newContext = newContext;
      expect(violations, 'the browser reported Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
