//! A scripted person at the local Pro Santé Connect stand-in: the authorisation code flow
//! with PKCE, driven over plain HTTPS the way a browser would (cookies, redirects, the
//! provider's login form), so tests obtain real tokens without a human.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use base64::Engine as _;
use sha2::Digest as _;

/// Tokens from the provider's token endpoint.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub raw: serde_json::Value,
}

/// The loopback redirect a native app registers (RFC 8252); nothing listens there.
pub const REDIRECT_URI: &str = "http://127.0.0.1:49999/callback";
pub const CLIENT_ID: &str = "relais";

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn random_b64url(n: usize) -> io::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(b64url(&bytes))
}

fn http_err(e: ureq::Error) -> io::Error {
    match e {
        ureq::Error::Status(code, resp) => io::Error::other(format!(
            "HTTP {code}: {}",
            resp.into_string().unwrap_or_default()
        )),
        other => io::Error::other(other.to_string()),
    }
}

/// A tiny browser: one agent, a cookie jar, no automatic redirects.
struct Browser {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new(tls: Arc<rustls::ClientConfig>) -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new()
                .tls_config(tls)
                .redirects(0)
                .build(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, resp: &ureq::Response) {
        for header in resp.all("set-cookie") {
            if let Some((pair, _)) = header.split_once(';').or(Some((header, ""))) {
                if let Some((k, v)) = pair.split_once('=') {
                    self.cookies
                        .insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
    }

    fn get(&mut self, url: &str) -> io::Result<ureq::Response> {
        let resp = self
            .agent
            .get(url)
            .set("Cookie", &self.cookie_header())
            .call()
            .map_err(http_err)?;
        self.keep_cookies(&resp);
        Ok(resp)
    }

    fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> io::Result<ureq::Response> {
        let resp = self
            .agent
            .post(url)
            .set("Cookie", &self.cookie_header())
            .send_form(form)
            .map_err(http_err)?;
        self.keep_cookies(&resp);
        Ok(resp)
    }
}

fn location(resp: &ureq::Response, base: &str) -> io::Result<String> {
    let loc = resp
        .header("location")
        .ok_or_else(|| io::Error::other(format!("no redirect (HTTP {})", resp.status())))?;
    let base = url::Url::parse(base).map_err(io::Error::other)?;
    Ok(base.join(loc).map_err(io::Error::other)?.to_string())
}

/// Sign `login` (national id or person id) in with their e-CPS `pin`, through the code
/// flow with PKCE S256 and `acr_values=eidas1`; return the tokens.
pub fn sign_in(
    issuer: &str,
    tls: Arc<rustls::ClientConfig>,
    login: &str,
    pin: &str,
) -> io::Result<Tokens> {
    let mut browser = Browser::new(tls);
    let verifier = random_b64url(32)?;
    let challenge = b64url(&sha2::Sha256::digest(verifier.as_bytes()));
    let state = random_b64url(16)?;
    let nonce = random_b64url(16)?;

    let mut authorize = url::Url::parse(&format!("{issuer}/auth")).map_err(io::Error::other)?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid scope_all")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("acr_values", "eidas1")
        .append_pair("prompt", "login");

    // Follow redirects like a browser until the provider shows its form or hands us
    // back to the redirect URI.
    let mut url = authorize.to_string();
    let mut posted = false;
    for _ in 0..10 {
        if url.starts_with(REDIRECT_URI) {
            let parsed = url::Url::parse(&url).map_err(io::Error::other)?;
            let param = |name: &str| {
                parsed
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
            };
            if param("state").as_deref() != Some(state.as_str()) {
                return Err(io::Error::other("state mismatch"));
            }
            let code = param("code").ok_or_else(|| {
                io::Error::other(format!("no code: {}", param("error").unwrap_or_default()))
            })?;
            return exchange_code(&browser, issuer, &code, &verifier);
        }
        let resp = browser.get(&url)?;
        if resp.status() == 200 {
            if posted {
                return Err(io::Error::other("the provider refused the login"));
            }
            let page = resp.into_string()?;
            let action = form_action(&page)
                .ok_or_else(|| io::Error::other("no login form on the interaction page"))?;
            let action = url::Url::parse(&url)
                .and_then(|u| u.join(&action))
                .map_err(io::Error::other)?
                .to_string();
            let resp = browser.post_form(&action, &[("login", login), ("pin", pin)])?;
            posted = true;
            url = location(&resp, &action)?;
        } else {
            url = location(&resp, &url)?;
        }
    }
    Err(io::Error::other("too many redirects"))
}

fn form_action(page: &str) -> Option<String> {
    let start = page.find("action=\"")? + "action=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].replace("&amp;", "&"))
}

fn exchange_code(
    browser: &Browser,
    issuer: &str,
    code: &str,
    verifier: &str,
) -> io::Result<Tokens> {
    let resp = browser
        .agent
        .post(&format!("{issuer}/token"))
        .send_form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .map_err(http_err)?;
    tokens_from(resp)
}

/// Renew with the refresh token (the provider rotates it).
pub fn refresh(
    issuer: &str,
    tls: Arc<rustls::ClientConfig>,
    refresh_token: &str,
) -> io::Result<Tokens> {
    let agent = ureq::AgentBuilder::new().tls_config(tls).build();
    let resp = agent
        .post(&format!("{issuer}/token"))
        .send_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
        ])
        .map_err(http_err)?;
    tokens_from(resp)
}

fn tokens_from(resp: ureq::Response) -> io::Result<Tokens> {
    let raw: serde_json::Value = serde_json::from_reader(resp.into_reader())?;
    let field = |name: &str| raw.get(name).and_then(|v| v.as_str()).map(str::to_string);
    Ok(Tokens {
        access_token: field("access_token")
            .ok_or_else(|| io::Error::other("no access_token in the token response"))?,
        refresh_token: field("refresh_token"),
        id_token: field("id_token"),
        raw,
    })
}

/// The claims of a JWT (not verified: for tests to read what the provider put there).
pub fn jwt_claims(jwt: &str) -> io::Result<serde_json::Value> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| io::Error::other("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(io::Error::other)?;
    serde_json::from_slice(&bytes).map_err(io::Error::other)
}
