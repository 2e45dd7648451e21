//! A discriminated base decodes into the subtype its tag names, keeps an unlisted tag as sent,
//! and encodes every variant back to the same JSON; the subtype's own schema still applies.

use fixture_discriminator::types::{Animal, Pet, ShipmentPayload as Parcel};
use fixture_discriminator::{Incoming, decode};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> T {
    let value: T = serde_json::from_str(json).expect("decodes");
    let again = serde_json::to_value(&value).expect("encodes");
    assert_eq!(again, serde_json::from_str::<serde_json::Value>(json).expect("json"), "round trip of {json}");
    value
}

#[test]
fn each_subtype_is_chosen_by_its_schema_name_and_round_trips() {
    let cat: Pet = round_trip(r#"{"petType":"Cat","name":"Tom","huntingSkill":"lazy"}"#);
    let Pet::Cat(cat) = cat else { panic!("a cat: {cat:?}") };
    assert_eq!((cat.name.as_str(), cat.hunting_skill.as_deref()), ("Tom", Some("lazy")));
    let dog: Pet = round_trip(r#"{"petType":"Dog","name":"Rex","packSize":3}"#);
    assert!(matches!(&dog, Pet::Dog(d) if d.pack_size == 3), "{dog:?}");
    assert_eq!(dog.tag(), Some("Dog"));
}

#[test]
fn an_unlisted_tag_is_kept_whole_and_encodes_back_unchanged() {
    let fish: Pet = round_trip(r#"{"petType":"Fish","name":"Nemo","fins":4}"#);
    let Pet::Unlisted(ref object) = fish else { panic!("kept: {fish:?}") };
    assert_eq!(object["fins"], 4);
    assert_eq!(fish.tag(), Some("Fish"));
}

#[test]
fn the_subtype_schema_still_applies_and_the_tag_is_required() {
    let missing = serde_json::from_str::<Pet>(r#"{"petType":"Dog","name":"Rex"}"#).expect_err("packSize is required");
    assert!(missing.to_string().contains("packSize"), "{missing}");
    let untagged = serde_json::from_str::<Pet>(r#"{"name":"Rex"}"#).expect_err("no tag");
    assert!(untagged.to_string().contains("petType"), "{untagged}");
}

#[test]
fn a_base_listing_its_subtypes_and_a_mapping_work_the_same() {
    let bird: Animal = round_trip(r#"{"kind":"bird","wingspan":0.3}"#);
    assert!(matches!(bird, Animal::Bird(_)), "{bird:?}");
    let crate_: Parcel = round_trip(r#"{"type":"box","weight":12.5,"fragile":true}"#);
    assert!(matches!(&crate_, Parcel::Box(b) if b.fragile == Some(true)), "{crate_:?}");
    let letter: Parcel = round_trip(r#"{"type":"letter","weight":0.02}"#);
    assert!(matches!(letter, Parcel::Letter(_)), "{letter:?}");
}

#[test]
fn a_frame_decodes_through_the_base() {
    match decode(r#"{"petType":"Cat","name":"Tom"}"#).expect("a frame") {
        Incoming::Arrival(pet) => assert!(matches!(*pet, Pet::Cat(_)), "{pet:?}"),
        other => panic!("routed elsewhere: {other:?}"),
    }
}
