//! Any HTML in a text/html part, through the display model: the HTML that comes out never
//! holds a `<script`, an `on…=` event handler or a `javascript:` URL — a property of the
//! output, not only "no crash".
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_mail::{MessageDisplay, RemoteContent};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, html)) = data.split_first() else {
        return;
    };
    let html = String::from_utf8_lossy(html);
    let remote = if mode & 1 == 0 {
        RemoteContent::Block
    } else {
        RemoteContent::Allow
    };
    // Bit 1: as a lone text/html message, or beside a text part in multipart/alternative.
    let raw = if mode & 2 == 0 {
        format!(
            "From: a@ch-demo.mssante.fr\r\nSubject: html\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}"
        )
    } else {
        format!(
            "From: a@ch-demo.mssante.fr\r\nSubject: html\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/alternative; boundary=\"=b\"\r\n\r\n--=b\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\ntexte\r\n--=b\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--=b--\r\n"
        )
    };
    let shown = MessageDisplay::from_raw_with(raw.as_bytes(), remote);
    if let Some(out) = &shown.html {
        relais_fuzz_check::assert_inert(out);
    }
});

mod relais_fuzz_check {
    /// The serialised HTML (html5ever's serialiser: `name="value"`, `"` and `&` escaped):
    /// no script element, no event-handler attribute, no `javascript:` in any attribute.
    pub fn assert_inert(html: &str) {
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "script element in {html}");
        let bytes = lower.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) {
                i += 1;
                continue;
            }
            // A start tag: its name, then attributes up to the closing '>'.
            i += 1;
            while i < bytes.len() && !matches!(bytes[i], b' ' | b'>' | b'/') {
                i += 1;
            }
            loop {
                while i < bytes.len() && matches!(bytes[i], b' ' | b'/') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'>' {
                    break;
                }
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'=' | b' ' | b'>') {
                    i += 1;
                }
                let name = &lower[start..i];
                assert!(!name.starts_with("on"), "event handler {name} in {html}");
                if bytes.get(i) == Some(&b'=') && bytes.get(i + 1) == Some(&b'"') {
                    let value_start = i + 2;
                    let end = lower[value_start..]
                        .find('"')
                        .map(|e| value_start + e)
                        .unwrap_or(bytes.len());
                    let value = decode(&lower[value_start..end]);
                    assert!(
                        !scripted(name, &value),
                        "script URL in {name}={value:?} of {html}"
                    );
                    i = end + 1;
                }
            }
        }
    }

    /// Whether an attribute value would run script: a `javascript:`/`vbscript:` URL (as a
    /// browser reads it: leading spaces and controls dropped, tabs and newlines removed
    /// anywhere, any case), or a CSS `url(javascript:…)`/`expression(`. A script scheme
    /// further inside an `https:` URL is only text of its path.
    pub fn scripted(name: &str, value: &str) -> bool {
        let url: String = value
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
            .to_ascii_lowercase();
        let css: String = value
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\''))
            .collect();
        // Attributes a browser follows or loads as URLs (any other, e.g. `width`, is text).
        const URL_ATTRIBUTES: [&str; 17] = [
            "href",
            "src",
            "action",
            "formaction",
            "xlink:href",
            "background",
            "poster",
            "cite",
            "data",
            "srcset",
            "longdesc",
            "lowsrc",
            "dynsrc",
            "usemap",
            "codebase",
            "ping",
            "manifest",
        ];
        let is_url = URL_ATTRIBUTES.contains(&name);
        (is_url
            && (url.starts_with("javascript:")
                || url.starts_with("vbscript:")
                || (name == "srcset" && url.contains("javascript:"))))
            || (name == "style"
                && (css.contains("url(javascript:")
                    || css.contains("url(vbscript:")
                    || css.contains("expression(")))
    }

    /// The few character references the serialiser writes, and numeric ones.
    fn decode(value: &str) -> String {
        let mut out = String::new();
        let mut rest = value;
        while let Some(p) = rest.find('&') {
            out.push_str(&rest[..p]);
            let tail = &rest[p..];
            let end = tail.find(';').filter(|e| *e < 12);
            match end.map(|e| &tail[1..e]) {
                Some("amp") => out.push('&'),
                Some("quot") => out.push('"'),
                Some("lt") => out.push('<'),
                Some("gt") => out.push('>'),
                Some("nbsp") => out.push(' '),
                Some(n) if n.starts_with('#') => {
                    let code = if let Some(h) = n.strip_prefix("#x") {
                        u32::from_str_radix(h, 16).ok()
                    } else {
                        n[1..].parse().ok()
                    };
                    out.extend(code.and_then(char::from_u32));
                }
                _ => {
                    out.push('&');
                    rest = &tail[1..];
                    continue;
                }
            }
            rest = &tail[end.unwrap_or(0) + 1..];
        }
        out.push_str(rest);
        out
    }
}
