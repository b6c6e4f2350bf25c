import { test, expect } from './fixtures.mjs';
import { hydrated, openWorkflow, DEMO_CONSOLE } from './helpers.mjs';

test('demo: the spring offer workflow cannot be activated until its system passes a drill', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fworkflows`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}/workflows`);
  await hydrated(page);

  // The list: a row per workflow, searched by name or purpose.
  const row = page.getByTestId('workflow-row').filter({ hasText: 'Spring offer email' });
  await expect(row).toContainText('Tier 2');
  await expect(row.getByTestId('workflow-state')).toHaveText('draft');
  await expect(page.getByTestId('pager')).toContainText('Page 1 of 1');
  const search = page.getByRole('search', { name: 'Search workflows' });
  await search.getByLabel('Name or purpose').fill('no such workflow');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=no\+such\+workflow/);
  await expect(page.getByRole('heading', { name: 'No workflows match' })).toBeVisible();
  await search.getByLabel('Name or purpose').fill('SPRING OFFER');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('workflow-row')).toHaveCount(1);
  await expect(page.getByTestId('pager')).toHaveText('Page 1 of 1 · 1 workflow');

  // The workflow's own page, at a stable URL.
  await page.getByTestId('workflow-row').getByRole('link', { name: 'Spring offer email', exact: true }).click();
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}$/);
  await hydrated(page);
  const workflow = page.getByTestId('workflow-card');
  await expect(workflow).toHaveCount(1);
  await expect(workflow).toContainText('Tier 2');
  await expect(workflow.getByRole('list', { name: 'Steps, in order' }).getByRole('listitem')).toHaveCount(4);
  await expect(workflow).toContainText('Who: crm-contact-reader');
  await expect(workflow).toContainText('Who: Countersign publisher');
  await expect(workflow).toContainText('Campaign Manager: no passing revocation drill');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toBeDisabled();
  await expect(page.getByTestId('workflow-changes')).toHaveAttribute('href', /\/queue\?view=all&workflow=/);

  // Its connected systems are on its page, with their drills.
  const system = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await system.getByRole('button', { name: 'Run revocation drill' }).click();
  await expect(system.getByTestId('drill-status')).toContainText('Revocation drill passed');

  // The checklist follows the drill without a page load.
  await expect(workflow).toContainText('Campaign Manager passed a revocation drill');
  await workflow.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByTestId('workflow-outcome')).toHaveText('Spring offer email is active.');
  await expect(workflow.getByTestId('workflow-state')).toHaveText('active');
  await expect(workflow.getByRole('button', { name: 'Activate' })).toHaveCount(0);
  // Its history: the activation, newest first, with who did it.
  await expect(page.getByTestId('history-entry').first()).toContainText('Activated');
  await expect(page.getByTestId('history-entry').first()).toContainText('Priya Nair');
  await page.reload();
  await expect(page.getByTestId('workflow-card')).toContainText('active');
  await expect(page.getByRole('link', { name: '← All workflows' })).toBeVisible();

  // Each identity it names links to a page of its own.
  await workflow.getByRole('link', { name: 'crm-contact-reader' }).click();
  await expect(page).toHaveURL(/\/identities\/[0-9a-f-]{36}$/);
  await hydrated(page);
  await expect(page.getByTestId('identity-name')).toHaveText('crm-contact-reader');
  await expect(page.getByTestId('identity-step')).toContainText('Spring offer email');
  await expect(page.getByTestId('in-force')).toContainText('Campaign Manager: read');
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

  await openWorkflow(page, 'Spring offer email', DEMO_CONSOLE);
  const workflow = page.getByTestId('workflow-card');
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
  await expect(approver.getByTestId('review-text')).toContainText('take 20% off until 30 April');
  await expect(approver.getByTestId('content-hash')).toHaveText(change.content_hash);
  await expect(approver.getByTestId('drafted-by')).toHaveText('spring-offer-drafter');

  // Who answers for the workflow is named to the approver too, who may not browse the people
  // registry: on the list, on the workflow's page and on each of its steps.
  const approverTab = await approver.context().newPage();
  await approverTab.goto(`${DEMO_CONSOLE}/workflows`);
  const listed = approverTab.getByTestId('workflow-row').filter({ hasText: 'Spring offer email' });
  await expect(listed).toContainText('Priya Nair');
  await listed.getByRole('link', { name: 'Spring offer email', exact: true }).click();
  await expect(approverTab).toHaveURL(/\/workflows\/[0-9a-f-]{36}$/);
  const card = approverTab.getByTestId('workflow-card');
  await expect(card).toContainText('Owner: Priya Nair');
  await expect(card).toContainText('Owner: Amira Haddad');
  await expect(card).not.toContainText('Owner: none');
  await approverTab.close();
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

