// A real OpenID Connect provider standing in for Pro Santé Connect (PSC), for tests and the
// demo. TEST/DEMO ONLY: it approves CIBA requests by itself and keeps everything in memory.
//
// Configured only through environment variables (see README.md):
//   OIDC_HOST, OIDC_PORT, OIDC_ISSUER, OIDC_TLS_CERT, OIDC_TLS_KEY, OIDC_STATE_DIR, PERSONAS,
//   OIDC_ACCESS_TOKEN_TTL (s, default 300), OIDC_REFRESH_TOKEN_TTL (s, default 28800),
//   OIDC_EMAIL_CLAIM (1 to add an `email` claim; by default none, as Pro Santé Connect).
//
// It logs one line per login and per token issuance on stdout, never a token value.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

// ---------------------------------------------------------------------------------------------
// Configuration

function env(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    console.error(`provider.mjs: missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

function positiveSeconds(name, fallback) {
  const raw = env(name, String(fallback));
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    console.error(`provider.mjs: ${name} must be a positive number of seconds, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const HOST = env('OIDC_HOST');
const PORT = Number(env('OIDC_PORT'));
const ISSUER = env('OIDC_ISSUER');
const TLS_CERT = fs.readFileSync(env('OIDC_TLS_CERT'));
const TLS_KEY = fs.readFileSync(env('OIDC_TLS_KEY'));
const STATE_DIR = env('OIDC_STATE_DIR');
const PERSONAS = JSON.parse(fs.readFileSync(env('PERSONAS'), 'utf8'));
const ACCESS_TTL = positiveSeconds('OIDC_ACCESS_TOKEN_TTL', 300);
const REFRESH_TTL = positiveSeconds('OIDC_REFRESH_TOKEN_TTL', 8 * 60 * 60);
// Pro Santé Connect does not document an `email` claim: it gives the national identifier and
// the sectoral data, and a client finds the person's box in the Annuaire Santé. Off by
// default; `OIDC_EMAIL_CLAIM=1` adds the person's own box as `email`, as a hint.
const EMAIL_CLAIM = (() => {
  const raw = env('OIDC_EMAIL_CLAIM', '0');
  if (raw !== '0' && raw !== '1') {
    console.error(`provider.mjs: OIDC_EMAIL_CLAIM must be 0 or 1, got "${raw}"`);
    process.exit(2);
  }
  return raw === '1';
})();

const CLIENT_ID = 'relais';
const SCOPE = 'openid scope_all';
const ACR = 'eidas1';
// TEST ONLY: the level CIBA approvals report, lowered by a test to see a client refuse it.
const CIBA_ACR = process.env.OIDC_CIBA_ACR || ACR;
// The audience of the JWT access tokens. Every access token is issued for this one "resource
// server" (the MSSanté operator: IMAP + SMTP), which is what makes oidc-provider sign it as a
// JWT instead of an opaque string.
const RESOURCE = 'urn:relais:mssante-operator';
// Delay before a CIBA request is approved on its own: long enough for a client to see
// `authorization_pending` once, short enough for tests.
const CIBA_APPROVAL_DELAY_MS = 1000;

function log(event, fields = {}) {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`);
  console.log([new Date().toISOString(), event, ...parts].join(' '));
}

// ---------------------------------------------------------------------------------------------
// Personas: the people with an e-CPS. Their `national_id` is the OIDC subject, like PSC's
// SubjectNameID (8 + RPPS, or 0 + ADELI).

const PEOPLE = PERSONAS.people.filter((p) => p.ecps === true && p.national_id);
const BY_NATIONAL_ID = new Map(PEOPLE.map((p) => [p.national_id, p]));
const BY_ID = new Map(PEOPLE.map((p) => [p.id, p]));

function findPerson(hint) {
  if (typeof hint !== 'string') return undefined;
  const h = hint.trim();
  return BY_NATIONAL_ID.get(h) ?? BY_ID.get(h.toLowerCase());
}

// Made-up imitations of the nomenclature codes PSC puts in SubjectRefPro (TRE_G15 profession,
// TRE_R09 savoir-faire…). Good enough for a client that shows them; not authoritative.
const PROFESSIONS = {
  'Médecin généraliste': { codeProfession: '10', codeSavoirFaire: 'SM54', civiliteExercice: 'DR' },
  Cardiologue: { codeProfession: '10', codeSavoirFaire: 'SM04', civiliteExercice: 'DR' },
  'Cardiologue libéral': { codeProfession: '10', codeSavoirFaire: 'SM04', civiliteExercice: 'DR' },
  'Infirmière coordinatrice': { codeProfession: '60' },
  'Secrétaire médicale': { codeProfession: '98' }, // invented: an "RPPS+" medico-social role
};

function subjectRefPro(person) {
  const known = PROFESSIONS[person.profession] ?? {};
  const domain = (person.box ?? person.login ?? '').split('@')[1] ?? null;
  return {
    // personas.json has no civility; honour one if it is ever added there.
    codeCivilite: person.civilite ?? null,
    exercices: [
      {
        codeProfession: known.codeProfession ?? null,
        codeCategorieProfessionnelle: 'C',
        libelleProfession: person.profession,
        codeCiviliteDexercice: known.civiliteExercice ?? null,
        nomDexercice: person.family_name,
        prenomDexercice: person.given_name,
        codeTypeSavoirFaire: known.codeSavoirFaire ? 'S' : null,
        codeSavoirFaire: known.codeSavoirFaire ?? null,
        activities: [{ codeModeExercice: 'S', raisonSocialeSite: domain }],
      },
    ],
  };
}

// Every claim a person has; oidc-provider filters them by scope (see `claims` below).
function personClaims(person) {
  return {
    sub: person.national_id,
    SubjectNameID: person.national_id,
    given_name: person.given_name,
    family_name: person.family_name,
    preferred_username: person.id,
    SubjectRefPro: subjectRefPro(person),
    ...(EMAIL_CLAIM && person.box ? { email: person.box } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Signing key: a fresh RS256 key at every start, so a restarted provider invalidates every
// token issued before (as a real key rotation would). The public half goes to
// $OIDC_STATE_DIR/jwks.json for Dovecot's checker, written before we listen.

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = publicKey.export({ format: 'jwk' });
const kid = crypto.hash('sha256', JSON.stringify({ e: publicJwk.e, kty: 'RSA', n: publicJwk.n }), 'base64url');
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
const publicJwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };

fs.mkdirSync(STATE_DIR, { recursive: true });
{
  // Write then rename, so a reader never sees half a file.
  const target = path.join(STATE_DIR, 'jwks.json');
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(publicJwks, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, target);
}

// ---------------------------------------------------------------------------------------------
// Pages (French, no JavaScript, plain HTML forms so that a script can fill them in).

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f5f8;margin:0;padding:2rem}
main{max-width:28rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0003}
h1{font-size:1.25rem;color:#003c71}label{display:block;margin:1rem 0 .25rem}
select,input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.25rem;width:100%;padding:.6rem;font-size:1rem;background:#003c71;color:#fff;border:0;border-radius:4px}
.erreur{color:#b00020;font-weight:600}.note{color:#555;font-size:.85rem}
</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

function loginPage(uid, { selected, error } = {}) {
  const options = PEOPLE.map((p) => {
    const label = `${p.given_name} ${p.family_name} — ${p.profession}`;
    const sel = selected && p.national_id === selected.national_id ? ' selected' : '';
    return `<option value="${esc(p.national_id)}"${sel}>${esc(label)}</option>`;
  }).join('\n');
  return page('Pro Santé Connect (démonstration)', `<h1>Pro Santé Connect (démonstration) — Connexion avec e-CPS</h1>
${error ? `<p class="erreur" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label for="login">Professionnel</label>
<select id="login" name="login">
${options}
</select>
<label for="pin">Code PIN de la e-CPS</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required>
<button type="submit">Se connecter</button>
</form>
<p class="note">Fournisseur d'identité de test : aucune donnée réelle.</p>`);
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Erreur', `<h1>Pro Santé Connect (démonstration) — Erreur</h1>
<p class="erreur">${esc(out.error)}</p>
${out.error_description ? `<p>${esc(out.error_description)}</p>` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// The provider

// What a login grants, from the form or from CIBA: `openid scope_all` with all the person's
// claims, and the same scopes on the operator resource, which is what the JWT access token is for.
async function createGrant(provider, accountId) {
  const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
  grant.addOIDCScope(SCOPE);
  grant.addOIDCClaims(Object.keys(personClaims(BY_NATIONAL_ID.get(accountId))));
  grant.addResourceScope(RESOURCE, SCOPE);
  return grant.save();
}

// oidc-provider's default prompts, plus: a login_hint naming someone other than the person of
// the current browser session asks for a new login. Without it, signing in as a second persona
// in the same browser would silently return the first one (demo use).
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'login_hint_other_person',
  'login_hint names another person than the current session',
  (ctx) => {
    const { session, params } = ctx.oidc;
    const hinted = findPerson(params.login_hint);
    return Boolean(session.accountId && hinted && hinted.national_id !== session.accountId);
  },
));

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_name: 'Relais',
      // native: a desktop app with RFC 8252 loopback redirects (any port, this path).
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', 'urn:openid:params:grant-type:ciba'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      backchannel_token_delivery_mode: 'poll',
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },

  responseTypes: ['code'], // authorisation code flow only, like PSC
  scopes: ['openid', 'offline_access', 'scope_all'],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    scope_all: ['SubjectNameID', 'given_name', 'family_name', 'preferred_username', 'SubjectRefPro', 'email'],
  },
  // PSC puts the person's claims in the ID token of a code flow too, and the Relais client reads
  // them there first; oidc-provider's default keeps them for userinfo only.
  conformIdTokenClaims: false,
  acrValues: [ACR],

  async findAccount(_ctx, sub) {
    const person = BY_NATIONAL_ID.get(sub);
    if (!person) return undefined;
    return { accountId: sub, async claims() { return personClaims(person); } };
  },

  // The PSC-like claims that the access token must carry for Dovecot's checker.
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    return { SubjectNameID: token.accountId, acr: ACR };
  },

  pkce: { required: () => true }, // S256 is the only method oidc-provider 9 knows.

  // A refresh token for `openid scope_all` without asking for offline_access, like PSC.
  async issueRefreshToken(_ctx, client, source) {
    return client.grantTypeAllowed('refresh_token') && source.scopes.has('openid');
  },
  // Tokens are not tied to the browser session cookie: the desktop client keeps its session
  // through the refresh token alone (revocation ends it).
  expiresWithSession: async () => false,
  // Rotate on every use (a public client). Presenting a used refresh token again is treated as
  // theft by oidc-provider: the whole grant is revoked.
  rotateRefreshToken: () => true,

  ttl: {
    AccessToken: ACCESS_TTL,
    IdToken: ACCESS_TTL,
    AuthorizationCode: 60,
    Interaction: 10 * 60,
    BackchannelAuthenticationRequest: 120,
    // Absolute: a rotated refresh token keeps the remaining lifetime of the first one, so the
    // session ends REFRESH_TTL after the login however often it is refreshed.
    RefreshToken(ctx) {
      const rotated = ctx?.oidc?.entities?.RotatedRefreshToken;
      return rotated ? Math.max(rotated.remainingTTL, 1) : REFRESH_TTL;
    },
    Grant: REFRESH_TTL,
    Session: REFRESH_TTL,
  },

  features: {
    devInteractions: { enabled: false }, // our own French page below
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // `form` is oidc-provider's hidden form (id op.logoutForm, with its CSRF field).
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Déconnexion', `<h1>Pro Santé Connect (démonstration) — Déconnexion</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>
<button type="submit" form="op.logoutForm">Rester connecté</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Déconnecté', '<h1>Pro Santé Connect (démonstration)</h1><p>Vous êtes déconnecté.</p>');
      },
    },
    resourceIndicators: {
      enabled: true,
      // No `resource` parameter needed: every authorisation is for the operator...
      defaultResource: async () => RESOURCE,
      // ...and the token endpoint reuses it, so a plain code flow yields a JWT access token.
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource !== RESOURCE) throw new errors.InvalidTarget();
        return { scope: SCOPE, accessTokenFormat: 'jwt', accessTokenTTL: ACCESS_TTL };
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      async processLoginHint(_ctx, loginHint) {
        return findPerson(loginHint)?.national_id; // undefined → unknown_user_id
      },
      async validateRequestContext() {},
      async verifyUserCode() {},
      async validateBindingMessage() {},
      async triggerAuthenticationDevice(ctx, request, account) {
        // The spec's default polling interval is 5 s; ours approves after 1 s.
        if (ctx.body && typeof ctx.body === 'object') ctx.body.interval = 1;
        const person = BY_NATIONAL_ID.get(account.accountId);
        log('ciba-request', { client: request.clientId, person: person?.id, national_id: account.accountId });
        // TEST/DEMO ONLY: a real PSC would push a notification to the person's e-CPS app.
        setTimeout(async () => {
          try {
            const grantId = await createGrant(provider, account.accountId);
            await provider.backchannelResult(request.jti, grantId, {
              acr: CIBA_ACR, amr: ['pin'], authTime: Math.floor(Date.now() / 1000),
            });
            log('login', { method: 'ciba', person: person?.id, national_id: account.accountId, acr: CIBA_ACR });
          } catch (err) {
            log('ciba-approval-failed', { error: err.message });
          }
        }, CIBA_APPROVAL_DELAY_MS).unref();
      },
    },
  },

  interactions: { policy },
  clientBasedCORS: () => false, // the Rust side talks to us, not a browser page
  renderError,
};

