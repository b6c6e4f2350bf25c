import { test, expect } from './fixtures.mjs';
import { signIn, hydrated, IDP } from './helpers.mjs';

test('a sign-out at the identity provider ends the console session at once (back-channel logout)', async ({ page, browser }) => {
  await signIn(page, 'amira', { next: '/queue' });
  await expect(page.getByRole('heading', { name: 'Queue', level: 1 })).toBeVisible();

  // Amira signs out at the IdP itself; it tells the console, server to server.
  await page.goto(`${IDP}/session/end?client_id=countersign`);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page.getByText(/signed out|sign-out|logged out/i).first()).toBeVisible();

  await page.goto('/queue');
  await expect(page).toHaveURL(/\/signin\?next=%2Fqueue/);

  const auditor = await (await browser.newContext()).newPage();
  await signIn(auditor, 'tomasz', { next: '/audit' });
  await hydrated(auditor);
  await expect(auditor.getByTestId('audit-row').filter({ hasText: 'auth.idp_logout' }).first()).toBeVisible();
});

test('keys rotated at the identity provider are fetched when a token names a new one', async ({ page, request }) => {
  const rotated = await request.post(`${IDP}/test/rotate-keys`);
  expect(rotated.ok()).toBeTruthy();
  await signIn(page, 'lukas');
  await expect(page.getByTestId('signed-in-name')).toHaveText('Lukas Brandt');
});
