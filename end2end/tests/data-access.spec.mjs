import { test, expect } from './fixtures.mjs';
import { hydrated, DEMO_CONSOLE } from './helpers.mjs';

const HEADER = 'subject,purpose,legal_basis,granted_at,withdrawn_at,source';

test('a security admin previews a consent CSV, sees row errors, and imports only a clean file', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fdata-access`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}/data-access`);
  await hydrated(page);
  const counts = page.getByTestId('consent-counts');
  await expect(counts).toContainText('4 records for 4 customers');

  const form = page.getByRole('form', { name: 'Load consent records from CSV' });
  const outcome = page.getByTestId('csv-outcome');
  const bad = `${HEADER}\ncrm-2001,spring_offer,consent,2026-03-01,,web form\ncrm-2002,spring_offer,vibes,2026-03-01,,web form\ncrm-2003,spring_offer,consent,yesterday,,web form\n`;
  await form.locator('input[type=file]').setInputFiles({ name: 'consent.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await expect(form.getByLabel('Or paste the rows')).toHaveValue(bad);
  await form.getByRole('button', { name: 'Preview' }).click();
  await expect(outcome).toContainText('1 valid rows, 2 with problems.');
  await expect(page.getByTestId('csv-errors')).toContainText('Row 2: unknown legal basis `vibes`');
  await expect(page.getByTestId('csv-errors')).toContainText('Row 3: granted_at: use a date');
  await expect(form.getByRole('button', { name: 'Import all rows' })).toBeDisabled();

  const good = `${HEADER}\ncrm-2001,spring_offer,consent,2026-03-01,,web form\ncrm-2002,spring_offer,contract,2026-03-01,,order system\ncrm-2001,spring_offer,consent,,2026-04-01,preference centre\n`;
  await form.getByLabel('Or paste the rows').fill(good);
  await form.getByRole('button', { name: 'Preview' }).click();
  await expect(outcome).toContainText('3 valid rows, 0 with problems.');
  await expect(outcome).toContainText('crm-2001 · spring_offer · consent · withdrawn 2026-04-01');
  await form.getByRole('button', { name: 'Import all rows' }).click();
  await expect(outcome).toContainText('3 consent records imported.');
  await expect(counts).toContainText('7 records for 6 customers');
});

test('the policy simulator says what Cedar would decide and which policy decided it', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fdata-access`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await hydrated(page);
  const simulator = page.getByRole('region', { name: 'Policy simulator' });
  await simulator.getByLabel('Identity').selectOption({ label: 'spring-offer-drafter (active)' });
  const step = simulator.getByLabel('Step');
  const draftStep = await step.locator('option', { hasText: 'Draft the offer email' }).getAttribute('value');
  await step.selectOption(draftStep);
  await simulator.getByLabel('Action').selectOption('publish_change');
  await simulator.getByRole('button', { name: 'Simulate' }).click();
  await expect(page.getByTestId('simulated-decision')).toContainText('Deny');
  await expect(page.getByTestId('simulated-decision')).toContainText('identities-never-approve-or-publish');

  await simulator.getByLabel('Action').selectOption('read_data');
  await simulator.getByLabel('Purpose').fill('spring_offer');
  await simulator.getByLabel(/Fields/).fill('first_name, email');
  await simulator.getByRole('button', { name: 'Simulate' }).click();
  const decisions = page.getByTestId('simulated-decision');
  await expect(decisions).toHaveCount(2);
  // Either the workflow is still a draft (nothing allowed) or active (first_name allowed by
  // the step's grant); email is outside the grant either way.
  await expect(decisions.nth(1)).toContainText('Deny email');
  const first = await decisions.nth(0).textContent();
  expect(first).toMatch(/Deny first_name — decided by inactive-workflows-allow-nothing|Allow first_name — decided by step-grant-read/);
});
