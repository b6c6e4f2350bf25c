import { test, expect } from './fixtures.mjs';
import { hydrated, LIVING_DEMO_CONSOLE } from './helpers.mjs';

/** Signs in as a persona of the living demo in a fresh browser context and opens `path`. */
async function as(browser, name, path) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${LIVING_DEMO_CONSOLE}/signin?next=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name }).click();
  await expect(page).toHaveURL(`${LIVING_DEMO_CONSOLE}${path}`);
  await hydrated(page);
  return page;
}

/** `YYYY-MM-DDTHH:MM` in UTC, as the datetime-local field takes it. */
function utcField(date) {
  return date.toISOString().slice(0, 16);
}

test('an approver going away names a delegate, who signs on their behalf with both names recorded', async ({ browser }) => {
  test.setTimeout(60_000);
  const amira = await as(browser, /Amira Haddad/, '/inbox');
  const form = amira.getByTestId('away-form');
  await form.getByLabel('Delegate').selectOption({ label: 'Grace Okafor' });
  await form.getByLabel('Until (UTC)').fill(utcField(new Date(Date.now() + 2 * 86_400_000)));
  // Bad input first: a reason too short is named.
  await form.getByLabel('Reason').fill('x');
  await form.getByLabel('Reason').evaluate((el) => el.removeAttribute('minlength'));
  await form.getByRole('button', { name: 'Set away' }).click();
  await expect(amira.getByTestId('away-outcome')).toContainText('reason');
  await form.getByLabel('Reason').fill('Annual leave');
  await form.getByRole('button', { name: 'Set away' }).click();
  await expect(amira.getByTestId('away-outcome')).toContainText('Saved: Grace Okafor stands in for you as Approver');
  await expect(amira.getByTestId('my-delegation')).toContainText('Amira Haddad → Grace Okafor');

  // Grace sees whom she stands in for, and signs the newsletter for Amira.
  const grace = await as(browser, /Grace Okafor/, '/inbox');
  // The demo's story has Grace standing in for Lukas this week already; now for Amira too.
  await expect(grace.getByTestId('standing-in-for').filter({ hasText: 'Amira Haddad → Grace Okafor' })).toBeVisible();
  await expect(grace.getByTestId('standing-in-for').filter({ hasText: 'Lukas Brandt → Grace Okafor' })).toBeVisible();
  await grace.goto(`${LIVING_DEMO_CONSOLE}/queue`);
  await hydrated(grace);
  await grace.getByTestId('queue-row').filter({ hasText: 'Spring newsletter' }).getByRole('link').first().click();
  await hydrated(grace);
  await grace.getByTestId('signoff-on-behalf').selectOption({ label: 'Amira Haddad (away), as Approver' });
  await grace.getByTestId('decision-request_changes').check();
  await grace.getByTestId('signoff-comment').fill('Add the rollback plan before this goes out.');
  await grace.getByTestId('submit-signoff').click();
  await expect(grace.getByTestId('gate-message').last()).toContainText('goes back to its agent');
  await grace.reload();
  await hydrated(grace);
  await expect(grace.getByTestId('signoff-row').first()).toContainText('Grace Okafor for Amira Haddad');

  // A security admin sees the delegation, and Amira ends it when she is back.
  const priya = await as(browser, /Priya Nair/, '/inbox');
  await expect(priya.getByTestId('any-delegation').filter({ hasText: 'Amira Haddad → Grace Okafor' })).toBeVisible();
  await amira.reload();
  await hydrated(amira);
  await amira.getByRole('button', { name: 'End the delegation to Grace Okafor now' }).click();
  await expect(amira.getByTestId('away-outcome')).toContainText('Ended');
  await expect(amira.getByTestId('my-delegation')).toHaveCount(0);
});
