import { test, expect } from './fixtures.mjs';
import { signIn, hydrated } from './helpers.mjs';

test('the page hydrates: controls respond without a page load', async ({ page }) => {
  await signIn(page, 'tomasz', { next: '/audit' });
  await hydrated(page);
  await page.evaluate(() => {
    window.__samePage = true;
  });
  const first = page.getByTestId('audit-row').first();
  const toggle = first.getByRole('button', { name: 'Details' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(first.getByRole('button', { name: 'Hide details' })).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByText('Previous hash').first()).toBeVisible();

  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByTestId('verify-result')).toContainText(/Ledger intact: \d+ events verified\./);
  expect(await page.evaluate(() => window.__samePage)).toBe(true);
});

test('navigation between areas happens in the page and keeps the header', async ({ page }) => {
  await signIn(page, 'tomasz');
  await hydrated(page);
  await page.evaluate(() => {
    window.__samePage = true;
  });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Identities' }).click();
  await expect(page.getByRole('heading', { name: 'Identities', level: 1 })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Identities' })).toHaveAttribute('aria-current', 'page');
  await nav.getByRole('link', { name: 'Queue' }).click();
  await expect(page.getByRole('heading', { name: 'Nothing is waiting for review' })).toBeVisible();
  expect(await page.evaluate(() => window.__samePage)).toBe(true);
});

test('an approver opening the ledger is told it is not theirs', async ({ page }) => {
  await signIn(page, 'amira');
  await page.goto('/audit');
  await expect(page.getByRole('alert')).toContainText('You do not have access to this.');
  await expect(page.getByTestId('audit-row')).toHaveCount(0);
});

test('the keyboard reaches every control, starting with "skip to content"', async ({ page }) => {
  await signIn(page, 'priya');
  await hydrated(page);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }),
  ).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Workflows', level: 1 })).toBeVisible();
});
