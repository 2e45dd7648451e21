//! Message headers as a transport carries them: name/value text pairs (MQTT 5 user properties,
//! NATS headers), read into a generated `<Message>Headers` struct and written from one.

use crate::DecodeError;

/// The headers of a direction in which no message declares any: a type without values, since
/// [`Message::headers`](crate::Message::headers) is always `None` there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoHeaders {}

/// Typed headers (a generated `<Message>Headers` struct) from the name/value text pairs a
/// transport carries: the first value of each name counts, and a number or boolean member is
/// read from its text.
pub fn headers_from<H: serde::de::DeserializeOwned>(pairs: &[(String, String)]) -> Result<H, DecodeError> {
    let mut first: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if !first.iter().any(|(seen, _)| seen == name) {
            first.push((name, value));
        }
    }
    // The pairs go through the form encoding, whose deserializer reads typed values from text.
    let encoded = serde_urlencoded::to_string(&first).map_err(|e| DecodeError::Headers { reason: e.to_string() })?;
    serde_urlencoded::from_str(&encoded).map_err(|e| DecodeError::Headers { reason: e.to_string() })
}

/// `headers_from` for the headers of the document's message `message`, whose name the error
/// gives.
pub fn message_headers<H: serde::de::DeserializeOwned>(
    message: &'static str,
    pairs: &[(String, String)],
) -> Result<H, DecodeError> {
    headers_from(pairs).map_err(|e| match e {
        DecodeError::Headers { reason } => DecodeError::Headers { reason: format!("`{message}`: {reason}") },
        other => other,
    })
}

/// The name/value text pairs of typed headers, members without a value left out.
#[cfg(any(feature = "mqtt", feature = "nats"))]
pub(crate) fn headers_to<H: serde::Serialize>(headers: &H) -> Result<Vec<(String, String)>, String> {
    let encoded = serde_urlencoded::to_string(headers).map_err(|e| format!("the headers cannot be sent: {e}"))?;
    serde_urlencoded::from_str(&encoded).map_err(|e| format!("the headers cannot be sent: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Headers {
        #[serde(rename = "X-Tenant")]
        tenant: String,
        #[serde(rename = "X-Retry-Count", skip_serializing_if = "Option::is_none")]
        retries: Option<i64>,
        #[serde(rename = "X-Replay", default)]
        replay: bool,
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn headers_are_read_typed_and_a_missing_one_names_the_message() {
        let got: Headers =
            headers_from(&pairs(&[("X-Tenant", "a&b = c"), ("X-Retry-Count", "3"), ("X-Tenant", "second")]))
                .expect("typed");
        assert_eq!(got, Headers { tenant: "a&b = c".into(), retries: Some(3), replay: false });
        let missing =
            message_headers::<Headers>("orderPlaced", &pairs(&[("X-Retry-Count", "3")])).expect_err("no tenant");
        assert!(missing.to_string().contains("`orderPlaced`: missing field `X-Tenant`"), "{missing}");
        let wrong = headers_from::<Headers>(&pairs(&[("X-Tenant", "t"), ("X-Retry-Count", "three")]));
        assert!(matches!(wrong, Err(DecodeError::Headers { .. })), "{wrong:?}");
    }

    #[test]
    #[cfg(any(feature = "mqtt", feature = "nats"))]
    fn headers_are_written_as_pairs_and_read_back() {
        let sent = Headers { tenant: "t 1".into(), retries: None, replay: true };
        assert_eq!(headers_to(&sent), Ok(pairs(&[("X-Tenant", "t 1"), ("X-Replay", "true")])));
        assert_eq!(headers_from::<Headers>(&headers_to(&sent).expect("pairs")), Ok(sent));
    }
}
