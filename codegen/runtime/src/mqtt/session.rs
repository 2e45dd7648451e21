//! The two MQTT versions behind one interface. rumqttc has a client, an event loop and packet
//! types for each (`rumqttc` for 3.1.1, `rumqttc::v5` for 5); the client's background task
//! drives either through [`Session`] and sends through [`Publisher`], so that what a version
//! changes stays in this file.

use bytes::Bytes;
use futures_util::FutureExt as _;
use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5 as packets5;

use super::{MqttConfig, MqttVersion};
use crate::Api;
use crate::client::Error;

/// What the event loop produced that the client acts on.
pub(super) enum Polled {
    /// The broker accepted the session.
    ConnAck { session_present: bool },
    /// A message on a subscribed topic.
    Publish(Arrived),
    /// The broker answered the subscriptions; `refused`: it turned one down.
    SubAck { refused: bool },
    /// The client's own DISCONNECT went out (`shutdown`): the session ends here.
    Disconnecting,
    /// Anything else (pings, acknowledgements).
    Other,
}

/// A PUBLISH as both versions have it.
pub(super) struct Arrived {
    pub(super) topic: String,
    pub(super) payload: Bytes,
    pub(super) retain: bool,
    /// MQTT 5 user properties, in the order received; none on 3.1.1.
    pub(super) properties: Vec<(String, String)>,
}

/// Why a connection attempt or a session ended.
pub(super) enum Ended {
    /// The next poll reconnects; the reason is for people.
    Retry(String),
    /// Reconnecting cannot help: the client stops with this error.
    Stop(Error),
}

/// The event loop of one of the versions; polling it after an error reconnects.
pub(super) enum Session {
    V3(Box<rumqttc::EventLoop>),
    V5(Box<v5::EventLoop>),
}

/// The sending half, cheap to clone.
#[derive(Clone)]
pub(super) enum Publisher {
    V3(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

/// How many sends may wait for the connection (while reconnecting, say).
const REQUEST_QUEUE: usize = 64;

/// The client and event loop of the configured version; fails on TLS certificates that cannot
/// be read.
pub(super) fn open<A: Api>(config: &MqttConfig<A>) -> Result<(Publisher, Session), Error> {
    let id = if config.client_id.is_empty() { default_client_id() } else { config.client_id.clone() };
    let transport = if config.tls {
        let tls = config.trust.client_config().map_err(Error::Config)?;
        Some(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(tls)))
    } else {
        None
    };
    Ok(match config.version {
        MqttVersion::V3_1_1 => {
            let mut options = rumqttc::MqttOptions::new(id, config.host.clone(), config.port);
            options.set_keep_alive(config.keep_alive).set_clean_session(config.clean_session);
            if let Some((user, password)) = &config.credentials {
                options.set_credentials(user.clone(), password.clone());
            }
            if let Some(transport) = transport {
                options.set_transport(transport);
            }
            let (client, eventloop) = rumqttc::AsyncClient::new(options, REQUEST_QUEUE);
            (Publisher::V3(client), Session::V3(Box::new(eventloop)))
        }
        MqttVersion::V5 => {
            let mut options = v5::MqttOptions::new(id, config.host.clone(), config.port);
            options.set_keep_alive(config.keep_alive).set_clean_start(config.clean_session);
            if let Some((user, password)) = &config.credentials {
                options.set_credentials(user.clone(), password.clone());
            }
            if let Some(transport) = transport {
                options.set_transport(transport);
            }
            let (client, eventloop) = v5::AsyncClient::new(options, REQUEST_QUEUE);
            (Publisher::V5(client), Session::V5(Box::new(eventloop)))
        }
    })
}

fn default_client_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("asyncapi-{}-{nanos:08x}", std::process::id())
}

fn qos3(level: u8) -> rumqttc::QoS {
    match level {
        2 => rumqttc::QoS::ExactlyOnce,
        1 => rumqttc::QoS::AtLeastOnce,
        _ => rumqttc::QoS::AtMostOnce,
    }
}

fn qos5(level: u8) -> v5::mqttbytes::QoS {
    match level {
        2 => v5::mqttbytes::QoS::ExactlyOnce,
        1 => v5::mqttbytes::QoS::AtLeastOnce,
        _ => v5::mqttbytes::QoS::AtMostOnce,
    }
}

