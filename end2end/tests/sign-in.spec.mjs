import { test, expect } from './fixtures.mjs';
import { signIn, navLinks, hydrated, SHORT_SESSION_CONSOLE } from './helpers.mjs';

const people = [
  { user: 'amira', name: 'Amira Haddad', roles: ['Approver'], nav: ['Queue', 'Workflows', 'Flow'] },
  { user: 'lukas', name: 'Lukas Brandt', roles: ['Legal reviewer'], nav: ['Queue', 'Flow'] },
  { user: 'priya', name: 'Priya Nair', roles: ['Security admin'], nav: ['Workflows', 'Identities', 'Data access', 'Review quality', 'Flow', 'Deliveries', 'Compliance', 'Audit', 'Investigate', 'Directory'] },
  { user: 'tomasz', name: 'Tomasz Wójcik', roles: ['Auditor'], nav: ['Queue', 'Workflows', 'Identities', 'Compliance', 'Audit', 'Investigate'] },
  { user: 'grace', name: 'Grace Okafor', roles: ['Approver', 'Legal reviewer'], nav: ['Queue', 'Workflows', 'Flow'] },
];

for (const person of people) {
  test(`${person.user} signs in through the IdP and sees the navigation of ${person.roles.join(' + ')}`, async ({ page }) => {
    await signIn(page, person.user);
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('signed-in-name')).toHaveText(person.name);
    await expect(page.getByRole('list', { name: 'Your roles' }).getByRole('listitem')).toHaveText(person.roles);
    expect(await navLinks(page)).toEqual(person.nav);
  });
}

test('a person in no mapped group is signed in to "no access" and nothing else', async ({ page }) => {
  await signIn(page, 'noah');
  await expect(page).toHaveURL(/\/no-access$/);
  await expect(page.getByRole('heading', { name: 'You have no access to Countersign' })).toBeVisible();
  await expect(page.getByText('You are signed in as Noah Berg.')).toBeVisible();
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/no-access$/);
});

test('sign-in returns to the page that was asked for', async ({ page }) => {
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/signin\?next=%2Faudit$/);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await page.getByLabel('Username').fill('tomasz');
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole('heading', { name: 'Audit ledger' })).toBeVisible();
});

test('signing out ends the session and offers the IdP sign-out', async ({ page }) => {
  await signIn(page, 'priya');
  await expect(page.getByTestId('signed-in-name')).toHaveText('Priya Nair');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin\?signed_out=1$/);
  await expect(page.getByText('You have signed out of Countersign.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'sign out of your identity provider' })).toHaveAttribute(
    'href',
    /^http:\/\/127\.0\.0\.1:4011\/session\/end\?client_id=countersign/,
  );
  await page.goto('/identities');
  await expect(page).toHaveURL(/\/signin\?next=%2Fidentities$/);
});

test('a callback with a tampered state is refused and recorded in the ledger', async ({ page, browser }) => {
  // Rewrite the `state` the console sends to the IdP; the IdP faithfully returns the forgery.
  await page.route('**/auth/login**', async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    const target = new URL(response.headers()['location']);
    target.searchParams.set('state', 'forged-state');
    await route.fulfill({ status: 303, headers: { location: target.toString() } });
  });
  await signIn(page, 'amira');
  await expect(page).toHaveURL(/\/signin\?error=state_mismatch$/);
  await expect(page.getByTestId('signin-error')).toContainText('did not match the sign-in started in this browser');
  await expect(page.getByTestId('signed-in-name')).toHaveCount(0);

  const auditor = await (await browser.newContext()).newPage();
  await signIn(auditor, 'tomasz', { next: '/audit' });
  const row = auditor.getByTestId('audit-row').filter({ hasText: 'auth.sign_in_failed' }).first();
  await expect(row).toBeVisible();
  await hydrated(auditor);
  await row.getByRole('button', { name: 'Details' }).click();
  await expect(auditor.getByText('"reason": "state_mismatch"')).toBeVisible();
});

test('a replayed callback is refused', async ({ page, browser }) => {
  let callback;
  page.on('request', (request) => {
    if (request.url().includes('/auth/callback')) callback = request.url();
  });
  await signIn(page, 'lukas');
  await expect(page.getByTestId('signed-in-name')).toHaveText('Lukas Brandt');
  expect(callback).toBeTruthy();

  const attacker = await (await browser.newContext()).newPage();
  await attacker.goto(callback);
  await expect(attacker).toHaveURL(/\/signin\?error=no_sign_in_in_progress$/);
  await page.goto(callback);
  await expect(page).toHaveURL(/\/signin\?error=no_sign_in_in_progress$/);
});

test('an idle session expires and the next page asks to sign in again', async ({ page }) => {
  await signIn(page, 'amira', { base: SHORT_SESSION_CONSOLE, next: '/queue' });
  await expect(page).toHaveURL(`${SHORT_SESSION_CONSOLE}/queue`);
  await expect(page.getByRole('heading', { name: 'Queue', level: 1 })).toBeVisible();
  await page.waitForTimeout(4_500);
  await page.goto(`${SHORT_SESSION_CONSOLE}/queue`);
  await expect(page).toHaveURL(`${SHORT_SESSION_CONSOLE}/signin?next=%2Fqueue`);
});
