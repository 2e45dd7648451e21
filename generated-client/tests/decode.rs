//! Decoding frames the way the network delivers them: valid pushes, unknown channels, frames
//! without a header, payloads of the wrong shape, and truncated JSON. Every case is a typed value
//! or a typed error, never a panic.

use ctechnology_rt::types::{
    NotificationPriority, VehicleStatus, VehicleStatusPayload, VehicleStatusPayloadHeader,
    VehicleStatusPayloadHeaderChannel,
};
use ctechnology_rt::{Channel, DecodeError, Handler, Incoming, MessageKind, Outgoing, decode, dispatch};

const STATUS: &str = r#"{"header":{"type":"API","api_version":"v2.2","channel":"vehicle/status","uri":"https://api.ctechnology.io/api/v2.2/vehicle/veh_1/status"},"data":{"vehicle_id":"veh_1","timestamp":"2026-08-11T02:26:46Z","status":"CRUISING","speed":42.5,"latitude":47.5,"longitude":8.5,"battery_main_pct":null,"some_new_field":{"added":"by the server later"}}}"#;

#[test]
fn a_status_push_decodes_into_its_typed_variant() {
    let Incoming::VehicleStatus(status) = decode(STATUS).expect("valid frame") else { panic!("wrong variant") };
    // The channel is part of the type: a decoded `VehicleStatusPayload` can carry no other.
    assert_eq!(status.header.channel, VehicleStatusPayloadHeaderChannel);
    assert_eq!(VehicleStatusPayloadHeaderChannel::VALUE, "vehicle/status");
    assert_eq!(status.data.vehicle_id, "veh_1");
    assert_eq!(status.data.speed, Some(Some(42.5)));
    // Present but null, and absent, are different states of an optional, nullable field.
    assert_eq!(status.data.battery_main_pct, Some(None));
    assert_eq!(status.data.fuel_level_pct, None);
}