/// Checks that `headers` fit MQTT 5 user properties: UTF-8 strings of at most 65,535 bytes
/// without U+0000 (MQTT 5, section 1.5.4), which a broker would take for a malformed packet.
pub(super) fn check_properties(headers: &[(String, String)]) -> Result<(), Error> {
    for text in headers.iter().flat_map(|(name, value)| [name, value]) {
        if text.contains('\0') || text.len() > usize::from(u16::MAX) {
            return Err(Error::Send(format!(
                "MQTT cannot carry the header text `{}`: a user property is at most 65,535 bytes, without U+0000",
                text.escape_debug().take(40).collect::<String>()
            )));
        }
    }
    Ok(())
}

impl Publisher {
    /// Queues a PUBLISH, with `headers` as user properties; headers need MQTT 5.
    pub(super) async fn publish(
        &self,
        topic: &str,
        qos: u8,
        retain: bool,
        frame: String,
        headers: Vec<(String, String)>,
    ) -> Result<(), Error> {
        let queued = match self {
            Publisher::V3(client) => {
                if !headers.is_empty() {
                    return Err(Error::Send(
                        "MQTT 3.1.1 carries no headers: connect with `MqttVersion::V5` to send them".into(),
                    ));
                }
                client.publish(topic, qos3(qos), retain, frame).await.is_ok()
            }
            Publisher::V5(client) if headers.is_empty() => {
                client.publish(topic, qos5(qos), retain, frame).await.is_ok()
            }
            Publisher::V5(client) => {
                check_properties(&headers)?;
                let properties = packets5::PublishProperties { user_properties: headers, ..Default::default() };
                client.publish_with_properties(topic, qos5(qos), retain, frame, properties).await.is_ok()
            }
        };
        if queued { Ok(()) } else { Err(Error::Stopped) }
    }

    /// Queues a SUBSCRIBE of every `(filter, qos)`; `false` if the queue is full or gone.
    pub(super) fn try_subscribe(&self, filters: &[(String, u8)]) -> bool {
        match self {
            Publisher::V3(client) => client
                .try_subscribe_many(
                    filters.iter().map(|(path, qos)| rumqttc::SubscribeFilter::new(path.clone(), qos3(*qos))),
                )
                .is_ok(),
            Publisher::V5(client) => client
                .try_subscribe_many(filters.iter().map(|(path, qos)| packets5::Filter::new(path.clone(), qos5(*qos))))
                .is_ok(),
        }
    }

    /// Queues a DISCONNECT.
    pub(super) async fn disconnect(&self) {
        // An error here means the session is gone already: nothing left to end.
        match self {
            Publisher::V3(client) => drop(client.disconnect().await),
            Publisher::V5(client) => drop(client.disconnect().await),
        }
    }
}

impl Session {
    /// The next event if the session has one queued already (the rest of the packets one read
    /// of the socket brought); never waits.
    pub(super) fn ready(&mut self) -> Option<Result<Polled, Ended>> {
        let queued = match self {
            Session::V3(eventloop) => !eventloop.state.events.is_empty(),
            Session::V5(eventloop) => !eventloop.state.events.is_empty(),
        };
        // With an event queued, `poll` returns it before it awaits anything (rumqttc's
        // `EventLoop::select` pops its queue first), so nothing is left half done here.
        if queued { self.poll().now_or_never() } else { None }
    }

    /// The next thing that happened on the session.
    pub(super) async fn poll(&mut self) -> Result<Polled, Ended> {
        match self {
            Session::V3(eventloop) => match eventloop.poll().await {
                Ok(event) => Ok(polled3(event)),
                Err(error) => Err(ended3(&error)),
            },
            Session::V5(eventloop) => match eventloop.poll().await {
                Ok(event) => Ok(polled5(event)),
                Err(error) => Err(ended5(&error)),
            },
        }
    }
}