// Runs after the tests above (the demo workflow is active).
test('demo: what the reviewer sees is what is published — exact source, every outbound URL, no remote media, a link-only change in the diff', async ({ page, browser, request }) => {
  test.setTimeout(60_000);
  const { clientId, clientSecret } = await newDrafterSecret(page);
  await openWorkflow(page, 'Spring offer email', DEMO_CONSOLE);
  // The system says where its content may point.
  const system = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await expect(system.getByTestId('content-hosts-list')).toHaveText('www.example.com, cdn.example.com');
  const scope = await page.getByTestId('workflow-card')
    .getByTestId('step').nth(1).getByTestId('step-scope').textContent();

  const token = await (await request.post(`${DEMO_CONSOLE}/api/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope },
  })).json();
  const auth = { Authorization: `Bearer ${token.access_token}` };
  const me = await (await request.get(`${DEMO_CONSOLE}/api/v1/me`, { headers: auth })).json();
  const decision = (await (await request.post(`${DEMO_CONSOLE}/api/v1/access-decisions`, {
    headers: auth, data: { purpose: 'spring_offer', fields: ['first_name'], subjects: ['crm-1001'] },
  })).json()).decision_id;
  const provenance = (raw) => ({
    model: 'claude-sonnet-4.5', model_version: '2026-09-01', prompt: 'Write the spring banner.',
    raw_output: raw, access_decisions: [decision], fields_used: ['first_name'], legal_bases: { [decision]: 'consent' },
  });
  const draft = (content) => ({
    title: 'Spring banner with a link', content, format: 'html', channel: 'web', audience: 'external',
    purpose: 'spring_offer', target: { system: me.workflow.publish_targets[0], reference: 'pages/spring-banner' },
    provenance: provenance(content),
  });

  // Hidden handlers and a tracking pixel are refused, each named.
  const bad = await request.post(`${DEMO_CONSOLE}/api/v1/drafts`, {
    headers: auth,
    data: draft('<p onclick="track()">Hi {first_name}</p><img src="https://pixel.tracker.example.net/o.gif">'),
  });
  expect(bad.status()).toBe(422);
  const problem = await bad.json();
  expect(problem.violations.map((v) => [v.element, v.attribute])).toEqual([['p', 'onclick'], ['img', 'src']]);

  // A clean draft comes back in its canonical form.
  const first = "<P>Hi {first_name}, see the <a href='https://www.example.com/spring'>spring range</a>.</P>"
    + '<img alt="Spring flowers" src="https://cdn.example.com/spring.png">';
  const drafted = await request.post(`${DEMO_CONSOLE}/api/v1/drafts`, { headers: auth, data: draft(first) });
  expect(drafted.status()).toBe(201);
  const change = await drafted.json();
  expect(change.content).toBe('<p>Hi {first_name}, see the <a href="https://www.example.com/spring">spring range</a>.</p>\n'
    + '<img alt="Spring flowers" src="https://cdn.example.com/spring.png">');
  // The next version changes nothing but where the link goes.
  const second = change.content.replace('/spring"', '/autumn"');
  const revised = await request.post(`${DEMO_CONSOLE}/api/v1/drafts/${change.change_id}/versions`, {
    headers: auth, data: { content: second, format: 'html', provenance: provenance(second) },
  });
  expect(revised.status()).toBe(201);

  const reviewer = await persona(browser, /Lukas Brandt/, `/changes/${change.change_id}`);
  await expect(reviewer.getByTestId('published-source')).toContainText('href="https://www.example.com/autumn"');
  const links = reviewer.getByTestId('outbound-link');
  await expect(links).toHaveCount(2);
  const link = links.filter({ hasText: 'spring range' });
  await expect(link.getByTestId('outbound-host')).toHaveText('www.example.com');
  await expect(link.getByTestId('outbound-url')).toHaveText('https://www.example.com/autumn');
  await expect(link).toHaveAttribute('data-changed', 'true');
  await expect(links.filter({ hasText: 'Spring flowers' }).getByTestId('outbound-host')).toHaveText('cdn.example.com');
  // The preview loads nothing remote: the image is named, not fetched.
  const preview = reviewer.getByTestId('rendered-preview');
  await expect(preview.locator('img')).toHaveCount(0);
  await expect(preview).toContainText('[image not loaded: https://cdn.example.com/spring.png]');
  // The diff shows the link-only change.
  await reviewer.getByTestId('version-diff').locator('summary').click();
  await expect(reviewer.getByTestId('version-diff').locator('[data-kind="removed"]')).toContainText('https://www.example.com/spring');
  await expect(reviewer.getByTestId('version-diff').locator('[data-kind="added"]')).toContainText('https://www.example.com/autumn');
  // Who may not sign, and why.
  await expect(reviewer.getByTestId('excluded-signer').first()).toBeVisible();
});

/** As Priya, issues the demo drafting agent a new client secret (shown once) and returns it. */
async function newDrafterSecret(page) {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fidentities`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await hydrated(page);
  const drafter = page.getByTestId('nhi-row').filter({ hasText: 'spring-offer-drafter' });
  await drafter.getByRole('button', { name: 'New secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm: new secret' }).click();
  const clientId = await page.getByTestId('detail-client-id').textContent();
  const clientSecret = await page.getByTestId('client-secret').textContent();
  await page.getByRole('button', { name: 'I have copied it' }).click();
  return { clientId, clientSecret };
}

/** Selects `words` inside the element with `testid` (a reviewer dragging over them). */
async function selectWords(page, testid, words) {
  await page.getByTestId(testid).evaluate((element, words) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const at = node.textContent.indexOf(words);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + words.length);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return;
      }
    }
    throw new Error(`"${words}" is not in the text`);
  }, words);
}

