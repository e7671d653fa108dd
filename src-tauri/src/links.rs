//! Links clicked in a message. The reader's iframe is sandboxed with `allow-popups` only (no
//! scripts, no same origin), and its document opens every link in a new window
//! (`<base target="_blank">`); the webview asks this module instead of opening one. Nothing is
//! ever loaded in the app: a web link is handed to the UI, which shows its real target and
//! opens it in the system browser only when the person confirms; a `mailto:` link becomes a
//! new message. Every other scheme is dropped.

use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Emitter, Runtime, Url};

use crate::dto;

/// What a click on `url` in a message may become.
pub fn requested_link(url: &Url) -> Option<dto::LinkRequest> {
    match url.scheme() {
        "http" | "https" => Some(dto::LinkRequest {
            url: url.as_str().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
            mailto: None,
        }),
        "mailto" => {
            // `mailto:a@b?subject=…`: only the address is taken, never a body or headers.
            let address = url.path().split(',').next().unwrap_or_default();
            let address = percent_decode(address);
            (!address.is_empty() && address.contains('@')).then(|| dto::LinkRequest {
                url: url.as_str().to_owned(),
                host: String::new(),
                mailto: Some(address),
            })
        }
        _ => None,
    }
}

/// The webview's answer to a new-window request: never a window; the link, if it is one a
/// person may follow, goes to the UI as an event.
pub fn on_new_window<R: Runtime>(app: &AppHandle<R>, url: Url) -> NewWindowResponse<R> {
    if let Some(request) = requested_link(&url) {
        // A lost event (window closing) only loses a click.
        let _ = app.emit(dto::EVENT_LINK_REQUESTED, request);
    }
    NewWindowResponse::Deny
}

fn percent_decode(text: &str) -> String {
    relais_mail::encoding::percent_decode_lossy(text)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str) -> Option<dto::LinkRequest> {
        requested_link(&Url::parse(text).expect("a URL"))
    }

    #[test]
    fn web_links_go_to_the_ui_with_their_host() {
        let request = link("https://www.esante.gouv.fr/mssante?x=1").expect("a web link");
        assert_eq!(request.url, "https://www.esante.gouv.fr/mssante?x=1");
        assert_eq!(request.host, "www.esante.gouv.fr");
        assert_eq!(request.mailto, None);
        assert!(link("http://exemple.fr/").is_some());
    }

    #[test]
    fn mailto_gives_the_address_only() {
        let request = link("mailto:jacques.leroy%40cardio-pau.mssante.fr?subject=x&body=y")
            .expect("a mailto link");
        assert_eq!(
            request.mailto.as_deref(),
            Some("jacques.leroy@cardio-pau.mssante.fr")
        );
        assert_eq!(link("mailto:?subject=x"), None);
    }

    #[test]
    fn other_schemes_are_dropped() {
        for url in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "about:srcdoc#section",
            "tel:+33100000000",
        ] {
            assert_eq!(link(url), None, "{url}");
        }
    }
}
