//! Printing: JSON for scripts (stable), aligned text for people.

use serde::Serialize;

pub fn json<T: Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// A date-time for people, in UTC, clearly marked (« 18/11/2026 11:06 UTC »).
pub fn date(unix: i64) -> String {
    let (day, time) = relais_mail::dates::french_date_time(unix, 0);
    format!("{day} {time} UTC")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date(0), "01/01/1970 00:00 UTC");
        assert_eq!(super::date(1_795_000_000), "18/11/2026 11:06 UTC");
    }
}
