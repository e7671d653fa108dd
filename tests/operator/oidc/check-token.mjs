// The token checker Dovecot calls for SASL XOAUTH2 (test operator only).
//
//   node check-token.mjs <jwks.json> <personas.json> <issuer> <box-address> <token-file>
//
// Accepts the access token iff it is a valid, unexpired JWT from <issuer> signed by a key of
// <jwks.json>, its subject is a person of <personas.json>, and that person may open
// <box-address>: their own box, or an organisational box that lists them as a member.
//
// Exit 0 and print `person=<id> national_id=<national_id>`; otherwise exit 1 with a one-line
// reason on stderr. Never prints the token.
//
// No npm dependencies on purpose: this file is copied alone into a folder that an unprivileged
// Dovecot user can read.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

// Clock-skew allowance for nbf/iat only. `exp` gets none: everything runs on one machine, and
// tests that watch a token expire should not have to wait longer than its lifetime.
const LEEWAY_SECONDS = 5;
// JWS algorithm → node:crypto verify parameters. The provider signs with RS256.
const ALGORITHMS = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', padding: crypto.constants.RSA_PKCS1_PSS_PADDING },
  ES256: { hash: 'sha256', kty: 'EC', dsaEncoding: 'ieee-p1363' },
};

function refuse(reason) {
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}

function decodeJson(segment, what) {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return refuse(`malformed token (${what})`);
  }
}

function main(argv) {
  if (argv.length !== 5) {
    refuse('usage: node check-token.mjs <jwks.json> <personas.json> <issuer> <box-address> <token-file>');
  }
  const [jwksPath, personasPath, issuer, boxArg, tokenPath] = argv;

  let jwks;
  let personas;
  let token;
  try {
    jwks = JSON.parse(fs.readFileSync(jwksPath, 'utf8'));
    personas = JSON.parse(fs.readFileSync(personasPath, 'utf8'));
    token = fs.readFileSync(tokenPath, 'utf8').trim();
  } catch (err) {
    return refuse(`cannot read input (${err.code ?? err.name})`);
  }

  // --- JWS compact serialisation, signature
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1]) {
    return refuse('malformed token (not a JWS compact serialisation)');
  }
  const [h, p, s] = parts;
  const header = decodeJson(h, 'header');
  const payload = decodeJson(p, 'payload');
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return refuse('malformed token (payload is not an object)');
  }

  const algorithm = ALGORITHMS[header.alg];
  if (!algorithm) return refuse(`unsupported algorithm ${String(header.alg).slice(0, 20)}`);
  if (header.crit !== undefined) return refuse('unsupported critical header');
  const jwk = (jwks.keys ?? []).find((k) => typeof header.kid === 'string' && k.kid === header.kid);
  if (!jwk) return refuse('unknown signing key');
  if (jwk.kty !== algorithm.kty || (jwk.alg && jwk.alg !== header.alg) || (jwk.use && jwk.use !== 'sig')) {
    return refuse('signing key does not match algorithm');
  }

  let verified = false;
  try {
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    const options = { key };
    if (algorithm.padding) Object.assign(options, { padding: algorithm.padding, saltLength: 32 });
    if (algorithm.dsaEncoding) options.dsaEncoding = algorithm.dsaEncoding;
    verified = crypto.verify(algorithm.hash, Buffer.from(`${h}.${p}`), options, Buffer.from(s, 'base64url'));
  } catch {
    verified = false;
  }
  if (!verified) return refuse('bad signature');

  // --- Claims
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== issuer) return refuse('wrong issuer');
  if (typeof payload.exp !== 'number') return refuse('missing exp');
  if (payload.exp <= now) return refuse('expired');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + LEEWAY_SECONDS)) {
    return refuse('not yet valid');
  }
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > now + LEEWAY_SECONDS)) {
    return refuse('issued in the future');
  }
  if (typeof payload.iat === 'number' && payload.exp <= payload.iat) return refuse('exp before iat');

  // --- Person and entitlement
  const nationalId = typeof payload.SubjectNameID === 'string' ? payload.SubjectNameID : payload.sub;
  const person = (personas.people ?? []).find(
    (x) => x.national_id && x.national_id === nationalId,
  );
  if (!person) return refuse('unknown person');

  const box = boxArg.trim().toLowerCase();
  const ownBox = typeof person.box === 'string' && person.box.toLowerCase() === box;
  const member = (personas.boxes ?? []).some((b) => typeof b.address === 'string'
    && b.address.toLowerCase() === box
    && b.members && typeof b.members === 'object'
    && Object.hasOwn(b.members, person.id));
  if (!ownBox && !member) return refuse(`not entitled to ${box}`);

  process.stdout.write(`person=${person.id} national_id=${person.national_id}\n`);
  return process.exit(0);
}

main(process.argv.slice(2));
