//! Pro Santé Connect (OpenID Connect) for a desktop app, synchronously.
//!
//! - discovery from the issuer (`/.well-known/openid-configuration`);
//! - **authorisation code + PKCE S256** with a loopback redirect listener on
//!   `http://127.0.0.1:<random port>/callback` (RFC 8252); `acr_values=eidas1`, scopes
//!   `openid scope_all`; the `iss` of the redirect is checked (RFC 9207), and required when
//!   the provider announces `authorization_response_iss_parameter_supported`;
//! - **CIBA** (poll mode) when the provider advertises `backchannel_authentication_endpoint`;
//! - refresh (the provider rotates refresh tokens: keep the new one) and revocation;
//! - the ID token is verified by `openidconnect` (signature against the provider's JWKS,
//!   issuer, audience, expiry, nonce) and its PSC claims read into [`PscIdentity`]; every
//!   ID token (code flow, CIBA, refresh) must say `acr=eidas1`, and a sign-in without an ID
//!   token is refused.
//!
//! HTTP goes through `ureq` with the operator's [`TlsPolicy`] (IGC-Santé anchors only).
//! Tokens are never logged and `Debug` hides them; access tokens are never written to disk.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthenticationContextClass, AuthorizationCode,
    Client, ClientId, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IdTokenFields, IssuerUrl, LoginHint, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, ProviderMetadata, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse as _,
};
use relais_core::{BoxAddress, NationalId, Person};
use serde::{Deserialize, Serialize};

use crate::profile::PscSettings;
use crate::tls::{TlsError, TlsPolicy};

/// Claims Pro Santé Connect adds to the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PscClaims {
    #[serde(
        rename = "SubjectNameID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subject_name_id: Option<String>,
    #[serde(
        rename = "SubjectRefPro",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subject_ref_pro: Option<serde_json::Value>,
}
impl AdditionalClaims for PscClaims {}

/// Discovery fields `openidconnect` does not model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PscMetadataExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_authentication_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 9207: the provider puts `iss` in its authorisation responses; then a redirect
    /// without it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for PscMetadataExtra {}

type Metadata = ProviderMetadata<
    PscMetadataExtra,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type PscIdTokenFields = IdTokenFields<
    PscClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type PscTokenResponse = StandardTokenResponse<PscIdTokenFields, CoreTokenType>;
type PscClient = Client<
    PscClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    PscTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A Pro Santé Connect failure. French messages: they reach the user.
#[derive(Debug, thiserror::Error)]
pub enum PscError {
    #[error("Pro Santé Connect ({issuer}) est injoignable ou mal configuré : {detail}")]
    Discovery { issuer: String, detail: String },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("La connexion Pro Santé Connect n'a pas abouti dans le délai imparti.")]
    Timeout,
    #[error("Pro Santé Connect a refusé la connexion : {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error(
        "Votre session Pro Santé Connect a pris fin : reconnectez-vous avec votre carte e-CPS."
    )]
    SessionEnded,
    #[error("La réponse de Pro Santé Connect n'a pas pu être vérifiée : {detail}")]
    InvalidResponse { detail: String },
    #[error("Ce fournisseur ne propose pas l'authentification sur mobile (CIBA).")]
    CibaUnavailable,
    #[error("Pro Santé Connect a authentifié la personne à un niveau insuffisant ({}) : MSSanté exige le niveau eidas1 (carte CPS ou e-CPS).", .acr.as_deref().unwrap_or("non indiqué"))]
    InsufficientLevel { acr: Option<String> },
    #[error("Erreur de communication avec Pro Santé Connect : {detail}")]
    Http { detail: String },
}

/// Who signed in, from the verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PscIdentity {
    /// `SubjectNameID`: `8` + RPPS or `0` + ADELI.
    pub national_id: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    /// An `email` claim, when the provider sends one: only a hint of the person's own box
    /// (Pro Santé Connect documents none; the box is found by national identifier in the
    /// Annuaire Santé).
    pub email: Option<String>,
    /// Authentication level (`eidas1`).
    pub acr: Option<String>,
    /// `SubjectRefPro` as sent (professions and activities).
    pub subject_ref_pro: Option<serde_json::Value>,
}

