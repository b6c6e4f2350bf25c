import { test, expect } from './fixtures.mjs';
import { asPersona } from './helpers.mjs';

test('an approver sees how long review takes, per tier, workflow and week, and what went through templates', async ({ browser }) => {
  const amira = await asPersona(browser, /Amira Haddad/, '/flow');
  await expect(amira.getByRole('link', { name: 'Flow', exact: true })).toBeVisible();
  // The story is told just after start-up: wait for its changes, not for time.
  await expect(async () => {
    await amira.reload();
    await expect(amira.getByTestId('flow-by-workflow')).toContainText('Spring offer email', { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const summary = amira.getByTestId('flow-summary');
  await expect(summary).toContainText('Through templates');
  const byTier = amira.getByTestId('flow-by-tier');
  await expect(byTier.getByTestId('flow-row').first()).toContainText('All changes');
  await expect(byTier).toContainText('Tier 2');
  await expect(amira.getByTestId('flow-by-workflow')).toContainText('Spring offer email');
  await expect(amira.getByTestId('flow-by-week').getByTestId('flow-row')).not.toHaveCount(0);
  await amira.screenshot({ path: 'test-results/flow.png', fullPage: true });
  // Auditors watch the ledger, not the reviewers' pace.
  const tomasz = await asPersona(browser, /Tomasz Wójcik/, '/audit');
  await expect(tomasz.getByRole('link', { name: 'Flow', exact: true })).toHaveCount(0);
});
