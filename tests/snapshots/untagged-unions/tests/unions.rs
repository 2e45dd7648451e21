//! Untagged unions decode as the alternative that fits best (`spec/fixtures/untagged-unions.yaml`):
//! the one that declares the members present, so that re-encoding gives the same JSON.
//!
//! This file is hand-written; the snapshot harness does not touch it.

use fixture_untagged_unions::Incoming;
use fixture_untagged_unions::types::{KeyedPayloadValue, ObjectWithKey, ObjectWithKey2, ShapesPayloadShape};
use serde_json::Value;

fn same_json(a: &str, b: &str) {
    let parse = |t: &str| serde_json::from_str::<Value>(t).expect("JSON");
    assert_eq!(parse(a), parse(b));
}

#[test]
fn key2_decodes_as_the_second_alternative_and_encodes_back_unchanged() {
    let text = r#"{"key2": "v"}"#;
    let value: KeyedPayloadValue = serde_json::from_str(text).expect("decodes");
    assert_eq!(value, KeyedPayloadValue::Key2(ObjectWithKey2 { key2: Some("v".into()) }));
    same_json(&serde_json::to_string(&value).expect("encodes"), text);
    let first: KeyedPayloadValue = serde_json::from_str(r#"{"key": "v"}"#).expect("decodes");
    assert_eq!(first, KeyedPayloadValue::Key(ObjectWithKey { key: Some("v".into()) }));
}

#[test]
fn a_whole_frame_round_trips_through_the_union() {
    let frame = r#"{"kind": "keyed", "value": {"key2": "v"}}"#;
    let Incoming::Keyed(keyed) = Incoming::decode(frame).expect("decodes") else { panic!("wrong message") };
    assert_eq!(keyed.value, KeyedPayloadValue::Key2(ObjectWithKey2 { key2: Some("v".into()) }));
    same_json(&Incoming::Keyed(keyed.clone()).to_frame().expect("encodes"), frame);
}

#[test]
fn inline_alternatives_are_chosen_by_their_members_too() {
    let rectangle: ShapesPayloadShape = serde_json::from_str(r#"{"width": 2, "height": 3}"#).expect("decodes");
    assert!(matches!(rectangle, ShapesPayloadShape::Variant1 { .. }), "{rectangle:?}");
    let circle: ShapesPayloadShape = serde_json::from_str(r#"{"radius": 1, "label": "c"}"#).expect("decodes");
    assert!(matches!(circle, ShapesPayloadShape::Variant0 { .. }), "{circle:?}");
    let named: ShapesPayloadShape = serde_json::from_str(r#""unit""#).expect("decodes");
    assert_eq!(named, ShapesPayloadShape::Variant2("unit".into()));
    let err = serde_json::from_str::<ShapesPayloadShape>(r#"{"label": "x"}"#).expect_err("no alternative fits");
    assert!(err.to_string().contains("no alternative of `ShapesPayloadShape` matches"), "{err}");
}
