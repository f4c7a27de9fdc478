// Conformance run: real OpenID Connect flows with the certified openid-client (v6) relying party
// against a running DataTrust in Development (demo clients and residents exist). The browser part
// (login form, consent, logout confirmation) is done with fetch and a small cookie jar, posting the
// forms with their anti-forgery tokens as a person's browser would.
//
//   DATATRUST_URL=http://127.0.0.1:5080 node run.mjs
//
// Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
import * as client from 'openid-client';
import assert from 'node:assert/strict';

const base = new URL(process.env.DATATRUST_URL ?? 'http://127.0.0.1:5080');
const redirectUri = 'http://127.0.0.1:8400/callback';
const postLogoutRedirectUri = 'http://127.0.0.1:8400/logged-out';
const resident = { email: 'hanako@example.jp', password: 'DataTrust-demo-2026' };
const insecure = { execute: [client.allowInsecureRequests] }; // loopback http in this test only

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok     ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAILED ${name}\n       ${error?.stack ?? error}`);
  }
}

// ---- a minimal browser: cookies, manual redirects, form posts -------------------------------------
class Browser {
  cookies = new Map();

  async request(url, init = {}) {
    const target = new URL(url, base);
    const headers = new Headers(init.headers ?? {});
    if (target.origin === base.origin && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    headers.set('accept', 'text/html');
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name); else this.cookies.set(name, value);
    }
    return response;
  }

  async postForm(url, fields) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows the service's redirects, signing in and consenting when asked, until it redirects out. */
  async authorize(url, { consent = 'allow' } = {}) {
    let response = await this.request(url);
    for (let hop = 0; hop < 15; hop++) {
      if (![301, 302, 303].includes(response.status)) {
        throw new Error(`authorization stopped at ${response.status}: ${(await response.text()).slice(0, 300)}`);
      }
      const location = new URL(response.headers.get('location'), base);
      if (location.origin !== base.origin) return location;
      if (location.pathname === '/account/login') {
        const page = await this.request(location);
        const form = parseForm(await page.text());
        response = await this.postForm(location, { ...form.hidden, Email: resident.email, Password: resident.password });
      } else if (location.pathname === '/connect/consent') {
        const page = await this.request(location);
        const form = parseForm(await page.text());
        response = await this.postForm(location, { ...form.hidden, decision: consent });
      } else {
        response = await this.request(location);
      }
    }
    throw new Error('too many redirects');
  }
}

function decode(text) {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The hidden inputs (anti-forgery token included) and action of the page's last form. */
function parseForm(html) {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  assert.ok(forms.length > 0, 'the page has a form');
  const [, attributes, body] = forms[forms.length - 1];
  const action = /action="([^"]*)"/i.exec(attributes)?.[1];
  const hidden = {};
  for (const [input] of body.matchAll(/<input\b[^>]*>/gi)) {
    if (!/type="hidden"/i.test(input)) continue;
    const name = /name="([^"]*)"/i.exec(input)?.[1];
    const value = /value="([^"]*)"/i.exec(input)?.[1] ?? '';
    if (name) hidden[decode(name)] = decode(value);
  }
  assert.ok(hidden.__RequestVerificationToken, 'the form carries an anti-forgery token');
  return { action: action ? decode(action) : undefined, hidden };
}

// ---- the flows ------------------------------------------------------------------------------------
const browser = new Browser();
const business = await client.discovery(base, 'demo-business', undefined, client.ClientSecretBasic('demo-business-secret'), insecure);
const cityApp = await client.discovery(base, 'demo-city-app', undefined, client.None(), insecure);
const provider = await client.discovery(base, 'demo-provider', undefined, client.ClientSecretBasic('demo-provider-secret'), insecure);
let businessTokens;
let idTokenClaims;

await check('discovery: issuer and endpoints as served', async () => {
  const metadata = business.serverMetadata();
  assert.equal(metadata.issuer, base.origin);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
});

await check('authorization code + PKCE through the login form and consent; ID token validated', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(business, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ui_locales: 'en',
  });
  const callback = await browser.authorize(url);
  businessTokens = await client.authorizationCodeGrant(business, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce });
  idTokenClaims = businessTokens.claims();
  assert.equal(idTokenClaims.iss, base.origin);
  assert.equal(idTokenClaims.aud, 'demo-business');
  assert.ok(idTokenClaims.sub && idTokenClaims.auth_time && idTokenClaims.sid);
  assert.equal(businessTokens.token_type.toLowerCase(), 'bearer');
  assert.ok(businessTokens.refresh_token);
});

await check('userinfo returns the claims of the granted scopes for the same subject', async () => {
  const userInfo = await client.fetchUserInfo(business, businessTokens.access_token, idTokenClaims.sub);
  assert.equal(userInfo.email, resident.email);
  assert.equal(userInfo.email_verified, true);
  assert.ok(userInfo.name);
});

await check('refresh token grant (confidential client)', async () => {
  const refreshed = await client.refreshTokenGrant(business, businessTokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.equal(refreshed.claims()?.sub, idTokenClaims.sub);
  businessTokens = { ...businessTokens, access_token: refreshed.access_token };
});

await check('introspection shows the access token active', async () => {
  const introspection = await client.tokenIntrospection(business, businessTokens.access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection.client_id, 'demo-business');
  assert.equal(introspection.sub, idTokenClaims.sub);
});

await check('revocation of the refresh token ends the grant\'s access tokens too', async () => {
  await client.tokenRevocation(business, businessTokens.refresh_token);
  assert.equal((await client.tokenIntrospection(business, businessTokens.refresh_token)).active, false);
  assert.equal((await client.tokenIntrospection(business, businessTokens.access_token)).active, false);
});

await check('client credentials grant and introspection by the same client', async () => {
  const tokens = await client.clientCredentialsGrant(provider);
  assert.ok(tokens.access_token);
  const introspection = await client.tokenIntrospection(provider, tokens.access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection.sub, 'demo-provider');
});

await check('PAR + DPoP for a public client: bound access token, userinfo with proof, rotated bound refresh', async () => {
  const DPoP = client.getDPoPHandle(cityApp, await client.randomDPoPKeyPair('ES256'));
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(cityApp, {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  }, { DPoP });
  assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
  const callback = await browser.authorize(url);
  const tokens = await client.authorizationCodeGrant(cityApp, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, idTokenExpected: true }, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  const sub = tokens.claims().sub;
  const userInfo = await client.fetchUserInfo(cityApp, tokens.access_token, sub, { DPoP });
  assert.equal(userInfo.sub, sub);
  const refreshed = await client.refreshTokenGrant(cityApp, tokens.refresh_token, undefined, { DPoP });
  assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  await assert.rejects(client.refreshTokenGrant(cityApp, tokens.refresh_token, undefined, { DPoP }), (error) => error.error === 'invalid_grant');
});

await check('prompt=none with a session and consent returns a code silently', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(business, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    prompt: 'none',
  });
  const callback = await browser.authorize(url, { consent: 'deny' });
  assert.ok(callback.searchParams.get('code'), `expected a code, got ${callback}`);
});

await check('RP-initiated logout: confirmation, sign-out, return with state', async () => {
  const url = client.buildEndSessionUrl(business, {
    id_token_hint: businessTokens.id_token,
    post_logout_redirect_uri: postLogoutRedirectUri,
    state: 'bye',
  });
  const page = await browser.request(url);
  assert.equal(page.status, 200);
  const form = parseForm(await page.text());
  const response = await browser.postForm(new URL(form.action, base), form.hidden);
  assert.equal(response.status, 303);
  assert.equal(response.headers.get('location'), `${postLogoutRedirectUri}?state=bye`);

  const codeVerifier = client.randomPKCECodeVerifier();
  const after = client.buildAuthorizationUrl(business, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    prompt: 'none',
  });
  const callback = await browser.authorize(after);
  assert.equal(callback.searchParams.get('error'), 'login_required');
});

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