impl PscIdentity {
    /// The [`Person`] this identity describes; `own_box` is the `email` hint, if any.
    pub fn to_person(&self) -> Result<Person, PscError> {
        let bad = |detail: String| PscError::InvalidResponse { detail };
        let national_id = NationalId::parse(&self.national_id).map_err(|e| bad(e.to_string()))?;
        let own_box = match &self.email {
            Some(e) => Some(BoxAddress::parse(e).map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        Ok(Person {
            national_id,
            given_name: self.given_name.clone().unwrap_or_default(),
            family_name: self.family_name.clone().unwrap_or_default(),
            login: self
                .preferred_username
                .clone()
                .unwrap_or_else(|| self.national_id.clone()),
            own_box,
            profession: String::new(),
            identity: relais_core::IdentitySource::ProSanteConnect,
        })
    }
}

/// Tokens of a sign-in or a refresh. `Debug` hides them.
#[derive(Clone)]
pub struct PscTokens {
    /// For IMAP/SMTP XOAUTH2. Keep in memory only.
    pub access_token: String,
    /// Rotated at every refresh: store the new one (see [`crate::secrets`]).
    pub refresh_token: Option<String>,
    /// When the access token expires (from `expires_in`).
    pub expires_at: Option<SystemTime>,
    /// The verified identity (absent if the response had no ID token).
    pub identity: Option<PscIdentity>,
}

impl std::fmt::Debug for PscTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PscTokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .field("identity", &self.identity)
            .finish()
    }
}

/// Options of the code flow.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    /// Preselect a person at the provider (national id).
    pub login_hint: Option<String>,
    /// Ask the person to authenticate again even with a live provider session.
    pub force_login: bool,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

impl Default for SignInOptions {
    fn default() -> Self {
        SignInOptions {
            login_hint: None,
            force_login: true,
            timeout: Duration::from_secs(300),
        }
    }
}

/// The HTTP client `openidconnect` calls: ureq with our TLS, 4xx/5xx bodies kept.
struct Http(ureq::Agent);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

impl openidconnect::SyncHttpClient for Http {
    type Error = HttpError;

    fn call(
        &self,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, HttpError> {
        let mut req = self
            .0
            .request(request.method().as_str(), &request.uri().to_string());
        for (name, value) in request.headers() {
            let value = value
                .to_str()
                .map_err(|_| HttpError(format!("en-tête {name} invalide")))?;
            req = req.set(name.as_str(), value);
        }
        let result =
            if request.body().is_empty() && request.method() == openidconnect::http::Method::GET {
                req.call()
            } else {
                req.send_bytes(request.body())
            };
        let resp = match result {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(ureq::Error::Transport(t)) => return Err(HttpError(transport_detail(&t))),
        };
        let mut builder = openidconnect::http::Response::builder().status(resp.status());
        if let Some(ct) = resp.header("content-type") {
            builder = builder.header("content-type", ct);
        }
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader().take_limit(), &mut body)
            .map_err(|e| HttpError(e.to_string()))?;
        builder.body(body).map_err(|e| HttpError(e.to_string()))
    }
}

trait TakeLimit: std::io::Read + Sized {
    fn take_limit(self) -> std::io::Take<Self> {
        self.take(4 * 1024 * 1024)
    }
}
impl<R: std::io::Read> TakeLimit for R {}

fn transport_detail(t: &ureq::Transport) -> String {
    let mut detail = t.to_string();
    if let Some(source) = std::error::Error::source(t) {
        if let Some(tls) = TlsError::find_in(source, "") {
            detail = tls.to_string();
        }
    }
    detail
}

/// The flow an ID token comes from: a sign-in (code or CIBA) must return one, a refresh may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Code,
    Ciba,
    Refresh,
}

/// The authentication level every ID token must carry (`acr`).
const REQUIRED_ACR: &str = "eidas1";

/// A discovered Pro Santé Connect provider for one client.
pub struct ProSanteConnect {
    metadata: Metadata,
    client_id: String,
    http: Http,
}

