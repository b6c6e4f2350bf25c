import { test, expect } from './fixtures.mjs';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signIn, hydrated, CONSOLE } from './helpers.mjs';

// Issue 3's story: a security admin registers an agent with an owner, builds the four-step
// workflow in the browser, sees the checklist fail, drills the reference system, activates the
// workflow; the agent gets a token; deactivating its owner orphans it and its next token request
// fails.

const root = path.resolve(import.meta.dirname, '../..');
const SANDBOX_PORT = 4151;

async function startSandbox(secret) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'countersign-story-sandbox-'));
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

async function registerIdentity(page, { kind, name, purpose, model }) {
  const register = page.getByRole('region', { name: 'Register a service account or agent' });
  await register.getByRole('radio', { name: kind }).check();
  await register.getByLabel('Name').fill(name);
  await register.getByLabel('Purpose').fill(purpose);
  await register.getByLabel('Model and provider (agents)').fill(model ?? '');
  await register.getByLabel('Expires on').fill(new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10));
  await register.getByRole('checkbox', { name: 'Olivia Owner' }).check();
  await register.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText(`${name} is registered and active.`);
  const clientId = await page.getByTestId('detail-client-id').textContent();
  const secret = await page.getByTestId('client-secret').textContent();
  await page.getByRole('button', { name: 'I have copied it' }).click();
  return { clientId, secret };
}

async function fillStep(step, { name, kind, performer, owner, system, actions = [], fields = [], review = false }) {
  await step.getByLabel('Step name').fill(name);
  await step.getByLabel('Kind').selectOption({ label: kind });
  if (performer) await step.getByLabel('Performed by').selectOption({ label: performer });
  await step.getByLabel('Step owner').selectOption({ label: owner });
  if (system) await step.getByLabel(/connected system/).selectOption({ label: system });
  for (const action of actions) await step.getByRole('checkbox', { name: action }).check();
  for (const field of fields) await step.getByRole('checkbox', { name: new RegExp(`^${field} `) }).check();
  await step.getByLabel(/purposes/).fill('spring_offer');
  if (review) await step.getByRole('checkbox', { name: /A person reviews/ }).check();
}

