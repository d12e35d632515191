//! Instants as trailtrim reads and writes them: one accepted grammar for every timestamp that
//! comes in (CloudTrail `eventTime`, exports, IAM policy `Date` condition values, the command
//! line's `--as-of`), and one ISO-8601 form that goes out. Instants are milliseconds since the
//! Unix epoch, UTC.
//!
//! Accepted (the union of what CloudTrail, its exports and IAM's Date operators use):
//!
//! - `YYYY-MM-DD` (midnight UTC);
//! - `YYYY-MM-DD` `T`|`t`|space `HH:MM[:SS[.fraction]]`, then nothing (UTC), `Z`|`z`, or an
//!   offset `±HH:MM`, `±HHMM` or `±HH`; the fraction may have any number of digits (kept to the
//!   millisecond) and `:60` is a leap second;
//! - digits only: seconds since the epoch (IAM accepts epoch times in Date conditions).
//!
//! Surrounding whitespace is ignored.

use chrono::{NaiveDate, NaiveTime};

/// The example named in error messages about times.
pub const EXAMPLE: &str = "2026-10-08T12:00:00Z";

/// Parses a timestamp of the accepted grammar (see the module documentation) to epoch
/// milliseconds; None for anything else.
pub fn parse_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        return s.parse::<i64>().ok().map(|secs| secs.saturating_mul(1000));
    }
    let digits = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |v, c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits(0, 4)? as i32, digits(5, 2)?, digits(8, 2)?)?;
    if b.len() == 10 {
        return Some(date.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (digits(11, 2)?, digits(14, 2)?);
    let mut i = 16;
    let mut second = 0;
    let has_seconds = b.get(i) == Some(&b':');
    if has_seconds {
        second = digits(i + 1, 2)?;
        i += 3;
    }
    let mut milli = 0;
    // A fraction belongs to the seconds: `HH:MM.f` is not a time.
    if has_seconds && b.get(i) == Some(&b'.') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // The first three digits are the milliseconds; further digits are below our precision.
        for k in 0..3 {
            milli = milli * 10 + if k < n { u32::from(b[i + 1 + k] - b'0') } else { 0 };
        }
        i += 1 + n;
    }
    let offset_s: i64 = match &b[i..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest.len() {
                2 => (digits(i + 1, 2)?, 0),
                4 => (digits(i + 1, 2)?, digits(i + 3, 2)?),
                5 if rest[2] == b':' => (digits(i + 1, 2)?, digits(i + 4, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let v = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // chrono represents a leap second as second 59 with 1000+ milliseconds.
    let time = if second == 60 {
        NaiveTime::from_hms_milli_opt(hour, minute, 59, 1000 + milli)?
    } else {
        NaiveTime::from_hms_milli_opt(hour, minute, second, milli)?
    };
    Some(date.and_time(time).and_utc().timestamp_millis() - offset_s * 1000)
}

/// [`parse_ms`] for a value given on the command line or in a file: the error names the value
/// and shows the expected form.
pub fn parse_arg(s: &str) -> Result<i64, String> {
    parse_ms(s).ok_or_else(|| format!("{s:?} is not an ISO-8601 time such as {EXAMPLE}"))
}

/// ISO-8601 UTC with second precision (CloudTrail's own): `2026-10-08T12:00:00Z`. Empty for an
/// instant chrono cannot represent (beyond ±262,000 years).
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2020-01-01T00:00:00Z.
    const T: i64 = 1_577_836_800_000;

    #[test]
    fn accepted_grammar() {
        let rows: &[(&str, i64)] = &[
            // CloudTrail's own form, and the ISO variants IAM Date conditions accept.
            ("2020-01-01T00:00:00Z", T),
            ("2020-01-01t00:00:00z", T),
            ("2020-01-01", T),
            ("2020-01-01T00:00", T),
            ("2020-01-01T00:00Z", T),
            ("2020-01-01T00:00:00", T),
            ("2020-01-01T00:00:00.000Z", T),
            ("2020-01-01T00:00:00.123Z", T + 123),
            ("2020-01-01T00:00:00.1Z", T + 100),
            ("2020-01-01T00:00:00.123456789Z", T + 123),
            ("2020-01-01T00:00:00.5", T + 500),
            // Offsets in every form.
            ("2020-01-01T01:00:00+01:00", T),
            ("2020-01-01T01:00:00+0100", T),
            ("2020-01-01T01:00:00+01", T),
            ("2019-12-31T22:30:00-01:30", T),
            ("2020-01-01T01:00:00.250+01:00", T + 250),
            // Exports (Athena, SIEMs): a space, nanoseconds, UTC.
            ("2020-01-01 00:00:00", T),
            ("2020-01-01 00:00:00.000000000", T),
            ("2020-01-01 00:00:00.000Z", T),
            // Epoch seconds, as IAM accepts.
            ("1577836800", T),
            ("0", 0),
            // Whitespace around.
            (" 2020-01-01T00:00:00Z\n", T),
            // A leap second is the last millisecond-range of its minute.
            ("2016-12-31T23:59:60Z", 1_483_228_800_000),
        ];
        for (text, want) in rows {
            assert_eq!(parse_ms(text), Some(*want), "{text:?}");
        }
    }

    #[test]
    fn rejected() {
        for text in [
            "",
            "yesterday",
            "2020-1-01",
            "2020-01-32",
            "2020-02-30",
            "2020-01-01T",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:60:00Z",
            "2020-01-01T00:00:61Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00ZZ",
            "2020-01-01T00:00:00+1",
            "2020-01-01T00:00:00+01:0",
            "2020-01-01T00:00:00+25:00",
            "2020-01-01X00:00:00Z",
            "2020-01-01T00:00.5",
            "-1577836800",
            "1.5",
        ] {
            assert_eq!(parse_ms(text), None, "{text:?}");
        }
        assert_eq!(parse_arg("soon"), Err(format!("\"soon\" is not an ISO-8601 time such as {EXAMPLE}")));
        assert_eq!(parse_arg("2020-01-01T00:00:00Z"), Ok(T));
    }

    #[test]
    fn formats_what_it_parses() {
        assert_eq!(iso(T), "2020-01-01T00:00:00Z");
        assert_eq!(iso(T + 999), "2020-01-01T00:00:00Z", "second precision, truncated");
        assert_eq!(iso(i64::MAX), "");
        for ms in [0, T, 1_790_000_000_000] {
            assert_eq!(parse_ms(&iso(ms)), Some(ms));
        }
    }
}