impl std::fmt::Debug for ProSanteConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProSanteConnect")
            .field("issuer", &self.metadata.issuer().as_str())
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl ProSanteConnect {
    /// Fetch the provider's discovery document and keys.
    pub fn discover(settings: &PscSettings, tls: &TlsPolicy) -> Result<ProSanteConnect, PscError> {
        let http = Http(tls.http_agent()?);
        let issuer_err = |detail: String| PscError::Discovery {
            issuer: settings.issuer.clone(),
            detail,
        };
        let issuer =
            IssuerUrl::new(settings.issuer.clone()).map_err(|e| issuer_err(e.to_string()))?;
        let metadata = Metadata::discover(&issuer, &http).map_err(|e| {
            let mut detail = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                detail = format!("{detail} : {s}");
                source = s.source();
            }
            issuer_err(detail)
        })?;
        Ok(ProSanteConnect {
            metadata,
            client_id: settings.client_id.clone(),
            http,
        })
    }

    pub fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    /// Whether the provider offers CIBA (sign-in approved on the person's phone).
    pub fn supports_ciba(&self) -> bool {
        self.metadata
            .additional_metadata()
            .backchannel_authentication_endpoint
            .is_some()
    }

    fn client(&self) -> PscClient {
        Client::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.client_id.clone()),
            None,
        )
    }

    /// Authorisation code flow with PKCE: listen on a loopback port, call `open_browser`
    /// with the provider's URL (it must not block: the app opens the system browser), wait
    /// for the redirect, exchange the code and verify the ID token.
    pub fn sign_in(&self, open_browser: &dyn Fn(&str)) -> Result<PscTokens, PscError> {
        self.sign_in_with(open_browser, &SignInOptions::default())
    }

    /// [`Self::sign_in`] with options.
    pub fn sign_in_with(
        &self,
        open_browser: &dyn Fn(&str),
        options: &SignInOptions,
    ) -> Result<PscTokens, PscError> {
        let http_err = |e: std::io::Error| PscError::Http {
            detail: e.to_string(),
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(http_err)?;
        let port = listener.local_addr().map_err(http_err)?.port();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let client = self
            .client()
            .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| PscError::Http {
                detail: e.to_string(),
            })?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("scope_all".into()))
            .add_auth_context_value(AuthenticationContextClass::new("eidas1".into()))
            .set_pkce_challenge(challenge);
        if let Some(hint) = &options.login_hint {
            request = request.set_login_hint(LoginHint::new(hint.clone()));
        }
        if options.force_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();

        open_browser(url.as_str());
        let iss_required = self
            .metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true);
        let code = wait_for_code(
            &listener,
            state.secret(),
            self.issuer(),
            iss_required,
            options.timeout,
        )?;

        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| PscError::Discovery {
                issuer: self.issuer().to_string(),
                detail: e.to_string(),
            })?
            .set_pkce_verifier(verifier)
            .request(&self.http)
            .map_err(token_error)?;
        self.tokens(&client, &response, Flow::Code, Some(&nonce))
    }

    /// CIBA (poll mode): ask the provider to authenticate `login_hint` (national id) out of
    /// band, and poll the token endpoint at the interval it gives.
    pub fn sign_in_ciba(&self, login_hint: &str) -> Result<PscTokens, PscError> {
        let endpoint = self
            .metadata
            .additional_metadata()
            .backchannel_authentication_endpoint
            .clone()
            .ok_or(PscError::CibaUnavailable)?;
        let token_url = self
            .metadata
            .token_endpoint()
            .ok_or(PscError::CibaUnavailable)?
            .to_string();
        let started: serde_json::Value = self.post_form(
            &endpoint,
            &[
                ("client_id", self.client_id.as_str()),
                ("scope", "openid scope_all"),
                ("login_hint", login_hint),
                ("acr_values", "eidas1"),
            ],
        )?;
        let auth_req_id = started["auth_req_id"]
            .as_str()
            .ok_or_else(|| denied(&started))?
            .to_string();
        let mut interval = started["interval"].as_u64().unwrap_or(5).max(1);
        let deadline =
            Instant::now() + Duration::from_secs(started["expires_in"].as_u64().unwrap_or(120));
        loop {
            if Instant::now() >= deadline {
                return Err(PscError::Timeout);
            }
            std::thread::sleep(Duration::from_secs(interval));
            let (status, body) = self.post_form_raw(
                &token_url,
                &[
                    ("grant_type", "urn:openid:params:grant-type:ciba"),
                    ("auth_req_id", auth_req_id.as_str()),
                    ("client_id", self.client_id.as_str()),
                ],
            )?;
            if status == 200 {
                let response: PscTokenResponse =
                    serde_json::from_slice(&body).map_err(|e| PscError::InvalidResponse {
                        detail: e.to_string(),
                    })?;
                return self.tokens(&self.client(), &response, Flow::Ciba, None);
            }
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            match json["error"].as_str() {
                Some("authorization_pending") => {}
                Some("slow_down") => interval += 5,
                _ => return Err(denied(&json)),
            }
        }
    }

    /// New tokens from a refresh token. The provider rotates refresh tokens: the returned
    /// one replaces the old, which is now used up. `SessionEnded` when refused.
    pub fn refresh(&self, refresh_token: &str) -> Result<PscTokens, PscError> {
        let client = self.client();
        let token = RefreshToken::new(refresh_token.to_string());
        let response = client
            .exchange_refresh_token(&token)
            .map_err(|e| PscError::Discovery {
                issuer: self.issuer().to_string(),
                detail: e.to_string(),
            })?
            .request(&self.http)
            .map_err(token_error)?;
        let mut tokens = self.tokens(&client, &response, Flow::Refresh, None)?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.to_string());
        }
        Ok(tokens)
    }

    /// Revoke a refresh token (sign-out): the provider's session ends.
    pub fn revoke(&self, refresh_token: &str) -> Result<(), PscError> {
        let endpoint = self
            .metadata
            .additional_metadata()
            .revocation_endpoint
            .clone()
            .ok_or_else(|| PscError::InvalidResponse {
                detail: "pas de point de révocation dans la découverte".into(),
            })?;
        let (status, body) = self.post_form_raw(
            &endpoint,
            &[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
                ("client_id", self.client_id.as_str()),
            ],
        )?;
        if status == 200 {
            Ok(())
        } else {
            Err(denied(&serde_json::from_slice(&body).unwrap_or_default()))
        }
    }

    fn tokens(
        &self,
        client: &PscClient,
        response: &PscTokenResponse,
        flow: Flow,
        nonce: Option<&Nonce>,
    ) -> Result<PscTokens, PscError> {
        let invalid = |detail: String| PscError::InvalidResponse { detail };
        let identity = match response.id_token() {
            // A sign-in proves who signed in, and at which level, only with an ID token.
            None if flow != Flow::Refresh => {
                return Err(invalid("pas de jeton d'identité (id_token)".into()))
            }
            None => None,
            Some(id_token) => {
                let verifier = client.id_token_verifier();
                let claims = match nonce {
                    Some(nonce) => id_token.claims(&verifier, nonce),
                    // Refresh and CIBA: no nonce was sent.
                    None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
                }
                .map_err(|e| invalid(e.to_string()))?;
                // Every flow, refresh included: the level the provider vouches for.
                let acr = claims.auth_context_ref().map(|a| a.to_string());
                if acr.as_deref() != Some(REQUIRED_ACR) {
                    return Err(PscError::InsufficientLevel { acr });
                }
                let extra = claims.additional_claims();
                let national_id = extra
                    .subject_name_id
                    .clone()
                    .unwrap_or_else(|| claims.subject().to_string());
                Some(PscIdentity {
                    national_id,
                    given_name: claims
                        .given_name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string()),
                    family_name: claims
                        .family_name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string()),
                    preferred_username: claims.preferred_username().map(|u| u.to_string()),
                    email: claims.email().map(|e| e.to_string()),
                    acr,
                    subject_ref_pro: extra.subject_ref_pro.clone(),
                })
            }
        };
        Ok(PscTokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|r| r.secret().clone()),
            expires_at: response.expires_in().map(|d| SystemTime::now() + d),
            identity,
        })
    }

    fn post_form_raw(&self, url: &str, form: &[(&str, &str)]) -> Result<(u16, Vec<u8>), PscError> {
        let result = self.http.0.post(url).send_form(form);
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                return Err(PscError::Http {
                    detail: transport_detail(&t),
                })
            }
        };
        let status = resp.status();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader().take_limit(), &mut body).map_err(
            |e| PscError::Http {
                detail: e.to_string(),
            },
        )?;
        Ok((status, body))
    }

    fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<serde_json::Value, PscError> {
        let (status, body) = self.post_form_raw(url, form)?;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if status == 200 {
            Ok(json)
        } else {
            Err(denied(&json))
        }
    }
}

