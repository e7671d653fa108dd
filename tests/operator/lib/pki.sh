# shellcheck shell=bash
# The test PKI standing in for IGC-Santé: a root and an "Élémentaire Organisations"
# intermediate, each run as a small `openssl ca` (so certificates can be revoked and CRLs
# published at the distribution points written in the certificates), and the operator's
# server certificate. RSA keys, as in IGC-Santé (the ANS TLS 1.2 suites are ECDHE-RSA).
# A sibling CA under the same root ("Élémentaire Personnes") exists to show that a server
# certificate must come from the Organisations CA (ECO.1.1.10). Generated fresh at each
# start: nothing here is ever trusted outside the instance folder.

# The `openssl ca` configuration of one CA: $1 folder, $2 CA name, $3 certificate, $4 key.
pki_ca_config() {
  local pki="$1" name="$2" cert="$3" key="$4" crl_url="$5" root_crl_url="$6"
  mkdir -p "$pki/$name/newcerts"
  : > "$pki/$name/index.txt"
  echo 1000 > "$pki/$name/serial"
  echo 1000 > "$pki/$name/crlnumber"
  cat > "$pki/$name/ca.cnf" <<CNF
[ ca ]
default_ca = this_ca
[ this_ca ]
dir = $pki/$name
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $cert
private_key = $key
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
[ ca_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:$root_crl_url
CNF
}

pki_generate() {
  local pki="$1" host="$2" crl_url="$3"
  local base="${crl_url%/*}"
  mkdir -p "$pki/public"
  # The root's CRL (ARL) covers the CAs, each CA's own CRL its server certificates.
  pki_ca_config "$pki" ca "$pki/intermediate.pem" "$pki/intermediate.key" "$crl_url" "$base/root.crl"
  pki_ca_config "$pki" rootca "$pki/root.pem" "$pki/root.key" "$base/root.crl" "$base/root.crl"
  pki_ca_config "$pki" siblingca "$pki/sibling.pem" "$pki/sibling.key" "$base/sibling.crl" "$base/root.crl"

  local rsa=(-newkey rsa:2048 -nodes)
  # Root: self-signed, named like the production IGC-Santé root with a TEST prefix.
  openssl req -x509 "${rsa[@]}" -days 365 \
    -subj "/C=FR/O=RELAIS TEST/OU=TEST IGC-SANTE/CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -keyout "$pki/root.key" -out "$pki/root.pem" 2>/dev/null

  # Intermediate: "Élémentaire Organisations", the range MSSanté servers use.
  openssl req "${rsa[@]}" \
    -subj "/C=FR/O=RELAIS TEST/OU=TEST IGC-SANTE/CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS" \
    -keyout "$pki/intermediate.key" -out "$pki/intermediate.csr" 2>/dev/null
  openssl ca -batch -config "$pki/rootca/ca.cnf" -extensions ca_ext -days 180 \
    -in "$pki/intermediate.csr" -out "$pki/intermediate.pem" -notext 2>/dev/null

  # Sibling: another CA under the same root, which must not be accepted for servers.
  openssl req "${rsa[@]}" \
    -subj "/C=FR/O=RELAIS TEST/OU=TEST IGC-SANTE/CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES" \
    -keyout "$pki/sibling.key" -out "$pki/sibling.csr" 2>/dev/null
  openssl ca -batch -config "$pki/rootca/ca.cnf" -extensions ca_ext -days 180 \
    -in "$pki/sibling.csr" -out "$pki/sibling.pem" -notext 2>/dev/null

  # The operator's server certificate, valid for the loopback names the instance uses.
  openssl req "${rsa[@]}" \
    -subj "/C=FR/O=OPERATEUR DE DEMONSTRATION/CN=mx.operateur-demo.test" \
    -addext "subjectAltName=IP:$host,IP:127.0.0.1,DNS:localhost,DNS:mx.operateur-demo.test" \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
  openssl ca -batch -config "$pki/ca/ca.cnf" -extensions server_ext \
    -in "$pki/server.csr" -out "$pki/server.pem" -notext 2>/dev/null

  pki_publish_crl "$pki"
  cat "$pki/server.pem" "$pki/intermediate.pem" > "$pki/server-chain.pem"
  # What a client trusts: the test root, and the Organisations CA that must issue servers'
  # certificates (the same shape as the production data/igc-sante PEM).
  cat "$pki/root.pem" "$pki/intermediate.pem" > "$pki/roots.pem"
  chmod 600 "$pki"/*.key
}

# Publish every CA's CRL (DER, in the folder the CRL server serves). $2: validity in
# seconds (default: the configuration's 7 days).
pki_publish_crl() {
  local pki="$1" seconds="${2:-}" name
  local validity=()
  [[ -n "$seconds" ]] && validity=(-crlsec "$seconds")
  mkdir -p "$pki/public"
  for name in ca:intermediate rootca:root siblingca:sibling; do
    openssl ca -config "$pki/${name%%:*}/ca.cnf" -gencrl "${validity[@]}" \
      -out "$pki/${name#*:}.crl.pem" 2>/dev/null
    openssl crl -in "$pki/${name#*:}.crl.pem" -outform DER -out "$pki/public/${name#*:}.crl.tmp"
    mv "$pki/public/${name#*:}.crl.tmp" "$pki/public/${name#*:}.crl"
  done
}

# Revoke the server certificate and publish a new CRL (for the revocation tests).
pki_revoke_server() {
  local pki="$1"
  openssl ca -config "$pki/ca/ca.cnf" -revoke "$pki/server.pem" -crl_reason keyCompromise 2>/dev/null
  pki_publish_crl "$pki"
}

# Revoke the Organisations CA itself in the root's CRL (the server certificate stays valid).
pki_revoke_intermediate() {
  local pki="$1"
  openssl ca -config "$pki/rootca/ca.cnf" -revoke "$pki/intermediate.pem" -crl_reason cACompromise 2>/dev/null
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

# Re-issue the server certificate (same key and names) from the sibling CA; the caller makes
# the servers load it.
pki_sibling_server() {
  local pki="$1"
  openssl ca -batch -config "$pki/siblingca/ca.cnf" -extensions server_ext \
    -in "$pki/server.csr" -out "$pki/server.pem" -notext 2>/dev/null
  cat "$pki/server.pem" "$pki/sibling.pem" > "$pki/server-chain.pem"
}
