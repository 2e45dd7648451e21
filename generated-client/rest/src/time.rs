//! The service's timestamps, which are not all RFC 3339 (`2025-09-21T18:06:08+0000`, D6;
//! `2025-09-17T07:36:52.078000+0000`, D11), read into instants that compare.

/// The instant `text` names, or `None` when it is no ISO 8601 date-time with an offset.
pub(crate) fn parse(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    text.parse::<jiff::Timestamp>().ok().or_else(|| jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.f%z", text).ok())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_form_the_documentation_shows_is_read() {
        let forms = [
            ("2025-09-17T12:21:49.566Z", "2025-09-17T12:21:49.566Z"),
            ("2025-09-21T18:06:08+0000", "2025-09-21T18:06:08Z"),
            ("2025-09-17T07:36:52.078000+0000", "2025-09-17T07:36:52.078Z"),
            ("2026-08-11T02:26:46Z", "2026-08-11T02:26:46Z"),
            ("2026-08-11T04:26:46+02:00", "2026-08-11T02:26:46Z"),
        ];
        for (text, instant) in forms {
            assert_eq!(parse(text).map(|t| t.to_string()).as_deref(), Some(instant), "{text}");
        }
    }

    #[test]
    fn text_without_an_offset_or_date_is_not_an_instant() {
        for text in ["", "yesterday", "2025-09-17T12:21:49", "2025-09-17"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