#[test]
fn a_message_built_in_rust_writes_its_channel_by_itself() {
    let data: VehicleStatus =
        serde_json::from_str(r#"{"vehicle_id":"veh_1","timestamp":"2026-08-11T02:26:46Z"}"#).expect("valid data");
    // No channel string anywhere: the header type writes it.
    let message = Incoming::from(VehicleStatusPayload { header: VehicleStatusPayloadHeader::default(), data });
    let frame = message.to_frame().expect("encodes");
    let json: serde_json::Value = serde_json::from_str(&frame).expect("JSON");
    assert_eq!(json["header"], serde_json::json!({"channel": "vehicle/status"}));
    assert_eq!(decode(&frame).expect("decodes"), message);
}

#[test]
fn a_payload_with_another_channel_is_refused_at_header_channel() {
    let frame = r#"{"header":{"channel":"notification"},"data":{"vehicle_id":"veh_1","timestamp":"t"}}"#;
    let mut de = serde_json::Deserializer::from_str(frame);
    let err = serde_path_to_error::deserialize::<_, VehicleStatusPayload>(&mut de).expect_err("another channel");
    assert_eq!(err.path().to_string(), "header.channel");
    assert!(err.inner().to_string().contains(r#"expected the constant "vehicle/status""#), "{err}");
}

#[test]
fn the_header_may_come_after_the_data() {
    let frame = r#"{"data":{"priority":"ALERT","title":"Moving"},"header":{"channel":"notification"}}"#;
    let Incoming::Notification(n) = decode(frame).expect("valid frame") else { panic!("wrong variant") };
    assert_eq!(n.data.priority, Some(NotificationPriority::Alert));
    assert_eq!(n.data.title.as_deref(), Some("Moving"));
}

#[test]
fn an_unknown_channel_is_kept_whole() {
    let frame = r#"{"header":{"channel":"vehicle/trip"},"data":{"trip_id":"trip_1"}}"#;
    match decode(frame).expect("well-formed frame") {
        Incoming::Unknown(unknown) => {
            assert_eq!(unknown.tag.as_deref(), Some("vehicle/trip"));
            assert_eq!(unknown.raw, frame);
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn a_frame_without_a_header_is_a_missing_tag_error() {
    let err = decode(r#"{"data":{"vehicle_id":"veh_1"}}"#).expect_err("no header");
    assert_eq!(err, DecodeError::MissingTag { path: "header.channel" });
    assert_eq!(err.to_string(), "frame has no `header.channel` to route it by");
}

#[test]
fn a_wrong_type_in_data_names_the_message_and_the_path() {
    let frame =
        r#"{"header":{"channel":"vehicle/status"},"data":{"vehicle_id":"veh_1","timestamp":"t","speed":"fast"}}"#;
    match decode(frame).expect_err("speed is a string") {
        DecodeError::Payload { message, path, reason } => {
            assert_eq!(message, "vehicleStatus");
            assert_eq!(path, "data.speed");
            assert!(reason.contains("invalid type"), "{reason}");
        }
        other => panic!("expected a payload error, got {other:?}"),
    }
}

#[test]
fn a_missing_required_field_is_a_payload_error() {
    let frame = r#"{"header":{"channel":"vehicle/status"},"data":{"timestamp":"t"}}"#;
    let err = decode(frame).expect_err("vehicle_id is required");
    assert!(matches!(&err, DecodeError::Payload { reason, .. } if reason.contains("vehicle_id")), "{err:?}");
}

#[test]
fn truncated_json_is_a_syntax_error_at_every_cut() {
    for cut in 1..STATUS.len() {
        let frame = &STATUS[..cut];
        match decode(frame) {
            Err(DecodeError::Syntax { line, column, .. }) => assert!(line >= 1 && column >= 1),
            // A cut inside the header can leave no tag to route by; still no panic.
            Err(DecodeError::MissingTag { .. }) => {}
            other => panic!("cut at {cut}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn not_json_at_all_is_a_syntax_error() {
    assert!(matches!(decode("hello"), Err(DecodeError::Syntax { .. })));
    assert!(matches!(decode(""), Err(DecodeError::Syntax { .. })));
}

#[test]
fn dispatch_calls_the_matching_handler_method() {
    #[derive(Default)]
    struct Seen(Vec<String>);
    impl Handler for Seen {
        fn on_vehicle_status(&mut self, m: ctechnology_rt::types::VehicleStatusPayload) {
            self.0.push(format!("status {}", m.data.vehicle_id));
        }
        fn on_unknown(&mut self, f: ctechnology_rt::UnknownFrame) {
            self.0.push(format!("unknown {}", f.tag.unwrap_or_default()));
        }
    }
    let mut seen = Seen::default();
    dispatch(&mut seen, decode(STATUS).expect("valid"));
    dispatch(&mut seen, decode(r#"{"header":{"channel":"x"},"data":{}}"#).expect("valid"));
    // Notifications go to the default method, which ignores them.
    dispatch(&mut seen, decode(r#"{"header":{"channel":"notification"},"data":{}}"#).expect("valid"));
    assert_eq!(seen.0, ["status veh_1", "unknown x"]);
}

#[test]
fn channels_map_to_addresses_both_ways() {
    for channel in Channel::ALL {
        assert_eq!(Channel::from_address(channel.address()), Some(*channel));
    }
    assert_eq!(Channel::VehicleStatus.address(), "vehicle/status");
    assert_eq!(Channel::from_address("nope"), None);
    let incoming = decode(STATUS).expect("valid");
    assert_eq!(incoming.channel(), Some(Channel::VehicleStatus));
}

#[test]
fn the_auth_frame_is_bare_and_sent_first() {
    let auth = ctechnology_rt::types::AuthRequest { authorization: "Token abc".into() };
    let message = Outgoing::from(auth);
    assert_eq!(message.to_frame().expect("encodes"), r#"{"Authorization":"Token abc"}"#);
    assert_eq!(message.channel(), Some(Channel::Auth));
    assert_eq!(message.kind(), Some(MessageKind::AuthRequest));
    assert_eq!(Outgoing::ON_CONNECT, [MessageKind::AuthRequest]);
    assert_eq!(MessageKind::AuthRequest.name(), "authRequest");
    // The other side decodes what this side sends.
    assert_eq!(Outgoing::decode(&message.to_frame().expect("encodes")).expect("decodes"), message);
}

#[test]
fn a_message_is_a_few_words_whatever_its_payload() {
    let size = std::mem::size_of::<Incoming>();
    println!("size_of::<Incoming>() = {size} bytes, size_of::<Outgoing>() = {}", std::mem::size_of::<Outgoing>());
    assert!(size <= 64, "Incoming is {size} bytes: a payload is not boxed");
    assert!(std::mem::size_of::<Outgoing>() <= 64);
}

#[test]
fn an_enum_value_the_spec_does_not_list_is_kept() {
    use ctechnology_rt::types::VehicleStatusStatus;
    let frame = r#"{"header":{"channel":"vehicle/status"},"data":{"vehicle_id":"v","timestamp":"t","status":"TOWED"}}"#;
    let Incoming::VehicleStatus(status) = decode(frame).expect("a new status value still decodes") else {
        panic!("wrong variant")
    };
    assert_eq!(status.data.status, Some(Some(VehicleStatusStatus::Unlisted("TOWED".into()))));
    let again = Incoming::VehicleStatus(status).to_frame().expect("encodes");
    assert!(again.contains(r#""status":"TOWED""#), "{again}");
    let known =
        r#"{"header":{"channel":"vehicle/status"},"data":{"vehicle_id":"v","timestamp":"t","status":"PARK_HOME"}}"#;
    let Incoming::VehicleStatus(status) = decode(known).expect("valid") else { panic!("wrong variant") };
    assert_eq!(status.data.status, Some(Some(VehicleStatusStatus::ParkHome)));
}

#[test]
fn null_and_absent_survive_a_round_trip() {
    let frame = r#"{"header":{"channel":"vehicle/status"},"data":{"vehicle_id":"v","timestamp":"t","speed":null,"vehicle_status_hd":null}}"#;
    let decoded = decode(frame).expect("valid");
    let again: serde_json::Value = serde_json::from_str(&decoded.to_frame().expect("encodes")).expect("json");
    let data = again["data"].as_object().expect("an object");
    assert!(data.get("speed").is_some_and(serde_json::Value::is_null), "null stays null: {again}");
    assert!(data.get("vehicle_status_hd").is_some_and(serde_json::Value::is_null), "{again}");
    assert!(!data.contains_key("latitude"), "absent stays absent: {again}");
}
