// A real OpenID Connect provider for the end-to-end tests: the OpenID-certified `oidc-provider`,
// with a small username/password form in place of its development interactions (which accept
// anyone). Users and their groups are fixed test data.
import crypto from 'node:crypto';
import http from 'node:http';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT ?? 4011);
const issuer = `http://127.0.0.1:${port}`;
const consoles = (process.env.IDP_CONSOLE_URLS ?? 'http://127.0.0.1:3100').split(',');

export const PASSWORD = 'correct horse battery staple';
const users = {
  amira: { name: 'Amira Haddad', email: 'amira@example.test', groups: ['mkt-approvers', 'all-staff'] },
  lukas: { name: 'Lukas Brandt', email: 'lukas@example.test', groups: ['legal-team'] },
  priya: { name: 'Priya Nair', email: 'priya@example.test', groups: ['sec-admins'] },
  sana: { name: 'Sana Iqbal', email: 'sana@example.test', groups: ['sec-admins'] },
  tomasz: { name: 'Tomasz Wójcik', email: 'tomasz@example.test', groups: ['audit'] },
  grace: { name: 'Grace Okafor', email: 'grace@example.test', groups: ['mkt-approvers', 'legal-team'] },
  noah: { name: 'Noah Berg', email: 'noah@example.test', groups: ['all-staff'] },
  // An address this IdP has not verified.
  ines: { name: 'Ines Ortega', email: 'ines@example.test', groups: ['mkt-approvers'], unverified: true },
};

/** A fresh signing key set: each provider instance signs with its own key. */
function newKeys() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' }] };
}

const makeProvider = (jwks) => new Provider(issuer, {
  jwks,
  clients: [
    {
      client_id: 'countersign',
      client_secret: process.env.IDP_CLIENT_SECRET ?? 'e2e-client-secret',
      redirect_uris: consoles.map((c) => `${c}/auth/callback`),
      post_logout_redirect_uris: consoles.map((c) => `${c}/signin?signed_out=1`),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      // The first console hears, server to server, when a person signs out here.
      backchannel_logout_uri: `${consoles[0]}/auth/backchannel-logout`,
      backchannel_logout_session_required: false,
    },
  ],
  pkce: { required: () => true },
  // The provider refuses to call loopback addresses (its own SSRF guard); the consoles under
  // test live there, so back-channel logout calls go through a plain fetch.
  fetch: (url, options) => fetch(url, { ...options, dispatcher: undefined }),
  conformIdTokenClaims: false,
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['countersign-e2e-cookie-key'] },
  async findAccount(_ctx, sub) {
    const user = users[sub];
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: user.name, email: user.email, email_verified: !user.unverified, groups: user.groups };
      },
    };
  },
  // First-party console: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['name', 'email', 'email_verified', 'groups']);
    await grant.save();
    return grant;
  },
});

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">${body}</body></html>`;
}

function loginForm(uid, error) {
  return page(
    'Test IdP sign-in',
    `<h1>Test identity provider</h1>
${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username"></p>
  <p><label for="password">Password</label><br><input id="password" name="password" type="password"></p>
  <p><button type="submit">Sign in</button></p>
</form>`,
  );
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// The provider swallows back-channel delivery failures; say them, so a failing test shows why.
function started(instance) {
  instance.on('backchannel.error', (_ctx, error, clientId) =>
    console.error(`back-channel logout failed: ${error.message} (${error.cause?.message ?? error.cause ?? "no cause"})`),
  );
  return instance;
}
let provider = started(makeProvider(newKeys()));
let callback = provider.callback();
const server = http.createServer(async (req, res) => {
  // Test control: sign with a new key from now on (as an IdP rotating its keys would).
  if (req.method === 'POST' && req.url === '/test/rotate-keys') {
    provider = started(makeProvider(newKeys()));
    callback = provider.callback();
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('keys rotated');
  }
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(req.url ?? '');
  if (!match) return callback(req, res);
  try {
    const [, uid, login] = match;
    await provider.interactionDetails(req, res);
    if (!login) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginForm(uid));
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    if (!users[username] || form.get('password') !== PASSWORD) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginForm(uid, 'Wrong username or password.'));
    }
    await provider.interactionFinished(req, res, { login: { accountId: username } }, {
      mergeWithLastSubmission: false,
    });
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${error.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`test IdP listening at ${issuer}`);
});