fn denied(json: &serde_json::Value) -> PscError {
    PscError::Denied {
        error: json["error"]
            .as_str()
            .unwrap_or("réponse inattendue")
            .to_string(),
        description: json["error_description"].as_str().map(str::to_string),
    }
}

fn token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> PscError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            if *resp.error() == CoreErrorResponseType::InvalidGrant {
                PscError::SessionEnded
            } else {
                PscError::Denied {
                    error: resp.error().to_string(),
                    description: resp.error_description().cloned(),
                }
            }
        }
        RequestTokenError::Request(e) => PscError::Http {
            detail: e.to_string(),
        },
        other => PscError::InvalidResponse {
            detail: other.to_string(),
        },
    }
}

/// Serve the loopback redirect until the provider's callback arrives (or the deadline).
fn wait_for_code(
    listener: &TcpListener,
    state: &str,
    issuer: &str,
    iss_required: bool,
    timeout: Duration,
) -> Result<String, PscError> {
    let deadline = Instant::now() + timeout;
    listener.set_nonblocking(true).map_err(|e| PscError::Http {
        detail: e.to_string(),
    })?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(result) = handle_callback(stream, state, issuer, iss_required) {
                    return result;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(PscError::Timeout);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                return Err(PscError::Http {
                    detail: e.to_string(),
                })
            }
        }
    }
}

