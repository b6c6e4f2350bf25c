import { test, expect } from './fixtures.mjs';
import { signIn, hydrated, CONSOLE } from './helpers.mjs';

const SCIM = 'application/scim+json';

test('a leaver deprovisioned by the directory orphans their agent until a security admin reassigns it', async ({ page }) => {
  await signIn(page, 'priya', { next: '/directory' });
  await expect(page.getByRole('heading', { name: 'Directory sync', level: 1 })).toBeVisible();
  await hydrated(page);
  await expect(page.getByTestId('directory-tokens-empty')).toBeVisible();

  // The token is shown once, with the tenant URL to paste into the directory.
  await page.getByLabel('Which directory uses it').fill('Okta (end-to-end)');
  await page.getByRole('button', { name: 'Create directory token' }).click();
  const token = (await page.getByTestId('directory-token').textContent()).trim();
  expect(token).toMatch(/^csscim_/);
  await expect(page.getByTestId('detail-tenant-url')).toHaveText(`${CONSOLE}/scim/v2`);
  await expect(page.getByTestId('directory-token-row')).toContainText('never');

  // The directory provisions a joiner before her first sign-in (Okta's request shape).
  const scim = (method, path, body, bearer = token) =>
    page.request.fetch(`${CONSOLE}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': SCIM },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
  const created = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'mei.chen@example.test',
    externalId: 'mei-e2e',
    name: { givenName: 'Mei', familyName: 'Chen' },
    emails: [{ primary: true, type: 'work', value: 'mei.chen@example.test' }],
    active: true,
  });
  expect(created.status()).toBe(201);
  const mei = await created.json();

  // She can own an agent at once.
  await page.goto('/identities');
  await hydrated(page);
  const register = page.getByRole('region', { name: 'Register a service account or agent' });
  await register.getByLabel('Name').fill('mei-drafter');
  await register.getByLabel('Purpose').fill('Drafts localised variants of the spring offer.');
  await register.getByLabel('Model and provider (agents)').fill('claude-sonnet-4.5 (Anthropic)');
  await register.getByLabel('Expires on').fill(new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10));
  await register.getByRole('checkbox', { name: 'Mei Chen' }).check();
  await register.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('mei-drafter is registered and active.');

  // She leaves: the directory deactivates her (Okta's shape).
  const left = await scim('PATCH', `/Users/${mei.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value: { active: false } }],
  });
  expect(left.status()).toBe(200);
  expect((await left.json()).active).toBe(false);

  // The Directory page says what happened and what needs doing.
  await page.goto('/directory');
  await hydrated(page);
  await expect(page.getByTestId('directory-orphan')).toHaveText(/mei-drafter/);
  const change = page.getByTestId('directory-change').first();
  await expect(change).toContainText('Deactivated');
  await expect(change).toContainText('Mei Chen');
  await expect(change).toContainText('orphaned: mei-drafter');
  await expect(page.getByTestId('directory-token-last-used')).not.toHaveText('never');
  await expect(page.getByTestId('directory-summary')).toContainText('1 (0 active)');
  await page.screenshot({ path: 'test-results/directory-leaver.png', fullPage: true });

  // Identities shows her as left; the agent is reassigned there.
  await page.getByRole('link', { name: 'Reassign them on Identities' }).click();
  await hydrated(page);
  await expect(page.getByTestId('person-row').filter({ hasText: 'Mei Chen' })).toContainText('Left: deactivated by the directory');
  await page.getByRole('checkbox', { name: 'Select mei-drafter' }).check();
  const reassign = page.getByRole('form', { name: /Reassign owners/ });
  await reassign.getByRole('checkbox', { name: 'Priya Nair' }).check();
  await reassign.getByLabel('Reason').fill('Mei left; Priya runs the spring variants now');
  await reassign.getByRole('button', { name: 'Reassign owners' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Owners changed for 1 identities.');
  await page.goto('/directory');
  await hydrated(page);
  await expect(page.getByTestId('directory-orphan')).toHaveCount(0);

  // Rotating: confirmed first; the old token stops at once, the new one works.
  const row = page.getByTestId('directory-token-row');
  await row.getByRole('button', { name: 'Rotate the token Okta (end-to-end)' }).click();
  await row.getByRole('button', { name: /Confirm rotate/ }).click();
  await expect(page.getByTestId('directory-token')).toBeVisible();
  const rotated = (await page.getByTestId('directory-token').textContent()).trim();
  expect(rotated).not.toBe(token);
  const refused = await scim('GET', '/Users', undefined, token);
  expect(refused.status()).toBe(401);
  expect((await refused.json()).detail).toContain('rotated');
  expect((await scim('GET', '/Users', undefined, rotated)).status()).toBe(200);
});

test('people without the security admin role do not see the directory link', async ({ page }) => {
  await signIn(page, 'amira', { next: '/queue' });
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Directory', exact: true })).toHaveCount(0);
  await page.goto('/directory');
  await expect(page.getByText('You do not have access')).toBeVisible();
});
