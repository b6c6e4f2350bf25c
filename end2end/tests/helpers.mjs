import { expect } from '@playwright/test';

export const PASSWORD = 'correct horse battery staple';
export const IDP = 'http://127.0.0.1:4011';
export const CONSOLE = 'http://127.0.0.1:3100';
/** A second console whose sessions go idle after 3 s, for the expiry test. */
export const SHORT_SESSION_CONSOLE = 'http://127.0.0.1:3101';
/** A console whose dangerous actions need a sign-in within the last 10 s. */
export const REAUTH_CONSOLE = 'http://127.0.0.1:3104';
/** A console in demo mode (personas, seeded workflow, reference system on 127.0.0.1:4100). */
export const DEMO_CONSOLE = 'http://127.0.0.1:3102';
/** The living demo: its story told at start-up, as `scripts/demo.sh` runs it. */
export const LIVING_DEMO_CONSOLE = 'http://127.0.0.1:3103';

/** Signs in through the test IdP's form, starting from the console's sign-in page. */
export async function signIn(page, user, { base = '', next } = {}) {
  const query = next ? `?next=${encodeURIComponent(next)}` : '';
  await page.goto(`${base}/signin${query}`);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await expect(page.getByRole('heading', { name: 'Test identity provider' })).toBeVisible();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The browser has loaded and run the WebAssembly for the current page. */
export async function hydrated(page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function navLinks(page) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
}

/** Signs in as a persona of the living demo in a fresh browser context and opens `path`. */
export async function asPersona(browser, name, path) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${LIVING_DEMO_CONSOLE}/signin?next=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name }).click();
  await page.waitForURL(`${LIVING_DEMO_CONSOLE}${path}`);
  await hydrated(page);
  return page;
}

/** Finds a workflow by name in the searchable list and opens its own page, hydrated. */
export async function openWorkflow(page, name, base = '') {
  await page.goto(`${base}/workflows?q=${encodeURIComponent(name)}`);
  await page.getByTestId('workflow-row').getByRole('link', { name, exact: true }).click();
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}/);
  await hydrated(page);
}

/** Finds an identity by name in the searchable registry and opens its own page, hydrated. */
export async function openIdentity(page, name, base = '') {
  await page.goto(`${base}/identities?q=${encodeURIComponent(name)}`);
  await page.getByTestId('nhi-row').getByRole('link', { name, exact: true }).click();
  await page.waitForURL(/\/identities\/[0-9a-f-]{36}/);
  await hydrated(page);
}