/** Signs in as a demo persona in a fresh browser context and opens `path`. */
async function persona(browser, name, path) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${DEMO_CONSOLE}/signin?next=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}${path}`);
  await hydrated(page);
  return page;
}

// Runs after the tests above (the demo workflow is active).
test('demo: the approval gate — claims marked and substantiated, separation of duties, a new version voids sign-offs, two roles count once, keyboard-only quorum', async ({ page, browser, request }) => {
  test.setTimeout(120_000);
  // A security admin gives the drafting agent a new secret and makes Amira its owner.
  const { clientId, clientSecret } = await newDrafterSecret(page);
  await page.getByRole('checkbox', { name: 'Select spring-offer-drafter' }).check();
  const reassign = page.getByRole('form', { name: /Reassign owners/ });
  await reassign.getByRole('checkbox', { name: 'Amira Haddad' }).check();
  await reassign.getByLabel('Reason').fill('Amira runs the spring campaign now');
  await reassign.getByRole('button', { name: 'Reassign owners' }).click();
  await expect(page.getByTestId('identity-outcome')).toHaveText('Owners changed for 1 identities.');
  await openWorkflow(page, 'Spring offer email', DEMO_CONSOLE);
  const scope = await page.getByTestId('workflow-card')
    .getByTestId('step').nth(1).getByTestId('step-scope').textContent();

  // The agent drafts, citing a decision and the legal basis it found, and brings a rollback plan.
  const token = await (await request.post(`${DEMO_CONSOLE}/api/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope },
  })).json();
  const auth = { Authorization: `Bearer ${token.access_token}` };
  const me = await (await request.get(`${DEMO_CONSOLE}/api/v1/me`, { headers: auth })).json();
  const decide = async () => (await (await request.post(`${DEMO_CONSOLE}/api/v1/access-decisions`, {
    headers: auth, data: { purpose: 'spring_offer', fields: ['first_name', 'region'], subjects: ['crm-1001'] },
  })).json()).decision_id;
  const provenance = (decision, raw) => ({
    model: 'claude-sonnet-4.5', model_version: '2026-09-01',
    prompt: 'Write the spring offer for opted-in customers.', raw_output: raw,
    access_decisions: [decision], fields_used: ['first_name', 'region'],
    legal_bases: { [decision]: 'consent' },
  });
  const first = 'Hello {first_name}, spring has arrived in {region}.\nTake 20% off every plan until 30 April.\nOur service is the most trusted in the region.';
  const decision = await decide();
  const drafted = await request.post(`${DEMO_CONSOLE}/api/v1/drafts`, {
    headers: auth,
    data: {
      title: 'Spring gate: 20% off', content: first, format: 'text', channel: 'email', audience: 'external',
      purpose: 'spring_offer', target: { system: me.workflow.publish_targets[0], reference: 'campaigns/spring-gate' },
      provenance: provenance(decision, first),
    },
  });
  expect(drafted.status()).toBe(201);
  const change = await drafted.json();
  expect(change.open_claims).toBe(2);
  const plan = await request.put(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}/rollback-plan`, {
    headers: auth, data: { steps: 'Unpublish the campaign; send nothing further.', first_publication: true },
  });
  expect(plan.status()).toBe(200);
  const path = `/changes/${change.change_id}`;

  // The queue shows it to a legal reviewer, with its evidence at a glance.
  const lukas = await persona(browser, /Lukas Brandt/, '/queue');
  const row = lukas.getByTestId('queue-row').filter({ hasText: 'Spring gate: 20% off' });
  await expect(row.getByTestId('evidence-badges')).toContainText('2 open claims');
  await expect(row.getByTestId('evidence-badges')).toContainText('✓ rollback plan');
  await expect(row.getByTestId('signoff-count')).toHaveText('0/2');
  await row.getByRole('link').click();
  await hydrated(lukas);
  await expect(lukas.getByTestId('claim-highlight')).toHaveCount(2);
  await expect(lukas.getByTestId('approve-blocked')).toBeVisible();
  await expect(lukas.getByTestId('submit-signoff')).toBeDisabled();

  // Lukas marks a claim by selecting words, then substantiates every claim.
  await selectWords(lukas, 'review-text', 'spring has arrived');
  await lukas.getByTestId('mark-claim').click();
  await expect(lukas.getByTestId('gate-message').first()).toContainText('Marked “spring has arrived” as a claim.');
  await expect(lukas.getByTestId('claim')).toHaveCount(3);
  const substantiate = async (reviewer) => {
    for (let n = 0; n < 10; n += 1) {
      const open = reviewer.getByTestId('claim').and(reviewer.locator('[data-status="open"]'));
      const before = await open.count();
      if (before === 0) return;
      await open.first().getByLabel('Evidence link or note').fill('https://intranet.example/brand/claims-2027');
      await open.first().getByTestId('save-claim').click();
      await expect(open).toHaveCount(before - 1);
    }
  };
  await substantiate(lukas);
  await expect(lukas.getByTestId('evidence-check').and(lukas.locator('[data-key="claims"]'))).toHaveAttribute('data-passed', 'true');

  // Amira owns the drafting agent: separation of duties keeps her out.
  const amira = await persona(browser, /Amira Haddad/, path);
  await expect(amira.getByTestId('cannot-sign')).toContainText('separation of duties: you own spring-offer-drafter');

  // Grace (approver and legal) approves with the keyboard only.
  const grace = await persona(browser, /Grace Okafor/, path);
  const keyboardApprove = async (reviewer) => {
    await reviewer.getByTestId('show-full').focus();
    await reviewer.keyboard.press('Enter');
    await reviewer.getByRole('radio', { name: 'Approver' }).focus();
    await reviewer.keyboard.press('Space');
    await reviewer.getByTestId('decision-approve').focus();
    await reviewer.keyboard.press('Space');
    await reviewer.getByTestId('submit-signoff').focus();
    await reviewer.keyboard.press('Enter');
  };
  await keyboardApprove(grace);
  await expect(grace.getByTestId('gate-message').last()).toContainText('1 of 2 approvals are in');
  await expect(grace.getByTestId('cannot-sign')).toContainText('you have signed off this version');
  await expect(grace.getByTestId('signoff-row')).toHaveCount(1);

  // A new version voids Grace's sign-off and finds its claims again.
  const second = 'Hello {first_name}, spring has arrived in {region}.\nTake up to 20% off selected plans until 30 April.';
  const revised = await request.post(`${DEMO_CONSOLE}/api/v1/drafts/${change.change_id}/versions`, {
    headers: auth, data: { content: second, format: 'text', provenance: provenance(await decide(), second) },
  });
  expect(revised.status()).toBe(201);
  await grace.reload();
  await hydrated(grace);
  await expect(grace.getByTestId('signoff-row')).toHaveAttribute('data-standing', 'voided by a new version');
  await expect(grace.getByTestId('version-diff')).toBeVisible();
  await grace.getByTestId('version-diff').locator('summary').click();
  await expect(grace.getByTestId('version-diff').locator('[data-kind="added"]')).toContainText('up to 20% off selected plans');
  await expect(grace.getByTestId('approve-blocked')).toBeVisible();

  // Lukas substantiates the new version's claim; Grace approves again, then Lukas completes the quorum.
  await lukas.reload();
  await hydrated(lukas);
  await substantiate(lukas);
  await grace.reload();
  await hydrated(grace);
  await keyboardApprove(grace);
  await expect(grace.getByTestId('gate-message').last()).toContainText('1 of 2 approvals are in');
  await lukas.reload();
  await hydrated(lukas);
  await lukas.getByTestId('decision-approve').check();
  await lukas.getByTestId('submit-signoff').click();
  await expect(lukas.getByTestId('gate-message').last()).toContainText('the change is approved');
  await expect(lukas.getByTestId('change-status')).toHaveAttribute('data-status', /^(approved|publishing|published)$/);
  // The console's publisher takes it from there; the agent follows the outcome.
  await expect.poll(async () => (await (await request.get(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}`, { headers: auth })).json()).status).toBe('published');
  const status = await (await request.get(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}`, { headers: auth })).json();
  expect(status.reviews.map((r) => `${r.version}:${r.role}:${r.decision}`)).toEqual(['1:approver:approve', '2:approver:approve', '2:legal:approve']);

  // The security admin sees how each reviewer reviewed.
  await page.goto(`${DEMO_CONSOLE}/review-quality`);
  await hydrated(page);
  await expect(page.getByTestId('reviewer-row').filter({ hasText: 'Grace Okafor' })).toContainText('2 (2 approvals)');
  await expect(page.getByTestId('reviewer-row').filter({ hasText: 'Lukas Brandt' })).toContainText('1 (1 approvals)');

  // The reference system received the publication exactly once, with the signed bytes.
  const publish = status.deliveries.find((d) => d.kind === 'publish');
  expect(publish.state).toBe('delivered');
  const sandbox = await (await request.get('http://127.0.0.1:4100/countersign/log')).json();
  expect(sandbox.applied.filter((key) => key === publish.id)).toHaveLength(1);
  expect(sandbox.received.filter((key) => key === publish.id)).toHaveLength(1);
  await lukas.reload();
  await hydrated(lukas);
  await expect(lukas.getByTestId('publication-headline')).toHaveText('Published.');
  await expect(lukas.getByTestId('live-version')).toHaveText(status.publication.version);

  // An approver rolls it back, with a reason; the receipt appears on the page.
  await amira.goto(`${DEMO_CONSOLE}${path}`);
  await hydrated(amira);
  await amira.getByRole('button', { name: 'Roll back…' }).click();
  await amira.getByLabel('Why (recorded with the rollback)').fill('The discount ends a week earlier than the copy says.');
  await amira.getByRole('button', { name: 'Roll back now' }).click();
  await expect(amira.getByTestId('rollback-outcome')).toContainText('Rollback requested');
  await expect(amira.getByTestId('change-status')).toHaveAttribute('data-status', 'rolled_back', { timeout: 15_000 });
  const rolledBack = amira.getByTestId('delivery').and(amira.locator('[data-kind="rollback"]'));
  await expect(rolledBack).toHaveAttribute('data-state', 'delivered');
  await expect(rolledBack.getByTestId('receipt-id')).toHaveText(/^rcpt_/);
  await expect(rolledBack).toContainText('The discount ends a week earlier');
  await amira.screenshot({ path: 'test-results/change-rolled-back.png', fullPage: true });

  // A security admin pulls the kill switch: one confirmation, a required reason.
  await openWorkflow(page, 'Spring offer email', DEMO_CONSOLE);
  const card = page.getByTestId('workflow-card');
  await card.getByRole('button', { name: 'Revoke workflow…' }).click();
  const dialog = card.getByRole('alertdialog');
  await expect(dialog).toContainText('every credential issued for it stops working');
  await dialog.getByLabel(/Why/).fill('The agent produced unapproved claims.');
  await dialog.getByRole('button', { name: 'Revoke everywhere' }).click();
  await expect(page.getByTestId('workflow-outcome')).toContainText('Revoked.');
  // The agent's very next call is refused.
  const refused = await request.get(`${DEMO_CONSOLE}/api/v1/changes/${change.change_id}`, { headers: auth });
  expect(refused.status()).toBe(401);
  // Each connected system's revoke receipt is shown as it arrives, then the time it all took.
  const revocation = card.getByTestId('revocation');
  await expect(revocation.getByTestId('revocation-headline')).toHaveAttribute('data-complete', 'true', { timeout: 15_000 });
  await expect(revocation.getByTestId('revocation-headline')).toContainText(/every system confirmed \(1 of 1\) in \d+(\.\d)? (ms|s)/);
  await expect(revocation.getByTestId('delivery').getByTestId('receipt-id')).toHaveText(/^rcpt_/);
  await expect(card.getByTestId('workflow-state')).toHaveText('revoked');
  await expect(card.getByRole('button', { name: 'Revoke workflow…' })).toHaveCount(0);
  await page.screenshot({ path: 'test-results/workflow-revoked.png', fullPage: true });
  const afterRevoke = await (await request.get('http://127.0.0.1:4100/countersign/log')).json();
  expect(afterRevoke.applied.filter((key) => key === publish.id)).toHaveLength(1);
});

// Runs after the kill switch above: the demo workflow is revoked.
test('demo: a call a system refuses lands in Deliveries, where a security admin retries it; a revoked workflow is cloned into a draft', async ({ page }) => {
  await page.goto(`${DEMO_CONSOLE}/signin?next=%2Fsystems`);
  await page.getByRole('button', { name: /Priya Nair/ }).click();
  await expect(page).toHaveURL(`${DEMO_CONSOLE}/systems`);
  await hydrated(page);
  // The system's secret is rotated but the system keeps the old one: it will refuse our calls.
  const system = page.getByTestId('system-card').filter({ hasText: 'Campaign Manager' });
  await system.getByRole('button', { name: 'Rotate secret' }).click();
  await system.getByLabel('Reason').fill('rotated without telling the system');
  await system.getByRole('button', { name: 'Confirm: rotate' }).click();
  await expect(page.getByTestId('system-outcome')).toContainText('Signing secret for Campaign Manager (version 2)');

  // The revoked workflow comes back as a new draft, with its own steps, on a page of its own.
  await openWorkflow(page, 'Spring offer email', DEMO_CONSOLE);
  const revoked = page.getByTestId('workflow-card');
  await expect(revoked.getByTestId('workflow-state')).toHaveText('revoked');
  const revokedUrl = page.url();
  await revoked.getByLabel('Name of the new draft').fill('Spring offer email 2027');
  await revoked.getByRole('button', { name: 'Clone into a new draft' }).click();
  await expect(page.getByTestId('workflow-outcome')).toContainText('Cloned into the draft “Spring offer email 2027”');
  expect(page.url()).not.toBe(revokedUrl);
  const clone = page.getByTestId('workflow-card');
  await expect(clone).toContainText('Spring offer email 2027');
  await expect(clone.getByTestId('workflow-state')).toHaveText('draft');
  await hydrated(page);

  // Revoking the draft tells the system, which refuses the call (401): it fails for good.
  await clone.getByRole('button', { name: 'Revoke workflow…' }).click();
  await clone.getByRole('alertdialog').getByLabel(/Why/).fill('Abandoned before it ran.');
  await clone.getByRole('button', { name: 'Revoke everywhere' }).click();
  await expect(page.getByTestId('workflow-outcome')).toContainText('Revoked.');
  await expect(clone.getByTestId('delivery-error')).toContainText('401', { timeout: 15_000 });
  await expect(clone.getByTestId('revocation-headline')).toContainText('Revocation incomplete: 0 of 1 systems confirmed; 1 refused for good');

  await page.getByRole('link', { name: 'Deliveries' }).click();
  await hydrated(page);
  const failed = page.getByTestId('delivery').and(page.locator('[data-state="dead"]'));
  await expect(failed).toHaveCount(1);
  await expect(failed).toContainText('revoke → Campaign Manager');
  await expect(failed.getByTestId('delivery-error')).toContainText('Signature does not verify');
  await page.screenshot({ path: 'test-results/deliveries.png', fullPage: true });
  await failed.getByRole('button', { name: 'Retry delivery' }).click();
  await expect(page.getByTestId('delivery-outcome')).toContainText('The revoke call is queued again');
});
