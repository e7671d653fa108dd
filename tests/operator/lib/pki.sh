# shellcheck shell=bash
# The test PKI standing in for IGC-Santé: a root, an "Élémentaire Organisations"
# intermediate run as a small `openssl ca` (so certificates can be revoked and CRLs
# published), and the operator's server certificate. Generated fresh at each start:
# nothing here is ever trusted outside the instance folder.

pki_generate() {
  local pki="$1" host="$2" crl_url="$3"
  mkdir -p "$pki/ca/newcerts"
  : > "$pki/ca/index.txt"
  echo 1000 > "$pki/ca/serial"
  echo 1000 > "$pki/ca/crlnumber"

  cat > "$pki/ca/ca.cnf" <<CNF
[ ca ]
default_ca = intermediate
[ intermediate ]
dir = $pki/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $pki/intermediate.pem
private_key = $pki/intermediate.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = policy_any
unique_subject = no
copy_extensions = copy
[ policy_any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$crl_url
CNF

  local q=(-loglevel error)
  [[ $(openssl version) == OpenSSL\ 3* ]] || q=()

  # Root: self-signed, named like the production IGC-Santé root with a TEST prefix.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/C=FR/O=RELAIS TEST/OU=TEST IGC-SANTE/CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$pki/root.key" -out "$pki/root.pem" 2>/dev/null

  # Intermediate: "Élémentaire Organisations", the range MSSanté servers use.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/C=FR/O=RELAIS TEST/OU=TEST IGC-SANTE/CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS" \
    -keyout "$pki/intermediate.key" -out "$pki/intermediate.csr" 2>/dev/null
  openssl x509 -req -in "$pki/intermediate.csr" -CA "$pki/root.pem" -CAkey "$pki/root.key" \
    -CAcreateserial -days 180 -out "$pki/intermediate.pem" \
    -extfile <(printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n') 2>/dev/null

  # The operator's server certificate, valid for the loopback names the instance uses.
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/C=FR/O=OPERATEUR DE DEMONSTRATION/CN=mx.operateur-demo.test" \
    -addext "subjectAltName=IP:$host,IP:127.0.0.1,DNS:localhost,DNS:mx.operateur-demo.test" \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
  openssl ca -batch -config "$pki/ca/ca.cnf" -extensions server_ext \
    -in "$pki/server.csr" -out "$pki/server.pem" -notext 2>/dev/null

  pki_publish_crl "$pki"
  cat "$pki/server.pem" "$pki/intermediate.pem" > "$pki/server-chain.pem"
  # What a client trusts: the test root, and nothing else.
  cp "$pki/root.pem" "$pki/roots.pem"
  chmod 600 "$pki"/*.key
}

pki_publish_crl() {
  local pki="$1"
  openssl ca -config "$pki/ca/ca.cnf" -gencrl -out "$pki/intermediate.crl.pem" 2>/dev/null
  mkdir -p "$pki/public"
  openssl crl -in "$pki/intermediate.crl.pem" -outform DER -out "$pki/public/intermediate.crl"
}

# Revoke the server certificate and publish a new CRL (for the revocation tests).
pki_revoke_server() {
  local pki="$1"
  openssl ca -config "$pki/ca/ca.cnf" -revoke "$pki/server.pem" -crl_reason keyCompromise 2>/dev/null
  pki_publish_crl "$pki"
}

# Re-issue the server certificate (same key and names) valid only in January 2025, for the
# expiry tests; the caller makes the servers load it.
pki_expire_server() {
  local pki="$1"
  openssl ca -batch -config "$pki/ca/ca.cnf" -extensions server_ext \
    -startdate 20250101000000Z -enddate 20250201000000Z \
    -in "$pki/server.csr" -out "$pki/server.pem" -notext 2>/dev/null
  cat "$pki/server.pem" "$pki/intermediate.pem" > "$pki/server-chain.pem"
}