fn polled3(event: rumqttc::Event) -> Polled {
    use rumqttc::{Event, Packet};
    match event {
        Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck { session_present: ack.session_present },
        Event::Incoming(Packet::Publish(publish)) => Polled::Publish(Arrived {
            topic: publish.topic,
            payload: publish.payload,
            retain: publish.retain,
            properties: Vec::new(),
        }),
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            refused: ack.return_codes.iter().any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure)),
        },
        Event::Outgoing(rumqttc::Outgoing::Disconnect) => Polled::Disconnecting,
        _ => Polled::Other,
    }
}

fn polled5(event: v5::Event) -> Polled {
    use packets5::Packet;
    match event {
        v5::Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck { session_present: ack.session_present },
        v5::Event::Incoming(Packet::Publish(publish)) => Polled::Publish(Arrived {
            // MQTT requires UTF-8 topics; one that is not matches no channel either way.
            topic: String::from_utf8_lossy(&publish.topic).into_owned(),
            payload: publish.payload,
            retain: publish.retain,
            properties: publish.properties.map(|p| p.user_properties).unwrap_or_default(),
        }),
        v5::Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            refused: !ack.return_codes.iter().all(|c| matches!(c, packets5::SubscribeReasonCode::Success(_))),
        },
        v5::Event::Outgoing(rumqttc::Outgoing::Disconnect) => Polled::Disconnecting,
        _ => Polled::Other,
    }
}

fn ended3(error: &rumqttc::ConnectionError) -> Ended {
    use rumqttc::ConnectReturnCode as Code;
    match error {
        rumqttc::ConnectionError::ConnectionRefused(code @ (Code::BadUserNamePassword | Code::NotAuthorized)) => {
            Ended::Stop(Error::Rejected { code: None, reason: format!("the broker refused the session: {code:?}") })
        }
        rumqttc::ConnectionError::ConnectionRefused(code @ Code::BadClientId) => {
            Ended::Stop(Error::Config(format!("the broker refused the client id: {code:?}")))
        }
        rumqttc::ConnectionError::ConnectionRefused(Code::RefusedProtocolVersion) => {
            Ended::Stop(Error::Config("the broker does not speak MQTT 3.1.1".into()))
        }
        other => Ended::Retry(other.to_string()),
    }
}

fn ended5(error: &v5::ConnectionError) -> Ended {
    use packets5::ConnectReturnCode as Code;
    match error {
        v5::ConnectionError::ConnectionRefused(
            code @ (Code::BadUserNamePassword | Code::NotAuthorized | Code::Banned | Code::BadAuthenticationMethod),
        ) => Ended::Stop(Error::Rejected { code: None, reason: format!("the broker refused the session: {code:?}") }),
        v5::ConnectionError::ConnectionRefused(code @ (Code::BadClientId | Code::ClientIdentifierNotValid)) => {
            Ended::Stop(Error::Config(format!("the broker refused the client id: {code:?}")))
        }
        v5::ConnectionError::ConnectionRefused(Code::RefusedProtocolVersion | Code::UnsupportedProtocolVersion) => {
            Ended::Stop(Error::Config("the broker does not speak MQTT 5: connect with `MqttVersion::V3_1_1`".into()))
        }
        other => Ended::Retry(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_properties_a_broker_would_refuse_are_an_error_before_sending() {
        assert!(check_properties(&[("trace".into(), "abc".into())]).is_ok());
        let nul = check_properties(&[("trace".into(), "a\0b".into())]).expect_err("U+0000");
        assert!(nul.to_string().contains("a\\0b"), "{nul}");
        assert!(check_properties(&[("x".repeat(70_000), String::new())]).is_err());
    }

    #[test]
    fn a_refused_protocol_version_stops_the_client_and_says_which() {
        let refused = v5::ConnectionError::ConnectionRefused(packets5::ConnectReturnCode::UnsupportedProtocolVersion);
        assert!(matches!(ended5(&refused), Ended::Stop(Error::Config(e)) if e.contains("MQTT 5")));
        let refused = rumqttc::ConnectionError::ConnectionRefused(rumqttc::ConnectReturnCode::RefusedProtocolVersion);
        assert!(matches!(ended3(&refused), Ended::Stop(Error::Config(e)) if e.contains("3.1.1")));
        let io = rumqttc::ConnectionError::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert!(matches!(ended3(&io), Ended::Retry(_)));
    }
}
