//! Dates as Relais shows them, computed by `jiff` (no hand-written calendar arithmetic).
//!
//! Pure: no clock and no time zone database is read (a caller that shows times in the
//! machine's own zone reads it and passes it in). French time is the EU rule
//! (`CET-1CEST,M3.5.0,M10.5.0/3`: summer time from the last Sunday of March to the last
//! Sunday of October, 01:00 UTC), in force since 1996, given to `jiff` as a POSIX TZ string.

use std::sync::OnceLock;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// Metropolitan French time (see the module documentation).
const PARIS_POSIX_TZ: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

fn paris() -> &'static TimeZone {
    static PARIS: OnceLock<TimeZone> = OnceLock::new();
    PARIS.get_or_init(|| {
        // The rule is a constant that parses; a fixed +01:00 only if jiff ever refused it.
        TimeZone::posix(PARIS_POSIX_TZ).unwrap_or_else(|_| TimeZone::fixed(Offset::constant(1)))
    })
}

/// `unix` as a timestamp, clamped to what `jiff` represents (years -9999 to 9999).
fn timestamp(unix: i64) -> Timestamp {
    Timestamp::from_second(unix).unwrap_or(if unix < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// (« 14/11/2026 », « 10:32 ») of a date-time.
fn day_and_time(local: DateTime) -> (String, String) {
    (
        format!(
            "{:02}/{:02}/{:04}",
            local.day(),
            local.month(),
            local.year()
        ),
        format!("{:02}:{:02}", local.hour(), local.minute()),
    )
}

/// (« 14/11/2026 », « 10:32 ») for a unix time seen at `offset_minutes` from UTC (as a
/// message's `Date:` gives it); an offset beyond ±25:59 is taken as UTC.
pub fn french_date_time(unix: i64, offset_minutes: i32) -> (String, String) {
    let offset = offset_minutes
        .checked_mul(60)
        .and_then(|seconds| Offset::from_seconds(seconds).ok())
        .unwrap_or(Offset::UTC);
    day_and_time(offset.to_datetime(timestamp(unix)))
}

/// Offset of metropolitan French time from UTC at `unix`, in minutes (60 or 120).
pub fn paris_offset_minutes(unix: i64) -> i32 {
    paris().to_offset(timestamp(unix)).seconds() / 60
}

/// (« 16/11/2026 », « 14:32 ») for a unix time in metropolitan French time.
pub fn paris_date_time(unix: i64) -> (String, String) {
    day_and_time(paris().to_datetime(timestamp(unix)))
}

/// Metropolitan French time as a zone, for callers that need one without reading the
/// machine's (the CLI's tests, a machine whose zone cannot be found).
pub fn paris_zone() -> TimeZone {
    paris().clone()
}

/// (« 05/12/2026 », « 08:31 », « CET ») for a unix time seen in `zone`. The last part names
/// the zone as people read it: its lettered abbreviation (« CET », « CEST », « UTC »), or,
/// for zones that have only a number (« -03 », a fixed offset), « UTC-03:00 ».
pub fn zoned_date_time(unix: i64, zone: &TimeZone) -> (String, String, String) {
    let at = timestamp(unix);
    let info = zone.to_offset_info(at);
    let abbreviation = info.abbreviation();
    let name = if !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic())
    {
        abbreviation.to_owned()
    } else {
        utc_offset(info.offset())
    };
    let (day, time) = day_and_time(zone.to_datetime(at));
    (day, time, name)
}

/// « UTC », « UTC+01:00 », « UTC-03:30 ».
fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// « 14:32 » when `unix` falls on the same French day as `now`, else « le 16/11/2026 à
/// 14:32 ».
pub fn french_when(unix: i64, now: i64) -> String {
    let (t, n) = (
        paris().to_datetime(timestamp(unix)),
        paris().to_datetime(timestamp(now)),
    );
    let (day, time) = day_and_time(t);
    if t.date() == n.date() {
        time
    } else {
        format!("le {day} à {time}")
    }
}

/// A unix time as HL7 writes it in UTC, `YYYYMMDDHHMMSS` (the `creationTime` and
/// `submissionTime` of an IHE XDM package).
pub fn hl7_utc_timestamp(unix: i64) -> String {
    let utc = Offset::UTC.to_datetime(timestamp(unix));
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        utc.year(),
        utc.month(),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_at_a_given_offset() {
        // 2026-11-14T09:32:00Z seen from +01:00.
        assert_eq!(
            french_date_time(1_794_648_720, 60),
            ("14/11/2026".to_owned(), "10:32".to_owned())
        );
        assert_eq!(
            french_date_time(0, 0),
            ("01/01/1970".to_owned(), "00:00".to_owned())
        );
        // A negative offset crosses back a day; 29 February of a leap year.
        assert_eq!(
            french_date_time(1_709_172_000, -300),
            ("28/02/2024".to_owned(), "21:00".to_owned())
        );
        assert_eq!(
            french_date_time(1_709_208_000, 0),
            ("29/02/2024".to_owned(), "12:00".to_owned())
        );
        // Before 1970, and absurd inputs, without panicking.
        assert_eq!(
            french_date_time(-86_400, 0),
            ("31/12/1969".to_owned(), "00:00".to_owned())
        );
        assert_eq!(french_date_time(0, i32::MAX).0, "01/01/1970");
        assert!(french_date_time(i64::MAX, 0).0.ends_with("/12/9999"));
        assert_eq!(french_date_time(i64::MIN, 0).1.len(), 5);
    }

    #[test]
    fn times_in_a_given_zone() {
        let paris = paris_zone();
        // 2026-12-05 07:31 UTC is 08:31 in Paris (winter), 2026-07-01 12:32 UTC is 14:32 (summer).
        let winter = 1_796_455_860;
        assert_eq!(
            zoned_date_time(winter, &paris),
            (
                "05/12/2026".to_owned(),
                "08:31".to_owned(),
                "CET".to_owned()
            )
        );
        assert_eq!(
            zoned_date_time(1_782_909_120, &paris),
            (
                "01/07/2026".to_owned(),
                "14:32".to_owned(),
                "CEST".to_owned()
            )
        );
        assert_eq!(
            zoned_date_time(winter, &TimeZone::UTC),
            (
                "05/12/2026".to_owned(),
                "07:31".to_owned(),
                "UTC".to_owned()
            )
        );
        // Zones without a lettered abbreviation are named by their offset.
        let reunion = TimeZone::fixed(Offset::constant(4));
        assert_eq!(
            zoned_date_time(winter, &reunion),
            (
                "05/12/2026".to_owned(),
                "11:31".to_owned(),
                "UTC+04:00".to_owned()
            )
        );
        let newfoundland = TimeZone::posix("<-0330>3:30").expect("a valid POSIX TZ string");
        assert_eq!(
            zoned_date_time(winter, &newfoundland),
            (
                "05/12/2026".to_owned(),
                "04:01".to_owned(),
                "UTC-03:30".to_owned()
            )
        );
        // Out-of-range times are clamped, not a panic.
        assert!(zoned_date_time(i64::MAX, &paris).0.ends_with("/9999"));
    }

    #[test]
    fn french_time() {
        // 2026-11-16 13:32 UTC = 14:32 in Paris (winter); 2026-07-01 12:32 UTC = 14:32.
        assert_eq!(french_when(1_794_835_920, 1_794_835_920 + 60), "14:32");
        assert_eq!(paris_offset_minutes(1_782_909_120), 120);
        assert_eq!(
            french_when(1_794_835_920, 1_794_835_920 + 86_400),
            "le 16/11/2026 à 14:32"
        );
        assert_eq!(
            paris_date_time(1_782_909_120),
            ("01/07/2026".to_owned(), "14:32".to_owned())
        );
        // Summer time starts on 2026-03-29 at 01:00 UTC and ends on 2026-10-25 at 01:00 UTC.
        assert_eq!(paris_offset_minutes(1_774_745_999), 60);
        assert_eq!(paris_offset_minutes(1_774_746_000), 120);
        assert_eq!(paris_offset_minutes(1_792_890_000 - 1), 120);
        assert_eq!(paris_offset_minutes(1_792_890_000), 60);
        // The French day, not the UTC one: 23:30 UTC in summer is already the next day.
        assert_eq!(french_when(1_782_948_600, 1_782_948_600 + 3_600), "01:30");
    }

    #[test]
    fn hl7_timestamps_are_utc() {
        // 14 Nov 2026 10:32:05 in Paris (UTC+1) is 09:32:05 UTC.
        assert_eq!(super::hl7_utc_timestamp(1_794_648_725), "20261114093205");
    }
}
