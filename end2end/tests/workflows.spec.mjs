import { test, expect } from '@playwright/test';
import { hydrated, DEMO_CONSOLE } from './helpers.mjs';

test('demo: the spring offer workflow cannot be activated until its system passes a drill', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fworkflows`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}/workflows`);
  await hydrated(page);

  const workflow = page.getByTestId('workflow-card').filter({ hasText: 'Spring offer email' });
  await expect(workflow).toContainText('Tier 2');
  await expect(workflow.getByRole('list', { name: 'Steps, in order' }).getByRole('listitem')).toHaveCount(4);
  await expect(workflow).toContainText('Who: crm-contact-reader');
  await expect(workflow).toContainText('Who: Countersign publisher');
  await expect(workflow).toContainText('Campaign Manager: no passing revocation drill');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toBeDisabled();

  const system = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await system.getByRole('button', { name: 'Run revocation drill' }).click();
  await expect(system.getByTestId('drill-status')).toContainText('Revocation drill passed');

  // The checklist follows the drill without a page load.
  await expect(workflow).toContainText('Campaign Manager passed a revocation drill');
  await workflow.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('workflow-outcome')).toHaveText('Spring offer email is active.');
  await expect(workflow).toContainText('active');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toHaveCount(0);
});

// Runs after the test above has activated the demo workflow (tests in a file run in order).
test('demo: a scripted agent gets a token, a decision and drafts; a person reads its provenance; its publish attempt is flagged', async ({ page, browser, request }) => {
  test.setTimeout(60_000);
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fidentities`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await hydrated(page);
  const drafter = page.getByTestId('nhi-row').filter({ hasText: 'spring-offer-drafter' });
  await drafter.getByRole('button', { name: 'New secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm: new secret' }).click();
  const clientId = await page.getByTestId('detail-client-id').textContent();
  const clientSecret = await page.getByTestId('client-secret').textContent();

  await page.goto(`${DEMO_CONSOLE}/workflows`);
  await hydrated(page);
  const workflow = page.getByTestId('workflow-card').filter({ hasText: 'Spring offer email' });
  await expect(workflow.getByTestId('workflow-state')).toHaveText('active');
  const scope = await workflow.getByTestId('step').nth(1).getByTestId('step-scope').textContent();

  // The agent, scripted: token → who am I → access decision → draft citing it.
  const tokenReply = await request.post(`${DEMO_CONSOLE}/api/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope },
  });
  expect(tokenReply.status()).toBe(200);
  const auth = { Authorization: `Bearer ${(await tokenReply.json()).access_token}` };
  const me = await (await request.get(`${DEMO_CONSOLE}/api/v1/me`, { headers: auth })).json();
  expect(me.step.name).toBe('Draft the offer email');
  const decisionReply = await request.post(`${DEMO_CONSOLE}/api/v1/access-decisions`, {
    headers: auth,
    data: { purpose: 'spring_offer', fields: ['first_name', 'region', 'email'], subjects: ['crm-1001', 'crm-1003', 'crm-9999'] },
  });
  expect(decisionReply.status()).toBe(200);
  const decision = await decisionReply.json();
  expect(decision.allowed_fields).toEqual(['first_name', 'region']);
  expect(decision.denied_fields).toEqual([{ field: 'email', reason: 'not_in_grant' }]);
  expect(decision.allowed_subjects).toEqual([{ subject: 'crm-1001', legal_basis: 'consent' }]);
  expect(decision.denied_subjects.map((s) => s.reason)).toEqual(['withdrawn', 'no_consent']);

  const draftReply = await request.post(`${DEMO_CONSOLE}/api/v1/drafts`, {
    headers: auth,
    data: {
      title: 'Spring offer: 20% off in your region',
      content: 'Hello {first_name}, spring has arrived in {region}: take 20% off until 30 April.',
      format: 'markdown',
      channel: 'email',
      audience: 'external',
      purpose: 'spring_offer',
      target: { system: me.workflow.publish_targets[0], reference: 'campaigns/spring-2027' },
      provenance: {
        model: 'claude-sonnet-4.5',
        model_version: '2026-09-01',
        prompt: 'Write a short spring offer email using the first name and region.',
        system_prompt: 'You write careful, factual marketing copy.',
        access_decisions: [decision.decision_id],
        fields_used: ['first_name', 'region'],
        data_sources: ['spring-2027 price sheet'],
        tool_calls: [{ name: 'price_lookup', input: { sku: 'SPRING27' }, output: { discount: 0.2 } }],
        raw_output: 'Hello {first_name}, spring has arrived in {region}: take 20% off until 30 April.',
      },
    },
  });
  expect(draftReply.status()).toBe(201);
  const change = await draftReply.json();
  expect(change.status).toBe('pending_review');
  expect(change.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  const status = await (await request.get(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}`, { headers: auth })).json();
  expect(status.status).toBe('pending_review');

  // Agents never publish: refused, and flagged for the security admin.
  const publish = await request.post(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}/publish`, { headers: auth, data: {} });
  expect(publish.status()).toBe(403);

  // An approver finds the draft and its provenance in the console.
  const approver = await (await browser.newContext()).newPage();
  await approver.goto(`${DEMO_CONSOLE}/signin?next=%2Fqueue`);
  await approver.getByRole('button', { name: /Amira Haddad/ }).click();
  await expect(approver).toHaveURL(`${DEMO_CONSOLE}/queue`);
  const row = approver.getByTestId('queue-row').filter({ hasText: 'Spring offer: 20% off in your region' });
  await expect(row).toContainText('spring-offer-drafter');
  await expect(row).toContainText('Tier 2');
  await row.getByRole('link').click();
  await expect(approver.getByRole('heading', { name: 'Spring offer: 20% off in your region', level: 1 })).toBeVisible();
  await expect(approver.getByTestId('change-content')).toContainText('take 20% off until 30 April');
  await expect(approver.getByTestId('content-hash')).toHaveText(change.content_hash);
  await expect(approver.getByTestId('drafted-by')).toHaveText('spring-offer-drafter');
  const provenance = approver.getByTestId('provenance');
  await expect(provenance.getByTestId('provenance-model')).toHaveText('claude-sonnet-4.5 (2026-09-01)');
  await expect(provenance.getByTestId('cited-decision')).toContainText('crm-1001 (consent)');
  await expect(provenance.getByTestId('cited-decision')).toContainText('crm-1003 (withdrawn)');
  await expect(provenance).toContainText('price_lookup');

  await page.goto(`${DEMO_CONSOLE}/audit`);
  await hydrated(page);
  const flagged = page.getByTestId('audit-row').filter({ has: page.getByTestId('abuse-signal') });
  await expect(flagged.first()).toContainText('spring-offer-drafter');
  await expect(flagged.first()).toContainText('authorization.denied');
});
