#!/usr/bin/env bash
# Self-test of the test OpenID provider, independent of the operator script: makes a throwaway
# PKI shaped like IGC-Santé (root → "ORGANISATIONS" intermediate → server cert for 127.0.0.2),
# starts provider.mjs with a 3-second access token lifetime, runs smoke.mjs, stops the provider.
#
#   tests/operator/oidc/selftest.sh            (needs `npm ci` done in this folder, and openssl)
#   OIDC_PORT=28443 tests/operator/oidc/selftest.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
personas="$(cd "$here/.." && pwd)/personas.json"
host="${OIDC_HOST:-127.0.0.2}"
# A port the kernel says is free right now (other test suites share this machine).
port="${OIDC_PORT:-$(node -e 'const s=require("net").createServer().listen(0,process.argv[1],()=>{console.log(s.address().port);s.close()})' "$host")}"
work="$(mktemp -d /tmp/relais-oidc-selftest.XXXXXX)"
pid=""

cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

pki="$work/pki"
mkdir -p "$pki" "$work/state"
cd "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 -keyout root.key -out root.pem \
  -subj "/C=FR/O=ASIP-SANTE/OU=0002 187512751/CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr \
  -subj "/C=FR/O=ASIP-SANTE/OU=0002 187512751/CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -sha256 \
  -extfile inter.ext -out inter.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj "/C=FR/O=RELAIS DEMO/CN=$host" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.2,IP:127.0.0.1,DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 30 -sha256 \
  -extfile server.ext -out server.pem 2>/dev/null
cat server.pem inter.pem > server-chain.pem

export OIDC_HOST="$host" OIDC_PORT="$port" OIDC_ISSUER="https://$host:$port"
export OIDC_TLS_CERT="$pki/server-chain.pem" OIDC_TLS_KEY="$pki/server.key"
export OIDC_STATE_DIR="$work/state" PERSONAS="$personas"
export OIDC_ACCESS_TOKEN_TTL="${OIDC_ACCESS_TOKEN_TTL:-3}"
export OIDC_CA="$pki/root.pem"

node "$here/provider.mjs" > "$work/provider.log" 2> "$work/provider.err" &
pid=$!

for _ in $(seq 1 100); do
  grep -q ' listening ' "$work/provider.log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/provider.err"; echo "provider died" >&2; exit 1; }
  sleep 0.1
done

status=0
node "$here/smoke.mjs" || status=$?

echo "--- provider log"
cat "$work/provider.log"
# Nothing that looks like a JWT may ever reach the log.
if grep -Eq 'eyJ[A-Za-z0-9_-]{10,}\.' "$work/provider.log" "$work/provider.err"; then
  echo "FAIL: a token appears in the provider log" >&2
  status=1
fi
exit "$status"
