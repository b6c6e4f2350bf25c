// End-to-end tests: Debian's Chromium (never a downloaded browser) against the real `countersign`
// binary and a real OpenID Connect provider (`oidc-provider`), all on loopback.
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  IDP,
  CONSOLE,
  SHORT_SESSION_CONSOLE,
  REAUTH_CONSOLE,
  DEMO_CONSOLE,
  LIVING_DEMO_CONSOLE,
} from './tests/helpers.mjs';

const root = path.resolve(import.meta.dirname, '..');
// The console binary under test: `release` (what `scripts/test.sh` builds, as deployed) or
// `debug` (faster to build while developing).
const build = process.env.COUNTERSIGN_E2E_BUILD ?? 'debug';
if (!['debug', 'release'].includes(build)) {
  throw new Error(`COUNTERSIGN_E2E_BUILD must be debug or release, not ${build}`);
}
const binary = `${root}/target/${build}/countersign`;
if (!fs.existsSync(binary)) {
  throw new Error(`${binary} is missing: run cargo leptos build${build === 'release' ? ' --release' : ''} first`);
}
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'countersign-e2e-'));

function consoleServer(url, extraEnv) {
  const port = new URL(url).port;
  return {
    command: `${binary} serve`,
    url: `${url}/readyz`,
    cwd: root,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: {
      ...process.env,
      COUNTERSIGN_DATABASE_URL: `sqlite://${data}/console-${port}.db`,
      COUNTERSIGN_BIND: `127.0.0.1:${port}`,
      COUNTERSIGN_PUBLIC_URL: url,
      COUNTERSIGN_SITE_ROOT: `${root}/target/site`,
      COUNTERSIGN_SECRET_KEY_FILE: `${data}/console-${port}.key`,
      COUNTERSIGN_OIDC_ISSUER: IDP,
      COUNTERSIGN_OIDC_CLIENT_ID: 'countersign',
      COUNTERSIGN_OIDC_CLIENT_SECRET: 'e2e-client-secret',
      // The connected systems these tests register run on this machine.
      COUNTERSIGN_OUTBOUND_ALLOW: '127.0.0.0/8',
      // Checkpoints within the tests' patience, not a minute later.
      COUNTERSIGN_CHECKPOINT_INTERVAL: '2s',
      COUNTERSIGN_ROLE_MAP:
        'approver=mkt-approvers;legal=legal-team;security_admin=sec-admins;auditor=audit',
      RUST_LOG: process.env.E2E_RUST_LOG ?? 'warn',
      ...extraEnv,
    },
  };
}

function demoServer(url, name, extraEnv) {
  return {
    command: `${binary} serve --demo`,
    url: `${url}/readyz`,
    cwd: data,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: {
      ...process.env,
      COUNTERSIGN_DATABASE_URL: `sqlite://${data}/${name}.db`,
      COUNTERSIGN_BIND: `127.0.0.1:${new URL(url).port}`,
      COUNTERSIGN_PUBLIC_URL: url,
      COUNTERSIGN_SITE_ROOT: `${root}/target/site`,
      COUNTERSIGN_SECRET_KEY_FILE: `${data}/${name}.key`,
      COUNTERSIGN_CHECKPOINT_INTERVAL: '2s',
      RUST_LOG: process.env.E2E_RUST_LOG ?? 'warn',
      ...extraEnv,
    },
  };
}

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: CONSOLE,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: [
    {
      command: `node ${root}/end2end/idp/server.mjs`,
      url: `${IDP}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: false,
      env: { ...process.env, IDP_PORT: '4011', IDP_CONSOLE_URLS: `${CONSOLE},${SHORT_SESSION_CONSOLE},${REAUTH_CONSOLE}` },
    },
    consoleServer(CONSOLE, {}),
    consoleServer(SHORT_SESSION_CONSOLE, { COUNTERSIGN_SESSION_IDLE_TIMEOUT: '3s' }),
    // Dangerous actions need a sign-in within the last 10 s here (15 min by default).
    consoleServer(REAUTH_CONSOLE, { COUNTERSIGN_REAUTH_WINDOW: '10s' }),
    // Demo mode: personas instead of the IdP, seeded data, the reference system in-process.
    // These tests walk the demo from its bare start (drill, activate, draft by hand).
    demoServer(DEMO_CONSOLE, 'demo', { COUNTERSIGN_DEMO_STORY: 'false' }),
    // The living demo, exactly as `scripts/demo.sh` starts it: its story told at start-up.
    demoServer(LIVING_DEMO_CONSOLE, 'living-demo', {
      COUNTERSIGN_DEMO_SANDBOX_BIND: '127.0.0.1:4103',
      COUNTERSIGN_DEMO_AGENT_EVERY: 'off',
    }),
  ],
});