const provider = new Provider(ISSUER, configuration);

// ---------------------------------------------------------------------------------------------
// Logs (never a token: no token values, no jti — an opaque token's jti is its value).

provider.on('grant.success', (ctx) => {
  const { AccessToken: at, RefreshToken: rt, RotatedRefreshToken: rotated } = ctx.oidc.entities;
  const accountId = at?.accountId;
  log('token', {
    grant_type: ctx.oidc.params.grant_type,
    client: ctx.oidc.client?.clientId,
    person: BY_NATIONAL_ID.get(accountId)?.id,
    national_id: accountId,
    access_token_expires_in: at?.expiration,
    refresh_token: rt ? (rotated ? 'rotated' : 'issued') : 'none',
  });
});
provider.on('grant.error', (ctx, err) => {
  if (err.error === 'authorization_pending') return; // CIBA polling: expected, not news
  log('token-refused', {
    grant_type: ctx.oidc?.params?.grant_type, error: err.error, reason: err.error_description,
  });
});
provider.on('backchannel_authentication.error', (_ctx, err) => {
  log('ciba-refused', { error: err.error, reason: err.error_description });
});
provider.on('grant.revoked', () => log('grant-revoked'));
provider.on('server_error', (_ctx, err) => log('server-error', { error: err.message }));

