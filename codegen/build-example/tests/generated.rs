//! The code `build.rs` generated works like a generated crate: frames decode into typed
//! messages, the handler gets them, and the client and the relay's source talk to the mock
//! broker.

use std::time::Duration;

use build_script_example::client::{Client, ClientConfig, Event};
use build_script_example::mock::MockBroker;
use build_script_example::servers::EXAMPLES;
use build_script_example::types::VehicleStatusPayload;
use build_script_example::{Handler, Incoming, MessageKind, Outgoing, decode, dispatch, relay};

#[derive(Default)]
struct Vehicles(Vec<String>);

impl Handler for Vehicles {
    fn on_vehicle_status(&mut self, message: VehicleStatusPayload) {
        self.0.push(message.data.vehicle_id);
    }
}

#[test]
fn every_example_decodes_into_its_message() {
    for example in EXAMPLES {
        let kind = if example.received {
            decode(example.json).expect("the spec's examples decode").kind()
        } else {
            Outgoing::decode(example.json).expect("the spec's examples decode").kind()
        };
        assert_eq!(kind, Some(example.message), "{}", example.name);
    }
}

#[test]
fn the_handler_gets_the_typed_payload() {
    let frame = EXAMPLES.iter().find(|e| e.message == MessageKind::VehicleStatus).expect("a status example");
    let mut vehicles = Vehicles::default();
    dispatch(&mut vehicles, decode(frame.json).expect("decodes"));
    assert_eq!(vehicles.0.len(), 1);
    assert!(vehicles.0[0].starts_with("veh_"), "{:?}", vehicles.0);
}

#[tokio::test]
async fn the_client_receives_the_mock_brokers_feed() {
    let broker = MockBroker::builder().interval(Duration::ZERO).start().await.expect("the mock broker starts");
    let auth = EXAMPLES.iter().find(|e| e.message == MessageKind::AuthRequest).expect("an auth example");
    let config = ClientConfig::new(broker.url()).with_on_connect(Outgoing::decode(auth.json).expect("decodes"));
    let mut client = Client::connect(config).expect("valid configuration");
    let message = loop {
        match tokio::time::timeout(Duration::from_secs(10), client.recv()).await.expect("in time") {
            Some(Ok(Event::Message(message))) => break message,
            Some(Ok(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(!matches!(message, Incoming::Unknown(_)), "{message:?}");
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn the_relays_source_keeps_each_frame_as_it_arrived_with_its_message() {
    let broker = MockBroker::builder().interval(Duration::ZERO).start().await.expect("the mock broker starts");
    let auth = EXAMPLES.iter().find(|e| e.message == MessageKind::AuthRequest).expect("an auth example");
    let config = relay::SourceConfig::new(broker.url()).with_on_connect(Outgoing::decode(auth.json).expect("decodes"));
    let mut source = relay::Source::connect(config).expect("valid configuration");
    let frame = loop {
        match tokio::time::timeout(Duration::from_secs(10), source.recv()).await.expect("in time") {
            Some(Ok(relay::SourceEvent::Message(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    // The frame is kept byte for byte, for the stream; its message is decoded beside it.
    let decoded = decode(&frame.text).expect("the mock broker sends the document's examples");
    assert_eq!(frame.decoded.as_ref().map(Incoming::kind), Ok(decoded.kind()));
    assert!(EXAMPLES.iter().any(|e| e.received && e.json == frame.text), "{}", frame.text);
    source.shutdown().await;
    broker.shutdown().await;
}
