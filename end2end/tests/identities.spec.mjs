import { test, expect } from './fixtures.mjs';
import { signIn, hydrated } from './helpers.mjs';

test('a security admin registers an agent with an owner; deactivating the owner orphans it; reassigning fixes it', async ({ page }) => {
  await signIn(page, 'priya', { next: '/identities' });
  await expect(page.getByRole('heading', { name: 'Identities', level: 1 })).toBeVisible();
  await hydrated(page);
  const outcome = page.getByTestId('identity-outcome');

  // An owner who has not signed in yet.
  await page.getByLabel('Email').fill('omar.owner@example.test');
  await page.getByRole('textbox', { name: 'Name', exact: true }).last().fill('Omar Owner');
  await page.getByRole('button', { name: 'Pre-register' }).click();
  await expect(outcome).toHaveText('Omar Owner can now be named as an owner.');

  // Bad input is refused with the reason, and nothing is registered.
  const register = page.getByRole('region', { name: 'Register a service account or agent' });
  await register.getByLabel('Name').fill('spring-drafter');
  await register.getByLabel('Purpose').fill('Drafts the spring offer email from CRM segments.');
  await register.getByLabel('Model and provider (agents)').fill('claude-sonnet-4.5 (Anthropic)');
  await register.getByRole('button', { name: 'Register' }).click();
  await expect(outcome).toContainText('expires_at: an expiry date is required');

  const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await register.getByLabel('Expires on').fill(inTwoWeeks);
  await register.getByRole('button', { name: 'Register' }).click();
  await expect(outcome).toContainText('owners: name at least one human owner');

  await register.getByRole('checkbox', { name: 'Omar Owner' }).check();
  await register.getByRole('button', { name: 'Register' }).click();
  await expect(outcome).toHaveText('spring-drafter is registered and active.');
  const row = page.getByTestId('nhi-row').filter({ hasText: 'spring-drafter' });
  await expect(row).toContainText('Omar Owner');
  await expect(row).toContainText('Active');
  await expect(row).not.toContainText('Orphaned');

  // Deactivating the only owner orphans the agent.
  const omar = page.getByTestId('person-row').filter({ hasText: 'Omar Owner' });
  await omar.getByRole('button', { name: 'Deactivate' }).click();
  await omar.getByLabel('Reason').fill('left the company');
  await omar.getByRole('button', { name: 'Confirm: deactivate' }).click();
  await expect(outcome).toHaveText('Omar Owner is now deactivated.');
  await expect(row).toContainText('Orphaned');

  await page.goto('/identities?orphaned=1');
  await hydrated(page);
  await expect(page.getByTestId('nhi-row')).toHaveCount(1);

  // Reassign the orphan to Priya.
  await page.getByRole('checkbox', { name: 'Select spring-drafter' }).check();
  const reassign = page.getByRole('form', { name: /Reassign owners/ });
  await reassign.getByRole('checkbox', { name: 'Priya Nair' }).check();
  await reassign.getByLabel('Reason').fill('Omar left; Priya takes over');
  await reassign.getByRole('button', { name: 'Reassign owners' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Owners changed for 1 identities.');
  await expect(page.getByTestId('nhi-row')).toHaveCount(0);

  // Suspend needs a reason and a confirmation.
  await page.goto('/identities');
  await hydrated(page);
  const agent = page.getByTestId('nhi-row').filter({ hasText: 'spring-drafter' });
  await agent.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('dialog').getByLabel('Reason').fill('investigating a prompt injection');
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm: suspend' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('spring-drafter is now suspended.');
  await expect(agent).toContainText('Suspended');

  // Its own page: owners and state, credentials, and what it has done (nothing yet); its
  // lifecycle commands work there too.
  await page.goto('/identities?q=SPRING-DRAFTER');
  await hydrated(page);
  await expect(page.getByTestId('nhi-row')).toHaveCount(1);
  await agent.getByRole('link', { name: 'spring-drafter', exact: true }).click();
  await expect(page).toHaveURL(/\/identities\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await expect(page.getByTestId('identity-name')).toHaveText('spring-drafter');
  const own = page.getByTestId('nhi-row');
  await expect(own).toContainText('Priya Nair');
  await expect(own).toContainText('Suspended');
  await expect(page.getByTestId('credentials')).toContainText('issued (only its hash is kept)');
  await expect(page.getByRole('heading', { name: 'No workflow names it' })).toBeVisible();
  await expect(page.getByText('It has asked for no customer data yet.')).toBeVisible();
  await expect(page.getByText('It has drafted no change.')).toBeVisible();
  await own.getByRole('button', { name: 'Reactivate' }).click();
  await page.getByRole('dialog').getByLabel('Reason').fill('the investigation found nothing');
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm: reactivate' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('spring-drafter is now active.');
  await expect(own).toContainText('Active');
  await page.screenshot({ path: 'test-results/identity-page.png', fullPage: true });

  // An identity that does not exist is named as such.
  await page.goto('/identities/00000000-0000-0000-0000-000000000000');
  await expect(page.getByRole('alert')).toHaveText('Not found: identity');
  await page.goto('/identities/not-an-id');
  await expect(page.getByRole('alert')).toHaveText('identity: `not-an-id` is not a valid id');
});

test('an auditor sees the registry but cannot change it', async ({ page }) => {
  await signIn(page, 'tomasz', { next: '/identities' });
  await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Register' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Deactivate' })).toHaveCount(0);
});

test('a sign-in whose email the IdP did not verify stays apart until a security admin links it', async ({ page, browser }) => {
  await signIn(page, 'priya', { next: '/identities' });
  await hydrated(page);
  const outcome = page.getByTestId('identity-outcome');
  await page.getByLabel('Email').fill('ines@example.test');
  await page.getByRole('textbox', { name: 'Name', exact: true }).last().fill('Ines Pre-registered');
  await page.getByRole('button', { name: 'Pre-register' }).click();
  await expect(outcome).toHaveText('Ines Pre-registered can now be named as an owner.');

  // Ines signs in; her IdP does not vouch for the address, so she is not the pre-registration.
  const ines = await (await browser.newContext()).newPage();
  await signIn(ines, 'ines');
  await expect(ines.getByTestId('signed-in-name')).toHaveText('Ines Ortega');

  await page.reload();
  await hydrated(page);
  const row = page.getByTestId('person-row').filter({ hasText: 'Ines Pre-registered' });
  await row.getByRole('button', { name: 'Link the sign-in of Ines Ortega…' }).click();
  await row.getByLabel('How you checked').fill('called her on her desk phone');
  await row.getByRole('button', { name: 'Confirm: link' }).click();
  await expect(outcome).toHaveText('Ines Pre-registered now signs in as themselves; the separate record is deactivated.');
  // The row whose name is Ines Ortega (the pre-registered row may still offer, hidden, to link
  // her sign-in until the registry reloads).
  const separate = page.getByTestId('person-row').filter({ has: page.getByText('Ines Ortega', { exact: true }) });
  await expect(separate).toContainText('Deactivated by a security admin');

  // Her next sign-in is the pre-registered person.
  const again = await (await browser.newContext()).newPage();
  await signIn(again, 'ines');
  await expect(again.getByTestId('signed-in-name')).toHaveText('Ines Ortega');
  await page.reload();
  await hydrated(page);
  const inesRows = page.getByTestId('person-row').filter({ hasText: 'ines@example.test' });
  await expect(inesRows).toHaveCount(2);
  await expect(inesRows.filter({ hasText: 'Active · last sign-in' })).toHaveCount(1);
  await expect(inesRows.filter({ hasText: 'Deactivated by a security admin' })).toHaveCount(1);
});
