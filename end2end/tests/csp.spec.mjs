// The console's Content-Security-Policy is enforced by the browser, not just sent: what the
// policy forbids is blocked and reported. (Plain Playwright here: these violations are wanted.)
import { test, expect } from '@playwright/test';

test('the browser blocks remote media and inline handlers the policy does not allow', async ({ page }) => {
  await page.goto('/signin');
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  const blocked = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', (event) => {
          seen.push(event.effectiveDirective);
          if (seen.length === 2) resolve(seen.sort());
        });
        const image = document.createElement('img');
        image.src = 'https://tracker.example.net/pixel.png';
        document.body.append(image);
        // Markup an attacker slipped in: an inline event handler on a local image.
        document.body.insertAdjacentHTML(
          'beforeend',
          '<img src="/no-such-image.png" alt="" onerror="window.injected = true">',
        );
      }),
  );
  expect(blocked).toEqual(['img-src', 'script-src-attr']);
  expect(await page.evaluate(() => window.injected)).toBeUndefined();
});
