//! Small text helpers shared by the modules: display cleaning, French dates, subjects.

/// Bidirectional controls that can disguise a name (« facture\u{202E}fdp.exe »).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A header text fit for one line of display: whitespace controls become spaces, other
/// control and bidi characters are removed, runs of spaces collapse, ends trimmed.
pub(crate) fn one_line(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in input.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else if c.is_control() || is_bidi_control(c) {
            continue;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A file name safe to show and to save: one line, no path separators, no leading dots.
pub(crate) fn safe_filename(input: &str) -> String {
    let line = one_line(input);
    let replaced: String = line
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            other => other,
        })
        .collect();
    let trimmed = replaced.trim_start_matches(['.', ' ']).trim();
    trimmed.chars().take(200).collect()
}

/// The subject without its reply/forward prefixes (« Re: », « RE : », « TR: », « Fwd: »…),
/// however many, in any case.
pub(crate) fn strip_subject_prefixes(subject: &str) -> &str {
    const PREFIXES: [&str; 9] = ["re", "tr", "fwd", "fw", "réf", "ref", "aw", "wg", "rép"];
    let mut rest = subject.trim_start();
    'outer: loop {
        for prefix in PREFIXES {
            if let Some(head) = rest.get(..prefix.len()) {
                if head.to_lowercase() == prefix {
                    let after = rest[prefix.len()..].trim_start_matches(' ');
                    // « Re[2]: » as some clients write it.
                    let after = match after.strip_prefix('[') {
                        Some(inner) => match inner.find(']') {
                            Some(end) if inner[..end].chars().all(|c| c.is_ascii_digit()) => {
                                &inner[end + 1..]
                            }
                            _ => after,
                        },
                        None => after,
                    };
                    let after = after.trim_start_matches(' ');
                    if let Some(after) = after.strip_prefix(':') {
                        rest = after.trim_start();
                        continue 'outer;
                    }
                }
            }
        }
        return rest;
    }
}

/// Text quoted for a reply: each line prefixed with `> ` (`>` alone for an empty line).
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20 + 8);
    for line in text.trim_end().lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            out.push_str(">\n");
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Strips one pair of angle brackets and surrounding spaces from a message id.
pub(crate) fn bare_id(id: &str) -> String {
    let t = id.trim();
    let t = t.strip_prefix('<').unwrap_or(t);
    let t = t.strip_suffix('>').unwrap_or(t);
    t.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_stripped() {
        assert_eq!(
            strip_subject_prefixes("Re: RE : TR: Fwd: Bonjour"),
            "Bonjour"
        );
        assert_eq!(strip_subject_prefixes("Re[2]: Bonjour"), "Bonjour");
        assert_eq!(strip_subject_prefixes("Rendez-vous"), "Rendez-vous");
        assert_eq!(strip_subject_prefixes("Trajet: x"), "Trajet: x");
        assert_eq!(strip_subject_prefixes("Réf : dossier"), "dossier");
    }

    #[test]
    fn cleaning() {
        assert_eq!(one_line("  a\r\n\tb\u{202E}c\u{0}  "), "a bc");
        assert_eq!(safe_filename("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(quote("a\n\n> b"), "> a\n>\n>> b\n");
        assert_eq!(bare_id(" <x@y> "), "x@y");
    }
}