/// One request to the listener: `None` if it is not the callback (favicon…).
fn handle_callback(
    mut stream: TcpStream,
    state: &str,
    issuer: &str,
    iss_required: bool,
) -> Option<Result<String, PscError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    if url.path() != "/callback" {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return None;
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let result = if param("state").as_deref() != Some(state) {
        Err(PscError::InvalidResponse {
            detail: "paramètre state inattendu".into(),
        })
    } else if param("iss").is_some_and(|iss| iss != issuer) {
        Err(PscError::InvalidResponse {
            detail: "émetteur (iss) inattendu".into(),
        })
    } else if iss_required && param("iss").is_none() {
        // RFC 9207 §2.4: the provider announced `iss`; a response without it may come from
        // another provider (mix-up attack).
        Err(PscError::InvalidResponse {
            detail: "réponse sans émetteur (iss) alors que le fournisseur l'annonce".into(),
        })
    } else if let Some(error) = param("error") {
        Err(PscError::Denied {
            error,
            description: param("error_description"),
        })
    } else {
        param("code").ok_or_else(|| PscError::InvalidResponse {
            detail: "pas de code d'autorisation".into(),
        })
    };
    let body = if result.is_ok() {
        "<!doctype html><meta charset=\"utf-8\"><title>Relais</title><p>Connexion réussie. Vous pouvez fermer cette fenêtre et revenir à Relais.</p>"
    } else {
        "<!doctype html><meta charset=\"utf-8\"><title>Relais</title><p>La connexion n'a pas abouti. Revenez à Relais pour réessayer.</p>"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One callback request on a loopback socket, answered by `handle_callback`.
    fn callback(query: &str, iss_required: bool) -> Result<String, PscError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("listener");
        let addr = listener.local_addr().expect("address");
        let request = format!("GET /callback?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).expect("connect");
            s.write_all(request.as_bytes()).expect("write");
            let mut answer = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut answer);
            answer
        });
        let (stream, _) = listener.accept().expect("accept");
        let result =
            handle_callback(stream, "S", "https://psc.example", iss_required).expect("a callback");
        let answer = client.join().expect("client");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        result
    }

    #[test]
    fn the_issuer_of_the_redirect_is_checked_and_required_when_announced() {
        let iss = "iss=https%3A%2F%2Fpsc.example";
        assert_eq!(
            callback(&format!("state=S&code=C&{iss}"), true).ok(),
            Some("C".into())
        );
        // Announced (RFC 9207): a redirect without iss is refused.
        let err = callback("state=S&code=C", true).unwrap_err();
        assert!(err.to_string().contains("iss"), "{err}");
        // Not announced: accepted without iss, still refused with another one.
        assert_eq!(callback("state=S&code=C", false).ok(), Some("C".into()));
        let err = callback("state=S&code=C&iss=https%3A%2F%2Fautre.example", false).unwrap_err();
        assert!(err.to_string().contains("iss"), "{err}");
        // The state always.
        assert!(callback(&format!("state=X&code=C&{iss}"), true).is_err());
    }

    #[test]
    fn the_level_error_names_the_level_in_french() {
        let err = PscError::InsufficientLevel {
            acr: Some("eidas0".into()),
        };
        assert!(err.to_string().contains("eidas0"), "{err}");
        assert!(err.to_string().contains("eidas1"), "{err}");
        let err = PscError::InsufficientLevel { acr: None };
        assert!(err.to_string().contains("non indiqué"), "{err}");
    }
}
