//! What the broker transports ([`crate::mqtt`], [`crate::nats`]) share: their URLs, the
//! subscriptions a side's received channels need, decoding a payload by the address it arrived
//! on, reconnect delays, and checking the address a message is sent to.

use std::collections::BTreeMap;
use std::time::Duration;

use backon::BackoffBuilder as _;

use crate::{Api, DecodeError, Message, MessageKind};

/// A URL scheme a transport takes.
pub(crate) struct Scheme {
    /// `mqtt://`, `nats://`, ...
    pub(crate) prefix: &'static str,
    /// Whether the scheme means TLS.
    pub(crate) tls: bool,
    /// The port when the URL names none.
    pub(crate) port: u16,
}

/// Where a URL points.
#[derive(Debug, PartialEq)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

/// `scheme://host[:port]` → host, port and whether to use TLS, for one of `schemes`.
pub(crate) fn parse_url(url: &str, schemes: &[Scheme]) -> Result<Endpoint, String> {
    let (scheme, rest) = schemes
        .iter()
        .find_map(|scheme| {
            let prefix = scheme.prefix;
            url.get(..prefix.len()).filter(|s| s.eq_ignore_ascii_case(prefix)).map(|_| (scheme, &url[prefix.len()..]))
        })
        .ok_or_else(|| {
            let wanted: Vec<String> = schemes.iter().map(|s| format!("`{}`", s.prefix)).collect();
            format!("`{url}` is not a {} URL with a host", wanted.join(", "))
        })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('{') {
        return Err(format!("`{url}` still has server variables in braces; fill them in"));
    }
    if authority.contains('@') {
        return Err(format!("`{url}`: give credentials with `with_credentials`, not in the URL"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 address in brackets, maybe followed by `:port`.
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']').ok_or_else(|| format!("`{url}`: `[` without `]`"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("`{url}`: `{after}` after the address is not a `:port`")),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().map_err(|_| format!("`{url}`: `{port}` is not a port number"))?,
        None => scheme.port,
    };
    if host.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    Ok(Endpoint { host: host.to_owned(), port, tls: scheme.tls })
}

/// The schemes of MQTT brokers: plain on 1883, TLS on 8883 (`secure-mqtt` is a protocol name
/// AsyncAPI documents use).
#[cfg(feature = "mqtt")]
pub(crate) const MQTT_SCHEMES: &[Scheme] = &[
    Scheme { prefix: "mqtt://", tls: false, port: 1883 },
    Scheme { prefix: "tcp://", tls: false, port: 1883 },
    Scheme { prefix: "mqtt5://", tls: false, port: 1883 },
    Scheme { prefix: "mqtts://", tls: true, port: 8883 },
    Scheme { prefix: "ssl://", tls: true, port: 8883 },
    Scheme { prefix: "secure-mqtt://", tls: true, port: 8883 },
];

/// The schemes of NATS servers: `tls://` requires TLS (the server may also ask for it on a
/// `nats://` connection; the client then upgrades with the same trust).
#[cfg(feature = "nats")]
pub(crate) const NATS_SCHEMES: &[Scheme] =
    &[Scheme { prefix: "nats://", tls: false, port: 4222 }, Scheme { prefix: "tls://", tls: true, port: 4222 }];

/// The subscriptions of the channels `A`'s side receives: one filter per channel address, its
/// parameters as the broker's one-level `wildcard`, with the highest `level` (MQTT `qos`) and the
/// queue group (NATS `queue`) its messages' bindings give.
pub(crate) fn subscriptions<A: Api>(separator: char, wildcard: &str) -> BTreeMap<String, Subscription> {
    let mut filters: BTreeMap<String, Subscription> = BTreeMap::new();
    for kind in A::KINDS.iter().filter(|k| k.is_received()) {
        let filter = crate::address::subscription_filter(kind.address(), separator, wildcard);
        let bindings = kind.bindings();
        let entry = filters.entry(filter).or_default();
        entry.qos = entry.qos.max(bindings.mqtt_qos.unwrap_or(0));
        entry.queue = entry.queue.or(bindings.nats_queue);
    }
    filters
}

/// One subscription: the bindings of the channel's received messages that shape it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// MQTT: the highest `qos` of the channel's received messages.
    pub qos: u8,
    /// NATS: the queue group the subscriber joins.
    pub queue: Option<&'static str>,
}

/// Decodes a payload that arrived on `address`; a payload that is not UTF-8 is a syntax error at
/// its first bad byte.
pub(crate) fn decode<M: Message>(address: &str, payload: &[u8]) -> Result<M, DecodeError> {
    match std::str::from_utf8(payload) {
        Ok(text) => M::decode_at(address, text),
        Err(e) => {
            let valid = &payload[..e.valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            let column = 1 + valid.iter().rev().take_while(|&&b| b != b'\n').count();
            Err(DecodeError::Syntax { line, column, reason: "the payload is not UTF-8 text".to_owned() })
        }
    }
}

/// Exponential reconnect delays with jitter between `min` and `max`, `max_times` of them (or
/// without end).
pub(crate) fn backoff(min: Duration, max: Duration, max_times: Option<usize>) -> backon::ExponentialBackoff {
    let builder = backon::ExponentialBuilder::default().with_min_delay(min).with_max_delay(max).with_jitter();
    match max_times {
        Some(n) => builder.with_max_times(n).build(),
        None => builder.without_max_times().build(),
    }
}

/// Checks what broker transports' `send_to` is given: `address` must be on the channel of
/// `message` and name one topic or subject (no `wildcards`). Returns the message's bindings.
pub(crate) fn check_address<M: Message>(
    address: &str,
    message: &M,
    wildcards: &[char],
) -> Result<crate::Bindings, crate::client::Error> {
    use crate::client::Error;
    if address.contains(wildcards) {
        return Err(Error::Config(format!("`{address}` contains a wildcard; a message goes to one address")));
    }
    match message.kind() {
        Some(kind) if !crate::address::matches_address(kind.address(), address) => {
            Err(Error::Config(format!("`{address}` is not on the channel of `{}` (`{}`)", kind.name(), kind.address())))
        }
        Some(kind) => Ok(kind.bindings()),
        None => Ok(crate::Bindings::NONE),
    }
}

/// The address of `message`'s channel for `send`, which must have no parameters.
pub(crate) fn fixed_address<M: Message>(message: &M) -> Result<(&'static str, crate::Bindings), crate::client::Error> {
    use crate::client::Error;
    let kind = message.kind().ok_or_else(|| {
        Error::Config("a message the document does not describe has no channel; use `send_to`".into())
    })?;
    if kind.address().contains('{') {
        return Err(Error::Config(format!(
            "the channel of `{}` has parameters (`{}`); use `send_to` with the filled-in address",
            kind.name(),
            kind.address()
        )));
    }
    Ok((kind.address(), kind.bindings()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_api::{Frame, TestApi};

    fn at(host: &str, port: u16, tls: bool) -> Result<Endpoint, String> {
        Ok(Endpoint { host: host.to_owned(), port, tls })
    }

    #[test]
    #[cfg(feature = "mqtt")]
    fn mqtt_urls_name_host_port_and_tls() {
        let mqtt = |url| parse_url(url, MQTT_SCHEMES);
        assert_eq!(mqtt("mqtt://127.0.0.1:1884"), at("127.0.0.1", 1884, false));
        assert_eq!(mqtt("MQTT://broker.example"), at("broker.example", 1883, false));
        assert_eq!(mqtt("tcp://[::1]:1885/"), at("::1", 1885, false));
        assert_eq!(mqtt("mqtts://broker.example"), at("broker.example", 8883, true));
        assert_eq!(mqtt("ssl://broker.example:8884"), at("broker.example", 8884, true));
        for bad in ["ws://host", "mqtt://", "mqtt://host:port", "mqtt://test.mosquitto.org:{port}", "mqtt://u:p@h"] {
            assert!(mqtt(bad).is_err(), "{bad}");
        }
    }

    #[test]
    #[cfg(feature = "nats")]
    fn nats_urls_name_host_port_and_tls() {
        let nats = |url| parse_url(url, NATS_SCHEMES);
        assert_eq!(nats("nats://n1"), at("n1", 4222, false));
        assert_eq!(nats("nats://[::1]"), at("::1", 4222, false));
        assert_eq!(nats("tls://n1:4443"), at("n1", 4443, true));
        assert!(nats("nats://[::1").is_err());
        let error = nats("mqtt://n1");
        assert!(error.as_ref().is_err_and(|e| e.contains("`nats://`, `tls://`")), "{error:?}");
    }

    #[test]
    fn received_channels_are_subscribed_with_wildcards_and_bindings() {
        let filters = subscriptions::<TestApi>('/', "+");
        let filters: Vec<(&str, u8, Option<&str>)> =
            filters.iter().map(|(f, s)| (f.as_str(), s.qos, s.queue)).collect();
        assert_eq!(filters, [("test/+/ping", 1, Some("pingers")), ("test/pong", 0, None)]);
    }

    #[test]
    fn payloads_are_decoded_by_address_and_bad_text_is_located() {
        assert!(matches!(decode::<Frame>("test/r1/ping", br#"{"kind":"ping"}"#), Ok(Frame::Ping)));
        assert!(matches!(
            decode::<Frame>("test/pong", b"{\n\"kind\": \xff}"),
            Err(DecodeError::Syntax { line: 2, column: 9, .. })
        ));
        assert!(matches!(decode::<Frame>("elsewhere", br#"{"kind":"ping"}"#), Ok(Frame::Unknown(_))));
    }

    #[test]
    fn sends_are_checked_against_the_channel() {
        assert!(check_address("test/r1/ping", &Frame::Ping, &['+', '#']).is_ok());
        assert!(check_address("test/+/ping", &Frame::Ping, &['+', '#']).is_err());
        assert!(check_address("test/pong", &Frame::Ping, &['+', '#']).is_err());
        assert!(fixed_address(&Frame::Ping).is_err());
        assert_eq!(fixed_address(&Frame::Pong).map(|(a, _)| a).ok(), Some("test/pong"));
    }
}
