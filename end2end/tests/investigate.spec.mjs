import { test, expect } from './fixtures.mjs';
import { asPersona, hydrated, LIVING_DEMO_CONSOLE } from './helpers.mjs';

test('a security admin finds where a customer’s data was used and opens the chain to the kill switch', async ({ browser }) => {
  const priya = await asPersona(browser, /Priya Nair/, '/investigate');
  await expect(priya.getByRole('link', { name: 'Investigate', exact: true })).toBeVisible();
  await expect(priya.getByText('Start from a customer or a change')).toBeVisible();

  // The demo agent asked about crm-1001 for every draft; the story is told just after
  // start-up: wait for its publication, not for time.
  await expect(async () => {
    await priya.goto(LIVING_DEMO_CONSOLE + '/investigate?kind=subject&q=crm-1001');
    await expect(priya.getByTestId('trace-delivery').filter({ hasText: 'campaigns/spring-2027/delivery' }).first())
      .toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await hydrated(priya);
  await expect(priya.getByTestId('trace-summary')).toContainText('crm-1001');
  await expect(priya.getByTestId('trace-decision').first()).toContainText('allowed under');
  await expect(priya.getByTestId('investigation-recorded')).toContainText('recorded in the ledger');
  await priya.screenshot({ path: 'test-results/investigate-subject.png', fullPage: true });

  // From the published change to its chain: agent, owners, model, data, reviewers, and forward.
  const published = priya.getByTestId('trace-citing').filter({ hasText: 'Spring offer: free delivery' }).first();
  await published.getByTestId('trace-chain-link').click();
  await expect(priya).toHaveURL(/kind=change/);
  const chain = priya.getByTestId('chain');
  await expect(chain).toHaveCount(1);
  await expect(chain.getByTestId('chain-owners')).not.toBeEmpty();
  await expect(chain.getByTestId('chain-decisions')).toContainText('spring_offer');
  await expect(chain.getByTestId('chain-reviewers')).toContainText('Amira Haddad');
  await expect(chain.getByTestId('trace-delivery')).toContainText('Published at campaigns/spring-2027/delivery');
  await priya.screenshot({ path: 'test-results/investigate-chain.png', fullPage: true });

  // One click to the kill switch of the workflow that produced it.
  await chain.getByTestId('kill-switch-link').click();
  await expect(priya).toHaveURL(/\/workflows\/[0-9a-f-]{36}#workflow-/);
  await hydrated(priya);
  const card = priya.locator(":target");
  await expect(card).toBeInViewport();
  await expect(card.getByRole('button', { name: 'Revoke workflow…' })).toBeVisible();

  // An unknown subject is an empty answer, not an error; the search is recorded all the same.
  await priya.goto(LIVING_DEMO_CONSOLE + '/investigate?kind=subject&q=crm-nobody');
  await expect(priya.getByTestId('investigation-empty')).toContainText('no decision on record names them');
  // A bad id is named.
  await priya.goto(LIVING_DEMO_CONSOLE + '/investigate?kind=change&q=not-a-change');
  await expect(priya.getByRole('alert')).toContainText('not a change id');

  // Each search is in the ledger, with who made it.
  await priya.goto(LIVING_DEMO_CONSOLE + '/audit?action=investigation.searched');
  await expect(priya.getByText('investigation.searched').first()).toBeVisible();

  // Approvers do not trace customers.
  const amira = await asPersona(browser, /Amira Haddad/, '/queue');
  await expect(amira.getByRole('link', { name: 'Investigate', exact: true })).toHaveCount(0);
});
