import { test, expect } from './fixtures.mjs';
import { signIn, hydrated, PASSWORD, REAUTH_CONSOLE } from './helpers.mjs';

// This console wants a sign-in within 10 s for dangerous actions; the test lets one grow older.
test('a dangerous action on a stale sign-in asks the IdP again, then goes through', async ({ page }) => {
  await signIn(page, 'priya', { base: REAUTH_CONSOLE, next: '/identities' });
  await expect(page.getByRole('heading', { name: 'Identities', level: 1 })).toBeVisible();
  await hydrated(page);
  const outcome = page.getByTestId('identity-outcome');
  await page.getByLabel('Email').fill('rita.reauth@example.test');
  await page.getByRole('textbox', { name: 'Name', exact: true }).last().fill('Rita Reauth');
  await page.getByRole('button', { name: 'Pre-register' }).click();
  await expect(outcome).toHaveText('Rita Reauth can now be named as an owner.');

  // The precondition under test is the sign-in's age itself, so this waits for time.
  await page.waitForTimeout(11_000);
  const rita = page.getByTestId('person-row').filter({ hasText: 'Rita Reauth' });
  await rita.getByRole('button', { name: 'Deactivate' }).click();
  await rita.getByLabel('Reason').fill('left the company');
  await rita.getByRole('button', { name: 'Confirm: deactivate' }).click();
  await expect(outcome).toContainText('Deactivating or reactivating a person needs a sign-in within the last 10 seconds');
  await expect(rita).not.toContainText('Deactivated');

  // The IdP asks for the password again even though its own session is live.
  await outcome.getByRole('link', { name: 'Confirm it is you' }).click();
  await expect(page.getByRole('heading', { name: 'Test identity provider' })).toBeVisible();
  await page.getByLabel('Username').fill('priya');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${REAUTH_CONSOLE}/identities`);
  await hydrated(page);
  const again = page.getByTestId('person-row').filter({ hasText: 'Rita Reauth' });
  await again.getByRole('button', { name: 'Deactivate' }).click();
  await again.getByLabel('Reason').fill('left the company');
  await again.getByRole('button', { name: 'Confirm: deactivate' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Rita Reauth is now deactivated.');
});
