import { test, expect } from './fixtures.mjs';
import { signIn, hydrated, CONSOLE } from './helpers.mjs';

test('the page hydrates: controls respond without a page load', async ({ page }) => {
  await signIn(page, 'tomasz', { next: '/audit' });
  await hydrated(page);
  await page.evaluate(() => {
    window.__samePage = true;
  });
  const first = page.getByTestId('audit-row').first();
  const toggle = first.getByRole('button', { name: 'Details' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(first.getByRole('button', { name: 'Hide details' })).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByText('Previous hash').first()).toBeVisible();

  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByTestId('verify-result')).toContainText(/Ledger intact: \d+ events verified\./);
  expect(await page.evaluate(() => window.__samePage)).toBe(true);
});

test('navigation between areas happens in the page and keeps the header', async ({ page }) => {
  await signIn(page, 'tomasz');
  await hydrated(page);
  await page.evaluate(() => {
    window.__samePage = true;
  });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Identities' }).click();
  await expect(page.getByRole('heading', { name: 'Identities', level: 1 })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Identities' })).toHaveAttribute('aria-current', 'page');
  await nav.getByRole('link', { name: 'Queue' }).click();
  await expect(page.getByRole('heading', { name: 'Nothing is waiting for review' })).toBeVisible();
  expect(await page.evaluate(() => window.__samePage)).toBe(true);
});

test('an approver opening the ledger is told it is not theirs', async ({ page }) => {
  await signIn(page, 'amira');
  await page.goto('/audit');
  await expect(page.getByRole('alert')).toContainText('You do not have access to this.');
  await expect(page.getByTestId('audit-row')).toHaveCount(0);
});

test('the keyboard reaches every control, starting with "skip to content"', async ({ page }) => {
  await signIn(page, 'priya');
  await hydrated(page);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }),
  ).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Workflows', level: 1 })).toBeVisible();
});

test('an auditor takes the log key and a signed checkpoint from the Audit page, and they check out', async ({ page }) => {
  await signIn(page, 'tomasz', { next: '/audit' });
  const key = await page.getByLabel('Public key (give it to auditors and witnesses)').inputValue();
  const [name, keyId, material] = key.match(/^([^+]+)\+([0-9a-f]{8})\+(.+)$/).slice(1);
  expect(name).toMatch(/\/ledger$/);
  // The checkpoint is signed at start-up; wait for it rather than for time.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('latest-checkpoint')).toContainText(/Latest checkpoint: \d+ of \d+ events/, { timeout: 1000 });
  }).toPass();
  await page.getByText('Show the signed checkpoint').click();
  const note = await page.locator('details pre').innerText();
  // Checked with Node's own Ed25519 (OpenSSL), not ours: text, blank line, "— name base64(id ‖ sig)".
  const { createPublicKey, verify } = await import('node:crypto');
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const line = note.slice(split + 2).split('\n')[0];
  expect(line.startsWith(`\u2014 ${name} `)).toBe(true);
  const blob = Buffer.from(line.split(' ')[2], 'base64');
  expect(blob.subarray(0, 4).toString('hex')).toBe(keyId);
  const raw = Buffer.from(material, 'base64');
  expect(raw[0]).toBe(1);
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') },
    format: 'jwk',
  });
  expect(verify(null, Buffer.from(text), publicKey, blob.subarray(4))).toBe(true);
  expect(verify(null, Buffer.from(text.replace(/\n\d+\n/, '\n1\n')), publicKey, blob.subarray(4))).toBe(false);
  expect(text.split('\n')[0]).toBe(name);
});

test('an auditor filters the ledger, follows a name, and opens an event\'s inclusion proof', async ({ page }) => {
  await signIn(page, 'tomasz', { next: '/audit' });
  await page.getByLabel('Action').fill('auth.');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/action=auth\./);
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toBeVisible();
  for (const action of await rows.locator('td:nth-child(4) > span:first-child').allInnerTexts()) {
    expect(action.startsWith('auth.')).toBe(true);
  }
  // The actor's name filters the ledger by that actor.
  await rows.first().locator('td').nth(2).getByRole('link').click();
  await expect(page).toHaveURL(/actor=/);
  await expect(page.getByLabel('Actor (name or reference)')).not.toHaveValue('');

  // The checkpoint is signed every two seconds here: wait for one that holds the newest event.
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await rows.first().getByRole('button', { name: 'Details' }).click();
    await expect(page.getByRole('button', { name: 'Show the inclusion proof' }).first()).toBeVisible({ timeout: 1000 });
  }).toPass();
  await page.getByRole('button', { name: 'Show the inclusion proof' }).first().click();
  await expect(page.getByTestId('inclusion-proof').first()).toContainText(/Leaf \d+ of the tree of \d+ events/);

  // A filter that cannot match says why.
  await page.goto(`${CONSOLE}/audit?actor=Nobody%20Atall`);
  await expect(page.getByText('no person or identity is called')).toBeVisible();
});
