import { test, expect } from './fixtures.mjs';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signIn, hydrated } from './helpers.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const SANDBOX_PORT = 4150;

/** Starts the reference connected system with the secret the console showed. */
async function startSandbox(secret) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'countersign-sandbox-'));
  const child = spawn(
    `${root}/target/debug/countersign-sandbox`,
    ['--bind', `127.0.0.1:${SANDBOX_PORT}`, '--data-dir', dir],
    { env: { ...process.env, COUNTERSIGN_SANDBOX_SECRET: secret }, stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${SANDBOX_PORT}/healthz`)).ok) return child;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill();
  throw new Error('the sandbox did not start');
}

test('a security admin connects a system, sees its secret once, drills it, and rotates the secret', async ({ page, browser }) => {
  await signIn(page, 'priya', { next: '/systems' });
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Register a connected system' });
  await form.getByLabel('System name').fill('Campaign Manager');
  await form.getByLabel('Kind').selectOption('campaign');
  await form.getByLabel('Base URL').fill('http://campaigns.example.com');
  await form.getByLabel(/Data fields/).fill('email:contact\nfirst_name:contact\nlast_purchase:behavioural');
  await form.getByRole('button', { name: 'Register system' }).click();
  const outcome = page.getByTestId('system-outcome');
  await expect(outcome).toContainText('base_url: base URL must use https');

  await form.getByLabel('Base URL').fill(`http://127.0.0.1:${SANDBOX_PORT}`);
  await form.getByRole('button', { name: 'Register system' }).click();
  await expect(outcome).toContainText('Signing secret for Campaign Manager (version 1)');
  const secret = await page.getByTestId('signing-secret').textContent();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  const card = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await expect(card.getByRole('list', { name: 'Data fields' }).getByRole('listitem')).toHaveCount(3);
  await expect(card.getByTestId('drill-status')).toContainText('never run');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  await expect(page.getByTestId('signing-secret')).toHaveCount(0);

  // Reloading never shows the secret again.
  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(secret);

  const sandbox = await startSandbox(secret);
  try {
    await card.getByRole('button', { name: 'Run revocation drill' }).click();
    await expect(outcome).toContainText(/Drill passed in \d+ ms\./);
    await expect(card.getByTestId('drill-status')).toContainText(/Revocation drill passed .* \(receipt rcpt_/);

    // Rotating the secret without updating the system makes the next drill fail, clearly.
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await card.getByLabel('Reason').fill('quarterly rotation');
    await card.getByRole('button', { name: 'Confirm: rotate' }).click();
    await expect(outcome).toContainText('Signing secret for Campaign Manager (version 2)');
    expect(await page.getByTestId('signing-secret').textContent()).not.toBe(secret);
    await card.getByRole('button', { name: 'Run revocation drill' }).click();
    await expect(card.getByTestId('drill-status')).toContainText('refused the call with 401');
  } finally {
    sandbox.kill();
  }

  const auditor = await (await browser.newContext()).newPage();
  await signIn(auditor, 'tomasz', { next: '/systems' });
  await expect(auditor.getByTestId('system-card').filter({ hasText: 'Campaign Manager' })).toContainText('version 2');
  await expect(auditor.getByRole('button', { name: 'Rotate secret' })).toHaveCount(0);
  await expect(auditor.getByRole('button', { name: 'Run revocation drill' })).toHaveCount(0);
  await expect(auditor.getByRole('form', { name: 'Register a connected system' })).toHaveCount(0);
});