async function requestToken(request, agent, scope) {
  return request.post(`${CONSOLE}/api/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: agent.clientId, client_secret: agent.secret, scope },
  });
}

test('an agent is registered, chained into an activated workflow, and loses its token when orphaned', async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  await signIn(page, 'priya', { next: '/identities' });
  await hydrated(page);

  await page.getByLabel('Email').fill('olivia.owner@example.test');
  await page.getByRole('textbox', { name: 'Name', exact: true }).last().fill('Olivia Owner');
  await page.getByRole('button', { name: 'Pre-register' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Olivia Owner can now be named as an owner.');

  await registerIdentity(page, {
    kind: 'Service account',
    name: 'story-crm-reader',
    purpose: 'Reads CRM contact fields for the spring offer.',
  });
  const agent = await registerIdentity(page, {
    kind: 'Agent',
    name: 'story-drafter',
    purpose: 'Drafts the spring offer email.',
    model: 'claude-sonnet-4.5 (Anthropic)',
  });
  expect(agent.secret).toMatch(/^cssec_[A-Za-z0-9_-]{43}$/);

  // The connected system the workflow reads from and publishes to.
  await page.goto('/systems');
  await hydrated(page);
  const systemForm = page.getByRole('form', { name: 'Register a connected system' });
  await systemForm.getByLabel('System name').fill('Story CRM');
  await systemForm.getByLabel('Kind').selectOption('crm');
  await systemForm.getByLabel('Base URL').fill(`http://127.0.0.1:${SANDBOX_PORT}`);
  await systemForm.getByLabel(/Data fields/).fill('email:contact\nfirst_name:contact\nincome:financial');
  await systemForm.getByRole('button', { name: 'Register system' }).click();
  await expect(page.getByTestId('system-outcome')).toContainText('Signing secret for Story CRM');
  const signingSecret = await page.getByTestId('signing-secret').textContent();
  await page.getByRole('button', { name: 'I have copied it' }).click();

  // Build the four-step chain.
  await page.goto('/workflows');
  await page.getByRole('link', { name: 'Define a workflow' }).click();
  await expect(page.getByRole('heading', { name: 'Define a workflow', level: 1 })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Story spring offer');
  await page.getByLabel('Purpose', { exact: true }).fill('Email the spring offer to customers who opted in.');
  const steps = page.getByTestId('step-editor');
  await fillStep(steps.nth(0), {
    name: 'Read CRM contacts', kind: 'Read customer data', performer: 'story-crm-reader (service account)',
    owner: 'Olivia Owner', system: 'Story CRM', actions: ['Read customer data'], fields: ['email', 'first_name'],
  });
  await page.getByRole('button', { name: 'Add a step' }).click();
  await fillStep(steps.nth(1), {
    name: 'Draft the email', kind: 'Draft content', performer: 'story-drafter (agent)',
    owner: 'Olivia Owner', actions: ['Submit drafts'], review: true,
  });
  await page.getByRole('button', { name: 'Add a step' }).click();
  await fillStep(steps.nth(2), {
    name: 'Approver review', kind: 'Human review', performer: 'Priya Nair', owner: 'Priya Nair', review: true,
  });
  await page.getByRole('button', { name: 'Add a step' }).click();
  await fillStep(steps.nth(3), {
    name: 'Publish to Story CRM', kind: 'Publish', owner: 'Priya Nair', system: 'Story CRM',
    actions: ['Publish (Countersign\'s publisher only)'],
  });
  await expect(steps.nth(3).getByLabel('Performed by')).toHaveValue('publisher');

  // Without a workflow owner the definition is refused and the form keeps what was typed.
  await page.getByRole('button', { name: 'Define the workflow' }).click();
  await expect(page.getByTestId('builder-outcome')).toContainText('owner: choose the person who owns the workflow');
  await page.getByLabel('Workflow owner').selectOption({ label: 'Priya Nair' });
  await page.getByRole('button', { name: 'Define the workflow' }).click();

  // The new workflow's own page says what was done.
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}\?defined=/);
  await hydrated(page);
  await expect(page.getByTestId('workflow-outcome')).toContainText('Story spring offer is defined as a draft (tier 2)');
  const workflowPath = new URL(page.url()).pathname;
  const card = page.getByTestId('workflow-card').filter({ hasText: 'Story spring offer' });
  await expect(card.getByRole('list', { name: 'Steps, in order' }).getByTestId('step')).toHaveCount(4);
  await expect(card).toContainText('Who: story-drafter');
  await expect(card).toContainText('Who: Countersign publisher');
  await expect(card.getByTestId('signoffs')).toHaveText('Each change needs: 1 approver + 1 legal reviewer');
  await expect(card).toContainText('Story CRM: no passing revocation drill');
  await expect(card.getByRole('button', { name: 'Activate' })).toBeDisabled();

  // The drill against the reference system makes the checklist pass.
  const sandbox = await startSandbox(signingSecret);
  try {
    const system = page.getByTestId('system-card').filter({ hasText: 'Story CRM' });
    await system.getByRole('button', { name: 'Run revocation drill' }).click();
    await expect(system.getByTestId('drill-status')).toContainText('Revocation drill passed');
    await expect(card).toContainText('Story CRM passed a revocation drill');
  } finally {
    sandbox.kill();
  }
  await card.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('workflow-outcome')).toHaveText('Story spring offer is active.');
  await expect(card.getByTestId('workflow-state')).toHaveText('active');
  await expect(page.getByTestId('privilege-row').filter({ hasText: 'story-crm-reader' })).toContainText('Story CRM: read (email, first_name)');

  // The agent gets a short-lived token for its own step, and for no other.
  const draftScope = await card.getByTestId('step').nth(1).getByTestId('step-scope').textContent();
  const readScope = await card.getByTestId('step').nth(0).getByTestId('step-scope').textContent();
  const issued = await requestToken(request, agent, draftScope);
  expect(issued.status()).toBe(200);
  const token = await issued.json();
  expect(token.token_type).toBe('Bearer');
  expect(token.expires_in).toBeLessThanOrEqual(900);
  const me = await request.get(`${CONSOLE}/api/v1/me`, { headers: { Authorization: `Bearer ${token.access_token}` } });
  expect((await me.json()).step.name).toBe('Draft the email');
  const wrongStep = await requestToken(request, agent, readScope);
  expect(wrongStep.status()).toBe(400);
  expect((await wrongStep.json()).error).toBe('invalid_scope');

  // Scope drift: widening the reader to financial data raises the tier, so the workflow waits for
  // review and its tokens stop working until a security admin approves and it is reactivated.
  const reader = card.getByTestId('step').nth(0);
  await reader.getByRole('button', { name: 'Change grant' }).click();
  await reader.getByRole('checkbox', { name: /^income / }).check();
  await reader.getByRole('button', { name: 'Save grant' }).click();
  await expect(page.getByTestId('workflow-outcome')).toContainText('Story spring offer needs review');
  await expect(card.getByTestId('workflow-state')).toHaveText('needs review');
  await expect(card.getByTestId('step').nth(0).getByTestId('awaiting-review')).toContainText('adds field income');
  await expect(card).toContainText('Tier 2');
  const paused = await request.get(`${CONSOLE}/api/v1/me`, { headers: { Authorization: `Bearer ${token.access_token}` } });
  expect(paused.status()).toBe(401);
  expect((await paused.json()).detail).toContain('needs review, not active');
  // Priya asked for the widening, so she cannot approve it: a second security admin must.
  await card.getByRole('group', { name: 'Scope drift awaiting review' }).getByLabel('Reason').fill('My own widening');
  await card.getByRole('button', { name: 'Approve widening' }).click();
  await expect(page.getByTestId('workflow-outcome')).toContainText('a second security admin must approve it');
  const sana = await (await browser.newContext()).newPage();
  await signIn(sana, 'sana', { base: CONSOLE, next: workflowPath });
  await hydrated(sana);
  const sanaCard = sana.getByTestId('workflow-card').filter({ hasText: 'Story spring offer' });
  await sanaCard.getByRole('group', { name: 'Scope drift awaiting review' }).getByLabel('Reason').fill('Finance campaign approved by the DPO');
  await sanaCard.getByRole('button', { name: 'Approve widening' }).click();
  await expect(sana.getByTestId('workflow-outcome')).toContainText('now tier 3');
  await page.reload();
  await hydrated(page);
  await expect(card.getByTestId('signoffs')).toHaveText('Each change needs: 2 approvers + 1 legal reviewer');
  await card.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('workflow-outcome')).toHaveText('Story spring offer is active.');
  const renewed = await requestToken(request, agent, draftScope);
  expect(renewed.status()).toBe(200);
  const current = await renewed.json();

  // Deactivating the owner orphans the agent: its token and its next request fail.
  await page.goto('/identities?q=story-');
  await hydrated(page);
  const olivia = page.getByTestId('person-row').filter({ hasText: 'Olivia Owner' });
  await olivia.getByRole('button', { name: 'Deactivate' }).click();
  await olivia.getByLabel('Reason').fill('left the company');
  await olivia.getByRole('button', { name: 'Confirm: deactivate' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Olivia Owner is now deactivated.');
  await expect(page.getByTestId('nhi-row').filter({ hasText: 'story-drafter' })).toContainText('Orphaned');
  await expect(page.getByTestId('nhi-row').filter({ hasText: 'story-crm-reader' })).toContainText('Reaches: Story CRM');

  const refused = await requestToken(request, agent, draftScope);
  expect(refused.status()).toBe(400);
  const error = await refused.json();
  expect(error.error).toBe('unauthorized_client');
  expect(error.error_description).toContain('no active human owner');
  const ended = await request.get(`${CONSOLE}/api/v1/me`, { headers: { Authorization: `Bearer ${current.access_token}` } });
  expect(ended.status()).toBe(401);
});
