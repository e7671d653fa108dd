// Smoke check of a running test provider (provider.mjs) and of check-token.mjs.
//
//   OIDC_ISSUER=https://127.0.0.2:18443 OIDC_CA=/path/root.pem OIDC_STATE_DIR=/path/state \
//   PERSONAS=tests/operator/personas.json node tests/operator/oidc/smoke.mjs
//
// OIDC_CA is the PEM of the root that issued the provider's certificate. The expiry check waits
// for the access token to expire, so start the provider with a short OIDC_ACCESS_TOKEN_TTL
// (selftest.sh uses 2 s); with a lifetime over 15 s that check is skipped.
//
// Uses only node: built-ins, like a client would: no browser, no JavaScript on the pages.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const need = (name) => process.env[name] || (console.error(`smoke.mjs: set ${name}`), process.exit(2));
const ISSUER = need('OIDC_ISSUER');
const CA = fs.readFileSync(need('OIDC_CA'));
const JWKS = path.join(need('OIDC_STATE_DIR'), 'jwks.json');
const PERSONAS_PATH = need('PERSONAS');
const PERSONAS = JSON.parse(fs.readFileSync(PERSONAS_PATH, 'utf8'));
const CHECK_TOKEN = path.join(HERE, 'check-token.mjs');
// Any port: the provider accepts any port on a registered loopback redirect URI. Nothing
// listens there; the scripted login stops at the redirect that points at it.
const REDIRECT_URI = 'http://127.0.0.1:53682/callback';
const person = (id) => PERSONAS.people.find((p) => p.id === id);

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? ` — ${detail}` : ''}`);
  if (!ok) failures += 1;
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTPS client with a cookie jar. One host only, so paths and domains are ignored.

const agent = new https.Agent({ ca: CA, keepAlive: true });
const jar = new Map();

function storeCookies(setCookie = []) {
  for (const line of setCookie) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expires = attrs.map((a) => a.trim()).find((a) => /^expires=/i.test(a));
    const gone = !value || (expires && Date.parse(expires.slice(8)) < Date.now());
    if (gone) jar.delete(name); else jar.set(name, value);
  }
}

function request(method, url, { form, headers = {} } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method,
      agent,
      headers: {
        Accept: 'application/json, text/html',
        ...(cookie ? { Cookie: cookie } : {}),
        ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        storeCookies(res.headers['set-cookie']);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { /* HTML */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Follows redirects with the jar until a page is shown or a redirect points at the client.
async function follow(response, base, redirectUri = REDIRECT_URI) {
  let res = response;
  let url = base;
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i += 1) {
    const next = new URL(res.headers.location, url).href;
    if (next.startsWith(redirectUri)) return { redirect: new URL(next) };
    url = next;
    res = await request('GET', url);
  }
  return { res, url };
}

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
const claimsOf = (jwt) => b64json(jwt.split('.')[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function checkToken(token, box, issuer = ISSUER) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-smoke-'));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const r = spawnSync(process.execPath, [CHECK_TOKEN, JWKS, PERSONAS_PATH, issuer, box, file], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

// ---------------------------------------------------------------------------------------------

const discovery = (await request('GET', `${ISSUER}/.well-known/openid-configuration`)).json;
check(discovery?.issuer === ISSUER, 'discovery: issuer', discovery?.issuer);
check(discovery.code_challenge_methods_supported?.includes('S256'), 'discovery: PKCE S256');
check(discovery.acr_values_supported?.includes('eidas1'), 'discovery: acr eidas1');
for (const ep of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint',
  'introspection_endpoint', 'backchannel_authentication_endpoint', 'jwks_uri']) {
  check(typeof discovery[ep] === 'string', `discovery: ${ep}`);
}
const jwksFile = JSON.parse(fs.readFileSync(JWKS, 'utf8'));
const jwksServed = (await request('GET', discovery.jwks_uri)).json;
check(jwksFile.keys[0].kid === jwksServed.keys[0].kid && !('d' in jwksFile.keys[0]),
  'jwks.json: public key of the provider, no private part');

function authorizeUrl(extra = {}) {
  const u = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({
    client_id: 'relais', response_type: 'code', scope: 'openid scope_all', redirect_uri: REDIRECT_URI,
    acr_values: 'eidas1', ...extra,
  })) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

// --- PKCE is required
{
  const { redirect } = await follow(await request('GET', authorizeUrl({ state: 's0' })), ISSUER);
  check(redirect?.searchParams.get('error') === 'invalid_request', 'authorize without PKCE is refused',
    redirect?.href);
}

// --- Scripted login (code flow + PKCE) for marie.martin
const marie = person('marie.martin');
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.hash('sha256', verifier, 'base64url');
const state = crypto.randomBytes(8).toString('hex');
const nonce = crypto.randomBytes(8).toString('hex');
jar.clear();
let { res: loginPage, url: loginUrl } = await follow(await request('GET', authorizeUrl({
  state, nonce, code_challenge: challenge, code_challenge_method: 'S256', login_hint: 'marie.martin',
})), ISSUER);
check(loginPage?.status === 200 && /Connexion avec e-CPS/.test(loginPage.text), 'login page shown', loginPage?.status);
const action = /<form[^>]*action="([^"]+)"/.exec(loginPage.text)?.[1];
check(/^\/interaction\/[A-Za-z0-9_-]+\/login$/.test(action ?? ''), `form action ${action}`);
check(new RegExp(`<option value="${marie.national_id}" selected>`).test(loginPage.text), 'login_hint pre-selects the persona');
const actionUrl = new URL(action, loginUrl).href;

const wrong = await request('POST', actionUrl, { form: { login: marie.national_id, pin: '0000' } });
check(wrong.status === 403 && /Code PIN incorrect/.test(wrong.text), 'wrong PIN re-shows the form with an error', wrong.status);

const { redirect } = await follow(
  await request('POST', actionUrl, { form: { login: marie.national_id, pin: PERSONAS.ecps_pin } }), actionUrl);
check(redirect?.searchParams.get('state') === state && redirect.searchParams.has('code'), 'redirected to the client with code and state');

const tokenRes = await request('POST', discovery.token_endpoint, {
  form: {
    grant_type: 'authorization_code', code: redirect.searchParams.get('code'), redirect_uri: REDIRECT_URI,
    client_id: 'relais', code_verifier: verifier,
  },
});
const tokens = tokenRes.json ?? {};
check(tokenRes.status === 200 && tokens.access_token && tokens.refresh_token && tokens.id_token,
  'code exchanged for access, refresh and ID tokens', tokenRes.text);

const at = claimsOf(tokens.access_token);
const idt = claimsOf(tokens.id_token);
const atHeader = b64json(tokens.access_token.split('.')[0]);
check(atHeader.typ === 'at+jwt' && atHeader.alg === 'RS256' && atHeader.kid === jwksFile.keys[0].kid, 'access token is an RS256 at+jwt');
check(at.iss === ISSUER && at.sub === marie.national_id && at.SubjectNameID === marie.national_id
  && at.client_id === 'relais' && at.scope === 'openid scope_all' && at.exp > at.iat,
  'access token claims: iss sub SubjectNameID client_id scope exp', JSON.stringify(at));
check(idt.acr === 'eidas1' && idt.nonce === nonce && idt.sub === marie.national_id, 'ID token: acr eidas1, nonce, sub');
check(idt.SubjectNameID === marie.national_id && idt.preferred_username === 'marie.martin'
  && idt.given_name === 'Marie' && idt.family_name === 'MARTIN'
  && idt.SubjectRefPro?.exercices?.[0]?.libelleProfession === 'Secrétaire médicale',
  'ID token: PSC-like person claims', JSON.stringify(idt));
// No `email` claim unless the provider was started with OIDC_EMAIL_CLAIM=1 (then the own box).
if (process.env.OIDC_EMAIL_CLAIM === '1') {
  check(idt.email === marie.box, 'ID token: email claim (OIDC_EMAIL_CLAIM=1)', JSON.stringify(idt));
} else {
  check(!('email' in idt), 'ID token: no email claim, as Pro Santé Connect', JSON.stringify(idt));
}

const me = await request('GET', discovery.userinfo_endpoint, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
check(me.status === 200 && me.json?.sub === marie.national_id && me.json?.SubjectRefPro, 'userinfo accepts the JWT access token', me.text);

let r = checkToken(tokens.access_token, 'marie.martin@ch-demo.mssante.fr');
check(r.status === 0 && r.out === `person=marie.martin national_id=${marie.national_id}`, 'check-token: own box', r.err);
r = checkToken(tokens.access_token, 'Secretariat.Cardio@CH-demo.mssante.fr');
check(r.status === 0, 'check-token: organisational box she belongs to (any case)', r.err);
r = checkToken(tokens.access_token, 'accueil@ehpad-tilleuls.mssante.fr');
check(r.status === 1 && r.err === 'not entitled to accueil@ehpad-tilleuls.mssante.fr', 'check-token: other box refused', r.err);
r = checkToken(tokens.access_token, 'marie.martin@ch-demo.mssante.fr', 'https://evil.example');
check(r.status === 1 && r.err === 'wrong issuer', 'check-token: wrong issuer refused', r.err);
{
  // Same signature, payload swapped to another person.
  const [h, , s] = tokens.access_token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...at, sub: '0640000012', SubjectNameID: '0640000012' })).toString('base64url');
  r = checkToken(`${h}.${forged}.${s}`, 'accueil@ehpad-tilleuls.mssante.fr');
  check(r.status === 1 && r.err === 'bad signature', 'check-token: altered token refused', r.err);
  // Signed by another key that claims the provider's kid.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const hp = `${h}.${Buffer.from(JSON.stringify(at)).toString('base64url')}`;
  const sig = crypto.sign('sha256', Buffer.from(hp), privateKey).toString('base64url');
  r = checkToken(`${hp}.${sig}`, 'marie.martin@ch-demo.mssante.fr');
  check(r.status === 1 && r.err === 'bad signature', 'check-token: token signed by another key refused', r.err);
  r = checkToken('not-a-token', 'marie.martin@ch-demo.mssante.fr');
  check(r.status === 1 && /^malformed/.test(r.err), 'check-token: garbage refused', r.err);
}

// --- Refresh (rotating)
const refreshed = await request('POST', discovery.token_endpoint, {
  form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'relais' },
});
check(refreshed.status === 200 && refreshed.json.access_token && refreshed.json.refresh_token
  && refreshed.json.refresh_token !== tokens.refresh_token && refreshed.json.id_token,
  'refresh: new access token, rotated refresh token, new ID token', refreshed.text);
const at2 = claimsOf(refreshed.json.access_token);
check(at2.SubjectNameID === marie.national_id && at2.scope === 'openid scope_all', 'refresh: access token claims kept');
const intro = await request('POST', discovery.introspection_endpoint, {
  form: { token: refreshed.json.refresh_token, client_id: 'relais' },
});
check(intro.json?.active === true && intro.json?.sub === marie.national_id, 'introspection of the refresh token', intro.text);

// --- CIBA for a person without a box of her own
const sophie = person('sophie.bernard');
const ciba = await request('POST', discovery.backchannel_authentication_endpoint, {
  form: { client_id: 'relais', scope: 'openid scope_all', login_hint: 'sophie.bernard', acr_values: 'eidas1' },
});
check(ciba.status === 200 && ciba.json?.auth_req_id && ciba.json.interval === 1, 'CIBA request accepted', ciba.text);
let cibaTokens;
let sawPending = false;
for (let i = 0; i < 10 && !cibaTokens; i += 1) {
  const poll = await request('POST', discovery.token_endpoint, {
    form: { grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: ciba.json.auth_req_id, client_id: 'relais' },
  });
  if (poll.status === 200) cibaTokens = poll.json;
  else if (poll.json?.error === 'authorization_pending') { sawPending = true; await sleep(500); }
  else { check(false, 'CIBA poll', poll.text); break; }
}
check(sawPending && cibaTokens?.access_token && cibaTokens.refresh_token, 'CIBA: pending, then tokens');
if (cibaTokens) {
  const cid = claimsOf(cibaTokens.id_token);
  check(cid.acr === 'eidas1' && cid.preferred_username === 'sophie.bernard' && !('email' in cid), 'CIBA ID token (no box → no email)');
  r = checkToken(cibaTokens.access_token, 'secretariat.cardio@ch-demo.mssante.fr');
  check(r.status === 0 && r.out === `person=sophie.bernard national_id=${sophie.national_id}`, 'check-token: CIBA token on the shared box', r.err);
  r = checkToken(cibaTokens.access_token, 'marie.martin@ch-demo.mssante.fr');
  check(r.status === 1, 'check-token: CIBA token on a colleague\'s box refused', r.err);

  // Revoking the refresh token ends the session: refresh and userinfo refuse afterwards.
  const rev = await request('POST', discovery.revocation_endpoint, {
    form: { token: cibaTokens.refresh_token, token_type_hint: 'refresh_token', client_id: 'relais' },
  });
  check(rev.status === 200, 'revocation of the refresh token', rev.text);
  const after = await request('POST', discovery.token_endpoint, {
    form: { grant_type: 'refresh_token', refresh_token: cibaTokens.refresh_token, client_id: 'relais' },
  });
  check(after.json?.error === 'invalid_grant', 'refresh after revocation refused', after.text);
}
{
  const bad = await request('POST', discovery.backchannel_authentication_endpoint, {
    form: { client_id: 'relais', scope: 'openid scope_all', login_hint: 'julien.lemaire' },
  });
  check(bad.json?.error === 'unknown_user_id', 'CIBA for a person without e-CPS refused', bad.text);
}

// --- Reusing a rotated refresh token revokes the grant
{
  const reuse = await request('POST', discovery.token_endpoint, {
    form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'relais' },
  });
  check(reuse.json?.error === 'invalid_grant', 'reuse of a rotated refresh token refused', reuse.text);
  const next = await request('POST', discovery.token_endpoint, {
    form: { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, client_id: 'relais' },
  });
  check(next.json?.error === 'invalid_grant', '...and the whole session with it', next.text);
}

// --- Second sign-in in the same browser (the jar still holds marie's session cookie)
{
  const redirectUri = 'http://localhost:41234/callback'; // the other loopback URI, another port
  const v = crypto.randomBytes(32).toString('base64url');
  const pkce = { code_challenge: crypto.hash('sha256', v, 'base64url'), code_challenge_method: 'S256' };
  const again = await follow(await request('GET', authorizeUrl({
    ...pkce, state: 'sso', redirect_uri: redirectUri, login_hint: 'marie.martin',
  })), ISSUER, redirectUri);
  check(again.redirect?.searchParams.has('code'), 'same person again: no form, straight back with a code', again.res?.status);
  if (again.redirect) {
    const t = await request('POST', discovery.token_endpoint, {
      form: { grant_type: 'authorization_code', code: again.redirect.searchParams.get('code'), redirect_uri: redirectUri, client_id: 'relais', code_verifier: v },
    });
    check(t.status === 200 && claimsOf(t.json.access_token).sub === marie.national_id, 'code from the existing session exchanged', t.text);
  }
  const other = await follow(await request('GET', authorizeUrl({
    ...pkce, state: 'sso2', redirect_uri: redirectUri, login_hint: person('pierre.durand').national_id,
  })), ISSUER, redirectUri);
  check(other.res?.status === 200 && new RegExp(`<option value="${person('pierre.durand').national_id}" selected>`).test(other.res.text),
    'login_hint naming another person shows the form again, pre-selected');
}

// --- Expiry
const ttl = at2.exp - at2.iat;
if (ttl <= 15) {
  await sleep(Math.max(0, at2.exp * 1000 - Date.now()) + 1100);
  r = checkToken(refreshed.json.access_token, 'marie.martin@ch-demo.mssante.fr');
  check(r.status === 1 && r.err === 'expired', `check-token: expired token refused (ttl ${ttl} s)`, r.err);
  const meLate = await request('GET', discovery.userinfo_endpoint, { headers: { Authorization: `Bearer ${refreshed.json.access_token}` } });
  check(meLate.status === 401, 'userinfo refuses an expired token', meLate.text);
} else {
  console.log(`skip expiry check: access tokens live ${ttl} s (start the provider with OIDC_ACCESS_TOKEN_TTL=2)`);
}

agent.destroy();
console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
process.exit(failures ? 1 : 0);
