import { test, expect } from './fixtures.mjs';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hydrated, openWorkflow, LIVING_DEMO_CONSOLE } from './helpers.mjs';

const root = path.resolve(import.meta.dirname, '../..');

/** Signs in as a persona of the living demo in a fresh browser context and opens `path`. */
async function as(browser, name, path) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${LIVING_DEMO_CONSOLE}/signin?next=${encodeURIComponent(path)}`);
  await page.getByRole('button', { name }).click();
  await expect(page).toHaveURL(`${LIVING_DEMO_CONSOLE}${path}`);
  await hydrated(page);
  return page;
}

/** Reloads until `locator` shows (the story is told just after the console starts). */
async function eventually(page, locator) {
  await expect(async () => {
    await page.reload();
    await expect(locator.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test('the living demo: every persona signs in to work waiting, told through the service layer and the agent API', async ({ browser }) => {
  test.setTimeout(90_000);

  // The approver: a change with complete evidence waiting only for an approver, and the
  // discount still waiting for legal.
  const amira = await as(browser, /Amira Haddad/, '/queue');
  const rows = amira.getByTestId('queue-row');
  await eventually(amira, rows.filter({ hasText: 'the new garden range' }));
  const ready = rows.filter({ hasText: 'the new garden range' });
  await expect(ready.getByTestId('signoff-count')).toHaveText('1/2');
  await expect(ready.getByTestId('evidence-badges')).toContainText('✓ rollback plan');
  await expect(rows.filter({ hasText: '20% off in your region' }).getByTestId('evidence-badges')).toContainText('1 open claim');
  // The change sent back was answered by a new version and waits again.
  await expect(rows.filter({ hasText: 'weekend opening' })).toBeVisible();

  // The home page says what to try, the signed-in persona first.
  await amira.goto(`${LIVING_DEMO_CONSOLE}/`);
  await hydrated(amira);
  await expect(amira.getByTestId('demo-tip').first()).toHaveAttribute('data-persona', 'amira');
  await expect(amira.getByTestId('demo-tip')).toHaveCount(7);

  // The legal reviewer: the discount claim to judge.
  const lukas = await as(browser, /Lukas Brandt/, '/queue');
  await expect(lukas.getByTestId('queue-row').filter({ hasText: '20% off in your region' })).toBeVisible();

  // The approver with two roles has work too.
  const grace = await as(browser, /Grace Okafor/, '/queue');
  await expect(grace.getByTestId('queue-row').first()).toBeVisible();

  // The security admin: a widening Sana asked for, and an orphaned agent to reassign.
  const priya = await as(browser, /Priya Nair/, '/workflows?state=needs_review');
  await expect(priya.getByTestId('workflow-row').filter({ hasText: 'Win-back SMS' })).toContainText('widening awaits review');
  await openWorkflow(priya, 'Win-back SMS', LIVING_DEMO_CONSOLE);
  const winback = priya.getByTestId('workflow-card');
  await expect(winback.getByTestId('workflow-state')).toHaveText('needs review');
  await expect(winback.getByTestId('awaiting-review')).toContainText('infer');
  await expect(winback.getByRole('button', { name: 'Approve widening' })).toBeVisible();
  await priya.goto(`${LIVING_DEMO_CONSOLE}/identities?orphaned=1`);
  await hydrated(priya);
  await expect(priya.getByTestId('nhi-row').filter({ hasText: 'legacy-segment-agent' })).toContainText('Orphaned');

  // The directory, connected over SCIM: a contractor left, and the agent she owned needs an owner.
  // The directory's sync ends the story told at start-up: wait for it, not for time.
  await expect(async () => {
    await priya.goto(`${LIVING_DEMO_CONSOLE}/directory`);
    await expect(priya.getByTestId('directory-orphan').filter({ hasText: 'spring-variants-drafter' }))
      .toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await hydrated(priya);
  await expect(priya.getByTestId('directory-change').filter({ hasText: 'Mei Chen' }).first())
    .toContainText('orphaned: spring-variants-drafter');
  await expect(priya.getByTestId('directory-outside').filter({ hasText: 'Priya Nair' })).toBeVisible();
  await priya.screenshot({ path: 'test-results/living-demo-directory.png', fullPage: true });

  // The second security admin sees the widening she asked for, waiting for someone else.
  const sana = await as(browser, /Sana Iqbal/, '/workflows');
  await openWorkflow(sana, 'Win-back SMS', LIVING_DEMO_CONSOLE);
  const hers = sana.getByTestId('workflow-card');
  await expect(hers.getByTestId('workflow-state')).toHaveText('needs review');
  await hers.getByRole('group', { name: 'Scope drift awaiting review' }).getByLabel('Reason').fill('My own widening');
  await hers.getByRole('button', { name: 'Approve widening' }).click();
  await expect(sana.getByTestId('workflow-outcome')).toContainText('a second security admin must approve it');

  // The auditor: the ledger verifies, and it holds the agent's drafts as the agent's own
  // events — alongside a publication and a rollback on the reference system.
  const tomasz = await as(browser, /Tomasz Wójcik/, '/audit');
  await tomasz.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(tomasz.getByTestId('verify-result')).toContainText('Ledger intact');
  const drafted = tomasz.getByTestId('audit-row').filter({ hasText: 'change.drafted' });
  await expect(drafted.first()).toContainText('spring-offer-drafter');
  await expect(drafted.first()).not.toContainText('Countersign');
  // Counted in the ledger filtered by action: other tests' events (searches, sign-ins) can push
  // the story's from the first page of the unfiltered view.
  await tomasz.goto(`${LIVING_DEMO_CONSOLE}/audit?action=change.rolled_back`);
  await expect(tomasz.getByTestId('audit-row').filter({ hasText: 'change.rolled_back' })).toHaveCount(1);
  await tomasz.goto(`${LIVING_DEMO_CONSOLE}/audit?action=change.published`);
  await expect(tomasz.getByTestId('audit-row').filter({ hasText: 'change.published' })).toHaveCount(3);
});

test('an auditor downloads a published change\'s evidence pack and the offline verifier accepts it', async ({ browser }) => {
  const tomasz = await as(browser, /Tomasz Wójcik/, '/audit');
  const key = await tomasz.getByLabel('Public key (give it to auditors and witnesses)').inputValue();
  // The story publishes a change just after start-up; wait for its event, not for time.
  const published = tomasz.getByTestId('audit-row').filter({ hasText: 'change.published' });
  await eventually(tomasz, published);
  const subject = (await published.first().locator('td').nth(4).getByRole('link', { name: /^change:/ }).innerText()).trim();
  expect(subject).toMatch(/^change:/);
  await tomasz.goto(`${LIVING_DEMO_CONSOLE}/changes/${subject.slice('change:'.length)}`);
  await hydrated(tomasz);

  const download = tomasz.waitForEvent('download');
  await tomasz.getByTestId('download-evidence').click();
  const pack = await download;
  expect(pack.suggestedFilename()).toMatch(/^countersign-evidence-change-.+\.tar$/);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'countersign-pack-')), pack.suggestedFilename());
  await pack.saveAs(file);

  // The verifier is its own small binary: no network, no database, only the pack and the key.
  const verifier = `${root}/target/debug/countersign-verify`;
  const verdict = execFileSync(verifier, [file, '--key', key], { encoding: 'utf8' });
  expect(verdict).toContain('ok   quorum');
  expect(verdict).toContain('ok   published content');
  expect(verdict).toMatch(/VERIFIED: .* is what the log key signed/);

  // A byte changed anywhere in what the ledger proves is caught, and the exit code says so.
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.from('"action\\":\\"change.published'));
  expect(at).toBeGreaterThan(0);
  bytes[at + 12] = bytes[at + 12] ^ 1;
  fs.writeFileSync(file, bytes);
  let failed;
  try {
    execFileSync(verifier, [file, '--key', key], { encoding: 'utf8' });
  } catch (error) {
    failed = error;
  }
  expect(failed?.status).toBe(1);
  expect(failed.stdout).toContain('NOT VERIFIED');

  // A reviewer sees the change but not the pack: it carries customers' identifiers.
  const amira = await as(browser, /Amira Haddad/, `/changes/${subject.slice('change:'.length)}`);
  await expect(amira.getByTestId('change-status')).toBeVisible();
  await expect(amira.getByTestId('download-evidence')).toHaveCount(0);
});
