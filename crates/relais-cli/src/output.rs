//! Printing: JSON for scripts (stable), aligned text for people.

use std::sync::OnceLock;

use jiff::tz::TimeZone;
use serde::Serialize;

pub fn json<T: Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// The machine's time zone (`TZ`, else `/etc/localtime`), read once: a listing then shows
/// every row in the same zone. jiff falls back to UTC, which `date` then names, when none
/// can be found.
fn local_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(TimeZone::system)
}

/// A date-time for people, in the time zone of the machine they sit at, with the zone
/// named so that a time copied into a ticket stays unambiguous (« 05/12/2026 08:31 CET »).
pub fn date(unix: i64) -> String {
    date_in(unix, local_zone())
}

/// `date` in a given zone (the rule, testable without the machine's zone).
fn date_in(unix: i64, zone: &TimeZone) -> String {
    let (day, time, zone_name) = relais_mail::dates::zoned_date_time(unix, zone);
    format!("{day} {time} {zone_name}")
}

#[cfg(test)]
mod tests {
    use jiff::tz::{Offset, TimeZone};
    use relais_mail::dates::paris_zone;

    use super::date_in;

    #[test]
    fn dates_in_the_persons_zone() {
        // 2026-12-05 07:31 UTC, the example of the issue: 08:31 in Paris.
        assert_eq!(
            date_in(1_796_455_860, &paris_zone()),
            "05/12/2026 08:31 CET"
        );
        // 2026-11-18 11:06 UTC; and in summer, two hours ahead.
        assert_eq!(
            date_in(1_795_000_000, &paris_zone()),
            "18/11/2026 12:06 CET"
        );
        assert_eq!(
            date_in(1_782_909_120, &paris_zone()),
            "01/07/2026 14:32 CEST"
        );
        assert_eq!(date_in(0, &TimeZone::UTC), "01/01/1970 00:00 UTC");
        // La Réunion as a fixed offset (tzdb names it « +04 »): the offset is spelled out.
        let reunion = TimeZone::fixed(Offset::constant(4));
        assert_eq!(
            date_in(1_796_455_860, &reunion),
            "05/12/2026 11:31 UTC+04:00"
        );
    }

    #[test]
    fn the_machines_zone_gives_a_complete_date() {
        // Whatever the machine's zone, the shape holds: day, time, zone name.
        let text = super::date(1_796_455_860);
        let parts: Vec<&str> = text.split(' ').collect();
        assert_eq!(parts.len(), 3, "{text}");
        assert_eq!(parts[0].len(), 10, "{text}");
        assert_eq!(parts[1].len(), 5, "{text}");
        assert!(!parts[2].is_empty(), "{text}");
    }
}
