//! Timestamps as Kubernetes and the report write them (RFC 3339, UTC, whole seconds), by `jiff`.

use std::time::SystemTime;

use jiff::Timestamp;

/// `2026-11-24T10:00:00Z` for a time (sub-second precision dropped).
pub fn rfc3339(t: SystemTime) -> String {
    let ts = Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH);
    Timestamp::from_second(ts.as_second()).unwrap_or(Timestamp::UNIX_EPOCH).to_string()
}

/// Today's date as `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn today() -> String {
    rfc3339(SystemTime::now()).chars().take(10).collect()
}

/// Seconds since the epoch of an RFC 3339 timestamp (`2026-11-24T10:00:00.123Z`, or with an offset).
pub fn epoch(ts: &str) -> Option<i64> {
    ts.parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_514_400_750);
        assert_eq!(rfc3339(t), "2026-11-24T10:00:00Z");
        assert_eq!(epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch("2026-11-24T10:00:00Z"), Some(1_795_514_400));
        assert_eq!(epoch("2026-11-24T10:00:00.123456Z"), Some(1_795_514_400));
        assert_eq!(epoch("2026-11-24T12:00:00+02:00"), Some(1_795_514_400));
        assert_eq!(epoch("nonsense"), None);
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn dates_are_real_dates() {
        assert!(is_date("2027-01-31"));
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2027-02-29"));
        assert!(!is_date("2027-13-45"));
        assert!(!is_date("2027-1-31"));
        assert!(!is_date("tomorrow"));
    }
}
