//! Pro Santé Connect rules against the local provider: the authentication level (`acr`) on
//! every flow, CIBA included, and the `iss` of the redirect (RFC 9207).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::*;
use relais_net::psc::ProSanteConnect;
use relais_net::PscError;
use relais_testkit::{Options, DEMO_PIN};

fn discover(op: &relais_testkit::Operator) -> ProSanteConnect {
    let p = profile(op);
    ProSanteConnect::discover(p.pro_sante_connect.as_ref().unwrap(), &policy(op)).unwrap()
}

#[test]
fn ciba_with_a_lower_acr_is_refused() {
    let op = start(Options {
        ciba_acr: Some("eidas0".into()),
        ..Options::default()
    });
    let psc = discover(&op);
    let err = psc.sign_in_ciba(MARIE_NATIONAL_ID).unwrap_err();
    assert!(
        matches!(&err, PscError::InsufficientLevel { acr } if acr.as_deref() == Some("eidas0")),
        "{err:?}"
    );
    assert!(err.to_string().contains("niveau"), "{err}");
    assert!(
        op.log("oidc").contains("method=ciba") && op.log("oidc").contains("acr=eidas0"),
        "the provider did report eidas0"
    );
}

/// Sign in through the code flow with the provider's redirect rewritten by `edit`.
fn sign_in_edited(
    op: &relais_testkit::Operator,
    edit: fn(&str) -> String,
) -> Result<relais_net::PscTokens, PscError> {
    let psc = discover(op);
    let tls = policy(op).client_config().unwrap();
    psc.sign_in(&move |url: &str| {
        let (url, tls) = (url.to_string(), tls.clone());
        std::thread::spawn(move || {
            browse_edited(&url, tls, MARIE_NATIONAL_ID, DEMO_PIN, &edit);
        });
    })
}

fn without_iss(callback: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "iss")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        kept.len() < url.query_pairs().count(),
        "the provider sent iss"
    );
    url.query_pairs_mut().clear().extend_pairs(kept);
    url.to_string()
}

fn other_iss(callback: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://attaquant.example".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    url.to_string()
}

#[test]
fn a_redirect_without_iss_or_from_another_issuer_is_refused() {
    let op = start(Options::default());
    let err = sign_in_edited(&op, without_iss).unwrap_err();
    assert!(
        matches!(&err, PscError::InvalidResponse { detail } if detail.contains("iss")),
        "{err:?}"
    );
    let err = sign_in_edited(&op, other_iss).unwrap_err();
    assert!(
        matches!(&err, PscError::InvalidResponse { detail } if detail.contains("iss")),
        "{err:?}"
    );
    // Untouched, the same sign-in succeeds at the required level.
    let tokens = sign_in_edited(&op, |u| u.to_string()).expect("sign-in");
    assert_eq!(tokens.identity.unwrap().acr.as_deref(), Some("eidas1"));
}
