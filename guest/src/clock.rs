//! Time, as receipts record it and as index expiry is judged: RFC 3339.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Now, in UTC, to the second: `2026-11-26T08:00:00Z`.
pub fn now() -> String {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .expect("RFC 3339 formats any UTC time")
}

/// `seconds` from now, as `now` writes it; `None` past what RFC 3339 can
/// write (the year 9999).
pub fn after(seconds: u64) -> Option<String> {
    let seconds = i64::try_from(seconds).ok()?;
    let then = OffsetDateTime::now_utc().checked_add(time::Duration::seconds(seconds))?;
    then.replace_nanosecond(0)
        .unwrap_or(then)
        .format(&Rfc3339)
        .ok()
}

/// Parses an RFC 3339 timestamp (any offset).
pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("not an RFC 3339 time ({e})"))
}

/// Whether `when` has passed.
pub fn is_past(when: OffsetDateTime) -> bool {
    when <= OffsetDateTime::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_rfc3339_utc_to_the_second() {
        let t = now();
        assert!(parse(&t).is_ok(), "{t}");
        assert!(t.ends_with('Z') && !t.contains('.'), "{t}");
    }

    #[test]
    fn after_is_in_the_future() {
        assert!(!is_past(parse(&after(3600).unwrap()).unwrap()));
        assert!(parse(&after(0).unwrap()).unwrap() <= OffsetDateTime::now_utc());
        assert_eq!(after(10_000 * 366 * 86_400), None);
        assert_eq!(after(u64::MAX), None);
    }

    #[test]
    fn offsets_are_understood() {
        let a = parse("2030-01-01T02:00:00+02:00").unwrap();
        let b = parse("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(!is_past(a));
        assert!(is_past(parse("2001-01-01T00:00:00Z").unwrap()));
        assert!(parse("tomorrow").is_err());
        assert!(parse("2030-01-01").is_err());
    }
}
