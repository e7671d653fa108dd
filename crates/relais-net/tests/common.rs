//! Shared helpers of the integration tests (real local operator, no mocks).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use relais_core::BoxAddress;
use relais_net::{smtp, Credentials, NetError, OperatorProfile, TlsPolicy};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

pub const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
pub const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
pub const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
pub const SOPHIE: &str = "sophie.bernard";
pub const JULIEN: &str = "julien.lemaire";
pub const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
pub const ACCUEIL: &str = "accueil@ehpad-tilleuls.mssante.fr";
pub const MARIE_NATIONAL_ID: &str = "810100000041";

pub fn password(login: &str) -> Credentials {
    Credentials::Password {
        login: login.into(),
        password: DEMO_PASSWORD.into(),
    }
}

/// Marie submits a one-line message to Pierre from her own box.
pub fn submit_as_marie(
    p: &OperatorProfile,
    tls: &TlsPolicy,
) -> Result<smtp::SubmitReport, NetError> {
    smtp::submit(
        p,
        tls,
        &password(MARIE),
        &addr(MARIE),
        &addr(MARIE),
        &[addr(PIERRE)],
        b"Subject: x\r\n\r\nx\r\n",
        false,
    )
}

pub fn start(options: Options) -> Operator {
    Operator::start(options).expect("the local operator starts")
}

pub fn addr(s: &str) -> BoxAddress {
    BoxAddress::parse(s).expect("valid box address")
}

pub fn profile(op: &Operator) -> OperatorProfile {
    OperatorProfile::load(op.profile()).expect("the generated profile loads")
}

/// The profile's policy, CRLs fetched at every connection.
pub fn policy(op: &Operator) -> TlsPolicy {
    TlsPolicy::from_profile(&profile(op))
        .expect("anchors load")
        .with_crl_max_age(Duration::ZERO)
}

/// Each deliberate failure from its own loopback source (Dovecot slows down an address
/// after a failure).
pub fn fresh_source(n: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 10, n]))
}

/// A scripted browser for the provider's login page: follows redirects with cookies,
/// posts the e-CPS form, stops after calling the loopback redirect (our listener).
pub fn browse(url: &str, tls: Arc<rustls::ClientConfig>, national_id: &str, pin: &str) {
    browse_edited(url, tls, national_id, pin, &|callback| callback.to_string())
}

/// [`browse`], with the provider's redirect to the app rewritten by `edit` on the way (an
/// attacker in the browser's path).
pub fn browse_edited(
    url: &str,
    tls: Arc<rustls::ClientConfig>,
    national_id: &str,
    pin: &str,
    edit: &dyn Fn(&str) -> String,
) {
    let agent = ureq::AgentBuilder::new()
        .tls_config(tls)
        .redirects(0)
        .timeout(Duration::from_secs(20))
        .build();
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    let mut url = url.to_string();
    let mut posted = false;
    for _ in 0..12 {
        if url.starts_with("http://127.0.0.1:") {
            url = edit(&url);
        }
        let header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = match agent.get(&url).set("Cookie", &header).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("browser: {e}"),
        };
        if url.starts_with("http://127.0.0.1:") {
            return; // the app's listener answered
        }
        keep_cookies(&mut cookies, &resp);
        if resp.status() == 200 {
            assert!(!posted, "the provider refused the login");
            let page = resp.into_string().expect("page");
            let start = page.find("action=\"").expect("login form") + 8;
            let end = page[start..].find('"').expect("action end") + start;
            let action = url::Url::parse(&url)
                .and_then(|u| u.join(&page[start..end].replace("&amp;", "&")))
                .expect("action url")
                .to_string();
            let header = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let resp = match agent
                .post(&action)
                .set("Cookie", &header)
                .send_form(&[("login", national_id), ("pin", pin)])
            {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(e) => panic!("browser: {e}"),
            };
            keep_cookies(&mut cookies, &resp);
            posted = true;
            url = next(&resp, &action);
        } else {
            url = next(&resp, &url);
        }
    }
    panic!("browser: too many redirects");
}

fn next(resp: &ureq::Response, base: &str) -> String {
    let loc = resp
        .header("location")
        .unwrap_or_else(|| panic!("no redirect (HTTP {})", resp.status()));
    url::Url::parse(base)
        .and_then(|b| b.join(loc))
        .expect("redirect")
        .to_string()
}

fn keep_cookies(cookies: &mut BTreeMap<String, String>, resp: &ureq::Response) {
    for header in resp.all("set-cookie") {
        let pair = header.split(';').next().unwrap_or_default();
        if let Some((k, v)) = pair.split_once('=') {
            cookies.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
}
