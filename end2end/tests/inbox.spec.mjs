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

test('an approver finds a change waiting in the inbox, opens it from there, and tunes how they are reached', async ({ browser }) => {
  test.setTimeout(60_000);
  const amira = await as(browser, /Amira Haddad/, '/inbox');
  // The story drafts just after start-up: wait for its notice, not for time.
  const waiting = amira.getByTestId('notice').filter({ hasText: 'the new garden range' }).filter({ hasText: 'waits for a sign-off' });
  await expect(async () => {
    await amira.reload();
    await expect(waiting.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await hydrated(amira);
  await expect(waiting.first()).toHaveAttribute('data-read', 'false');
  await expect(waiting.first()).toContainText('For: ');
  await expect(waiting.first()).toContainText(/Due \w{3} \d+ \w{3}, \d\d:\d\d UTC/);
  await expect(amira.getByTestId('inbox-count')).toBeVisible();
  const bell = amira.getByRole('link', { name: /^Inbox, \d+ unread notices?$/ });
  await expect(bell).toBeVisible();

  // The link opens the change itself.
  await waiting.first().getByRole('link').click();
  await expect(amira).toHaveURL(/\/changes\/[0-9a-f-]+$/);
  await hydrated(amira);
  await expect(amira.getByRole('heading', { level: 1 })).toContainText('the new garden range');

  // Back in the inbox: everything marked read, and the bell says so.
  await amira.goto(`${LIVING_DEMO_CONSOLE}/inbox`);
  await hydrated(amira);
  await amira.getByTestId('mark-all-read').click();
  await expect(amira.getByTestId('notice').filter({ has: amira.locator('[data-read="false"]') })).toHaveCount(0);
  await expect(amira.getByTestId('notice').first()).toHaveAttribute('data-read', 'true');
  await expect(amira.getByRole('link', { name: 'Inbox, nothing unread' })).toBeVisible();
  await expect(amira.getByTestId('inbox-count')).toHaveCount(0);

  // Preferences: half a quiet period is refused by name; a whole one is saved.
  const settings = amira.getByTestId('notice-settings');
  await settings.locator('input[name="quiet_from"]').fill('22:00');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(amira.getByTestId('notice-settings-outcome')).toContainText('quiet hours: give both a start and an end');
  await settings.locator('input[name="quiet_to"]').fill('07:00');
  await settings.getByLabel('One daily digest at').check();
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(amira.getByTestId('notice-settings-outcome')).toContainText('Saved');
  await amira.reload();
  await hydrated(amira);
  await expect(amira.getByTestId('notice-settings').locator('input[name="quiet_to"]')).toHaveValue('07:00');
  await expect(amira.getByTestId('notice-settings').getByLabel('One daily digest at')).toBeChecked();
});
