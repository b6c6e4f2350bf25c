import { test, expect } from '@playwright/test';
import { hydrated, DEMO_CONSOLE } from './helpers.mjs';

test('demo: the spring offer workflow cannot be activated until its system passes a drill', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fworkflows`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}/workflows`);
  await hydrated(page);

  const workflow = page.getByTestId('workflow-card').filter({ hasText: 'Spring offer email' });
  await expect(workflow).toContainText('Tier 2');
  await expect(workflow.getByRole('list', { name: 'Steps, in order' }).getByRole('listitem')).toHaveCount(4);
  await expect(workflow).toContainText('Who: crm-contact-reader');
  await expect(workflow).toContainText('Who: Countersign publisher');
  await expect(workflow).toContainText('Campaign Manager: no passing revocation drill');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toBeDisabled();

  const system = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await system.getByRole('button', { name: 'Run revocation drill' }).click();
  await expect(system.getByTestId('drill-status')).toContainText('Revocation drill passed');

  // The checklist follows the drill without a page load.
  await expect(workflow).toContainText('Campaign Manager passed a revocation drill');
  await workflow.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('workflow-outcome')).toHaveText('Spring offer email is active.');
  await expect(workflow).toContainText('active');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toHaveCount(0);
});
