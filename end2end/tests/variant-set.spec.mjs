import { test, expect } from './fixtures.mjs';
import { asPersona, hydrated, LIVING_DEMO_CONSOLE } from './helpers.mjs';

test('an approver reviews a three-locale set on one page and approves it with one sign-off', async ({ browser, request }) => {
  test.setTimeout(60_000);
  const amira = await asPersona(browser, /Amira Haddad/, '/queue');
  const row = amira.getByTestId('queue-row').filter({ hasText: 'Spring offer in three languages' });
  await expect(async () => {
    await amira.reload();
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await row.getByRole('link').first().click();
  await hydrated(amira);

  // The base in full, the other locales as their differences from it, one hash over the set.
  await expect(amira.getByTestId('base-variant')).toContainText('Base variant en-GB');
  const variants = amira.getByTestId('variant');
  await expect(variants).toHaveCount(3);
  await expect(variants.nth(0)).toHaveAttribute('data-name', 'en-GB');
  await expect(variants.nth(1).getByTestId('variant-diff')).toContainText('Frühling');
  await expect(variants.nth(2).getByTestId('variant-diff').locator('[data-kind="added"]')).toContainText('printemps');
  const setHash = await amira.getByTestId('set-hash').textContent();
  await expect(amira.getByTestId('content-hash')).toHaveText(setHash);
  // Legal judged the claims of every locale; each shows with the variant it is in.
  await expect(amira.getByTestId('claim-variant').filter({ hasText: 'in de-DE' }).first()).toBeVisible();
  await amira.screenshot({ path: 'test-results/variant-set.png', fullPage: true });

  // One sign-off approves the set; the console publishes every locale, each with its receipt.
  await amira.getByTestId('decision-approve').check();
  await amira.getByTestId('submit-signoff').click();
  await expect(amira.getByTestId('gate-message').last()).toContainText('the change is approved');
  await expect(amira.getByTestId('change-status')).toHaveAttribute('data-status', 'published', { timeout: 20_000 });
  await amira.reload();
  await hydrated(amira);
  for (const name of ['en-GB', 'de-DE', 'fr-FR']) {
    await expect(amira.locator(`[data-testid="variant"][data-name="${name}"]`).getByTestId('variant-delivery')).toContainText(/published as v-\d+ \(receipt rcpt_/);
  }
  const sandbox = await (await request.get('http://127.0.0.1:4103/countersign/log')).json();
  expect(new Set(sandbox.applied).size).toBe(sandbox.applied.length);
});
