import { test, expect } from '@playwright/test';
import { signIn, hydrated } from './helpers.mjs';

test('a security admin connects a system, sees its secret once, and rotates it', async ({ page, browser }) => {
  await signIn(page, 'priya', { next: '/workflows' });
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Register a connected system' });
  await form.getByLabel('System name').fill('Campaign Manager');
  await form.getByLabel('Kind').selectOption('campaign');
  await form.getByLabel('Base URL').fill('http://campaigns.example.com');
  await form.getByLabel(/Data fields/).fill('email:contact\nfirst_name:contact\nlast_purchase:behavioural');
  await form.getByRole('button', { name: 'Register system' }).click();
  const outcome = page.getByTestId('system-outcome');
  await expect(outcome).toContainText('base_url: base URL must use https');

  await form.getByLabel('Base URL').fill('https://campaigns.example.com');
  await form.getByRole('button', { name: 'Register system' }).click();
  await expect(outcome).toContainText('Signing secret for Campaign Manager (version 1)');
  const first = await page.getByTestId('signing-secret').textContent();
  expect(first).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  const card = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await expect(card.getByRole('list', { name: 'Data fields' }).getByRole('listitem')).toHaveCount(3);
  await page.getByRole('button', { name: 'I have copied it' }).click();
  await expect(page.getByTestId('signing-secret')).toHaveCount(0);

  // Reloading never shows the secret again.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('signing-secret')).toHaveCount(0);
  expect(await page.content()).not.toContain(first);

  await card.getByRole('button', { name: 'Rotate secret' }).click();
  await card.getByLabel('Reason').fill('quarterly rotation');
  await card.getByRole('button', { name: 'Confirm: rotate' }).click();
  await expect(outcome).toContainText('Signing secret for Campaign Manager (version 2)');
  expect(await page.getByTestId('signing-secret').textContent()).not.toBe(first);

  const auditor = await (await browser.newContext()).newPage();
  await signIn(auditor, 'tomasz', { next: '/workflows' });
  await expect(auditor.getByTestId('system-card').filter({ hasText: 'Campaign Manager' })).toContainText('version 2');
  await expect(auditor.getByRole('button', { name: 'Rotate secret' })).toHaveCount(0);
  await expect(auditor.getByRole('form', { name: 'Register a connected system' })).toHaveCount(0);
});