// JWT access tokens are not stored by oidc-provider. Remember which grant each one belongs to
// (until it expires), so that our userinfo endpoint refuses a token whose grant was revoked.
const jwtAccessTokens = new Map(); // jti → { grantId, exp }
provider.on('access_token.issued', (token) => {
  const now = Math.floor(Date.now() / 1000);
  for (const [jti, entry] of jwtAccessTokens) if (entry.exp < now) jwtAccessTokens.delete(jti);
  jwtAccessTokens.set(token.jti, { grantId: token.grantId, exp: token.exp });
});

// ---------------------------------------------------------------------------------------------
// Interaction (login) pages, handled before oidc-provider sees the request.

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function handleInteraction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    // No or expired interaction cookie: the sign-in has to start again from the client.
    sendHtml(res, 400, page('Session expirée', `<h1>Pro Santé Connect (démonstration)</h1>
<p class="erreur">La demande de connexion a expiré ou est introuvable. Recommencez depuis l'application.</p>`));
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, page('Erreur', '<p class="erreur">Demande de connexion invalide.</p>'));
    return;
  }

  const { prompt, params, session } = details;

  if (prompt.name === 'consent') {
    // Already logged in (an existing session, or a native client that must always come back
    // here): grant what is asked without showing a consent screen.
    // The session's grant may be gone (revoked, expired): then start a new one.
    const grant = (details.grantId && await provider.Grant.find(details.grantId))
      || new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const person = BY_NATIONAL_ID.get(session.accountId);
    log('login', { method: 'session', client: params.client_id, person: person?.id, national_id: session.accountId });
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (action === undefined && req.method === 'GET') {
    sendHtml(res, 200, loginPage(uid, { selected: findPerson(params.login_hint) }));
    return;
  }
  if (action !== 'login' || req.method !== 'POST') {
    sendHtml(res, 405, page('Erreur', '<p class="erreur">Méthode non autorisée.</p>'));
    return;
  }

  const form = await readForm(req);
  const person = findPerson(form.get('login') ?? '');
  if (!person) {
    log('login-refused', { method: 'form', reason: 'unknown-person' });
    sendHtml(res, 403, loginPage(uid, { error: 'Professionnel inconnu. Choisissez une personne dans la liste.' }));
    return;
  }
  if ((form.get('pin') ?? '') !== String(PERSONAS.ecps_pin)) {
    log('login-refused', { method: 'form', reason: 'wrong-pin', person: person.id });
    sendHtml(res, 403, loginPage(uid, { selected: person, error: 'Code PIN incorrect. Veuillez réessayer.' }));
    return;
  }

  // Log in and consent in one step: no consent screen.
  const grantId = await createGrant(provider, person.national_id);
  log('login', { method: 'form', client: params.client_id, person: person.id, national_id: person.national_id, acr: ACR });
  await provider.interactionFinished(req, res, {
    login: { accountId: person.national_id, acr: ACR, amr: ['pin'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

// ---------------------------------------------------------------------------------------------
// Userinfo for JWT access tokens. oidc-provider's own /me only accepts opaque tokens without an
// audience, and the client only ever gets JWTs. Like PSC's userinfo, ours accepts the access
// token the client holds; opaque tokens still go to oidc-provider.

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

function sendJson(res, status, body, headers = {}) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(JSON.stringify(body));
}

async function userinfoForJwt(res, token) {
  const refuse = (description) => {
    log('userinfo-refused', { reason: description });
    sendJson(res, 401, { error: 'invalid_token', error_description: description }, {
      'WWW-Authenticate': `Bearer realm="${ISSUER}", error="invalid_token", error_description="${description}"`,
    });
  };
  const [h, p, s] = token.split('.');
  let header;
  let payload;
  try {
    header = b64json(h);
    payload = b64json(p);
  } catch {
    return refuse('malformed token');
  }
  if (header.alg !== 'RS256' || header.kid !== kid
      || !crypto.verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))) {
    return refuse('bad signature');
  }
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== ISSUER) return refuse('wrong issuer');
  if (typeof payload.exp !== 'number' || payload.exp <= now) return refuse('expired');
  if (!String(payload.scope ?? '').split(' ').includes('openid')) return refuse('missing openid scope');
  const entry = jwtAccessTokens.get(payload.jti);
  if (!entry || !(await provider.Grant.find(entry.grantId))) return refuse('grant revoked');
  const person = BY_NATIONAL_ID.get(payload.sub);
  if (!person) return refuse('unknown person');
  const claims = personClaims(person);
  const body = String(payload.scope).split(' ').includes('scope_all') ? claims : { sub: claims.sub };
  log('userinfo', { person: person.id, national_id: person.national_id });
  return sendJson(res, 200, body);
}

// ---------------------------------------------------------------------------------------------
// HTTPS server

const providerCallback = provider.callback();
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/;

const server = https.createServer({ cert: TLS_CERT, key: TLS_KEY, minVersion: 'TLSv1.2' }, (req, res) => {
  const url = new URL(req.url, ISSUER);
  const match = INTERACTION.exec(url.pathname);
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const route = match
    ? handleInteraction(req, res, match[1], match[2])
    : url.pathname === '/me' && bearer && bearer.split('.').length === 3
      ? userinfoForJwt(res, bearer)
      : null;
  if (route === null) {
    providerCallback(req, res);
    return;
  }
  route.catch((err) => {
    log('server-error', { path: url.pathname, error: err.message });
    if (!res.headersSent) sendHtml(res, 500, page('Erreur', '<p class="erreur">Erreur interne du fournisseur d\'identité.</p>'));
  });
});

server.on('error', (err) => {
  // EADDRINUSE and the like: say so plainly and let the operator script notice the exit.
  console.error(`provider.mjs: cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  log('listening', {
    issuer: ISSUER, host: HOST, port: PORT, people: PEOPLE.length, kid,
    access_token_ttl: ACCESS_TTL, refresh_token_ttl: REFRESH_TTL,
  });
});

function shutdown(signal) {
  log('stopping', { signal });
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
