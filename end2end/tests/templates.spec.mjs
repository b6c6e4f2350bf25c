import { test, expect } from './fixtures.mjs';
import { asPersona, hydrated, LIVING_DEMO_CONSOLE } from './helpers.mjs';

test('a legal reviewer spot-checks a standard change, follows it to its template and withdraws it', async ({ browser }) => {
  test.setTimeout(60_000);
  const lukas = await asPersona(browser, /Lukas Brandt/, '/queue?view=pre_approved');
  const row = lukas.getByTestId('templated-change').filter({ hasText: 'Spring opening hours: Saturdays' });
  await expect(async () => {
    await lukas.reload();
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row).toContainText('by policy');
  await row.getByRole('link', { name: 'Spring opening hours: Saturdays' }).click();
  await hydrated(lukas);
  const used = lukas.getByTestId('template-use');
  await expect(used).toHaveAttribute('data-pre-approved', 'true');
  await expect(used).toContainText('Pre-approved under template “Spring opening hours reminder”, approved by Grace Okafor and Lukas Brandt on');
  await expect(lukas.getByTestId('change-status')).toHaveAttribute('data-status', 'published');
  await lukas.screenshot({ path: 'test-results/pre-approved-change.png', fullPage: true });

  // The template: who approved it, and every change drafted under it — one sent to people.
  await used.getByRole('link', { name: 'Open the template' }).click();
  await hydrated(lukas);
  await expect(lukas.getByTestId('template-state')).toHaveText('approved');
  await expect(lukas.getByTestId('template-signoff')).toHaveCount(2);
  await expect(lukas.getByTestId('templated-change').filter({ hasText: 'Sundays' })).toContainText('to people');
  await lukas.screenshot({ path: 'test-results/template.png', fullPage: true });

  // Withdrawn, with a reason and a confirmation step: further drafts go to people.
  await lukas.getByTestId('template-withdraw').click();
  await lukas.getByLabel('Why (recorded)').fill('Opening hours change in May.');
  await lukas.getByTestId('template-withdraw-now').click();
  await expect(lukas.getByTestId('template-withdraw-outcome')).toContainText('Withdrawn. No draft is approved under it');
  await expect(lukas.getByTestId('template-state')).toHaveText('withdrawn');

  // The change sent to people says what broke.
  await lukas.goto(`${LIVING_DEMO_CONSOLE}/queue?view=all`);
  await hydrated(lukas);
  await lukas.getByTestId('queue-row').filter({ hasText: 'Spring opening hours: Sundays' }).getByRole('link').first().click();
  await hydrated(lukas);
  await expect(lukas.getByTestId('template-problems')).toContainText('must hold no claims');
});
