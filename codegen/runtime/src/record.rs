//! `Serialize` and `Deserialize` for the generated structs (JSON objects with named members),
//! written by one macro instead of serde's derives.
//!
//! The derive writes, for every struct, a field enum with its own visitor (by name, by bytes and
//! by index), a `visit_seq` that reads the struct from an array, and a `visit_map`. A payload
//! schema describes an object, so only `visit_map` is ever wanted, and a member name is matched
//! once, as text. `__serde_struct!` writes just that: an enum of the members with the one
//! function that finds a name among them, and a `visit_map` in which each member is one call of
//! a generic function of this module, so that rustc type-checks and borrow-checks that code
//! once and not once per struct (see `codegen/src/types/records.rs` for the measurement).
//! Decoding does the derive's work: a name is matched in place, without copying it. `Serialize`
//! is the derive's too (the same calls, in member order, skipped members left out), with each
//! member one generic call.
//!
//! What stays as the derives have it: the JSON written, byte for byte; a missing required member, a member given twice and (where
//! the struct denies them) an unknown member are errors with serde's own messages; unknown
//! members are skipped otherwise; the expected-type text is `struct Name`. One thing differs: a
//! JSON array is not read positionally into a struct; it is an "invalid type" error, as it is for
//! any other non-object.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// The members of one struct, as the enum `__serde_struct!` writes for it (one variant
/// per member, like the derive's field enum).
pub trait Members: Sized {
    /// The member named `name` on the wire, if the struct has one.
    fn find(name: &str) -> Option<Self>;
}

/// Reads one member name and looks it up in `M`: `None` for a name the struct does not list,
/// or serde's unknown-field error where the struct denies them (`deny` holds the names it
/// expects). One implementation for every struct; only `M::find` is the struct's own.
pub struct MemberSeed<M> {
    deny: Option<&'static [&'static str]>,
    members: PhantomData<M>,
}

impl<M> MemberSeed<M> {
    /// A seed that skips unknown names (`deny: None`) or rejects them.
    pub fn new(deny: Option<&'static [&'static str]>) -> Self {
        MemberSeed { deny, members: PhantomData }
    }
}

impl<'de, M: Members> DeserializeSeed<'de> for MemberSeed<M> {
    type Value = Option<M>;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<M>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, M: Members> Visitor<'de> for MemberSeed<M> {
    type Value = Option<M>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    #[inline]
    fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<M>, E> {
        match (M::find(name), self.deny) {
            (Some(member), _) => Ok(Some(member)),
            (None, None) => Ok(None),
            (None, Some(expected)) => Err(E::unknown_field(name, expected)),
        }
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Option<M>, E> {
        match std::str::from_utf8(name) {
            Ok(name) => self.visit_str(name),
            Err(_) => self.visit_str("(a name that is not UTF-8)"),
        }
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Option<M>, E> {
        self.visit_str(&index.to_string())
    }
}

/// Reads the value of the member `wire` into `slot`; a second one is serde's duplicate-field error.
/// For an `Option<Option<T>>` member `T` is `Option<_>`, so a `null` value is `Some(None)`.
#[inline(always)]
pub fn member<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    wire: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(wire));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Skips the value of a member the struct does not list.
#[inline(always)]
pub fn skip_member<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<de::IgnoredAny>().map(drop)
}

/// Writes the member `wire`, or tells the serializer it is left out (`skip`, from the member's
/// `skip_if` function).
#[inline(always)]
pub fn serialize_member<S: SerializeStruct, T: ?Sized + Serialize>(
    state: &mut S,
    wire: &'static str,
    value: &T,
    skip: bool,
) -> Result<(), S::Error> {
    if skip { state.skip_field(wire) } else { state.serialize_field(wire, value) }
}

/// serde's error for the required member `wire` that was absent.
pub fn missing_member<E: de::Error>(wire: &'static str) -> E {
    E::missing_field(wire)
}

/// `Serialize` and `Deserialize` for a struct with named members. The generator writes the
/// struct (its members, docs and other derives, no serde attributes) and then
///
/// ```text
/// __serde_struct!(Type, ["wire name" => field kind, ...]);
/// __serde_struct!(Type, deny_unknown, ["wire name" => field kind skip_if(path), ...]);
/// ```
///
/// where `kind` is what an absent member gives: `required` (an error), `optional` (the type's
/// `Default`: `None`, an empty collection), `or_else(path)` (what the function `path` returns), or
/// `present` for an `Option<Option<T>>` member that keeps absent (`None`) and `null`
/// (`Some(None)`) apart. `skip_if(path)` leaves the member out of the JSON written when
/// `path(&value)` is true (`Option::is_none`, say), as serde's `skip_serializing_if` does.
///
/// The bodies stay small on purpose, since rustc type-checks and borrow-checks them once per
/// struct: each member is one call of a generic function of this module, checked once here.
#[macro_export]
#[doc(hidden)]
macro_rules! __serde_struct {
    ($ty:ident, [$($wire:literal => $field:ident $kind:ident $(($default:path))? $(skip_if($skip:path))?),* $(,)?]) => {
        $crate::__serde_struct!(@impl $ty, skip, [$($wire => $field $kind $(($default))? $(skip_if($skip))?),*]);
    };
    ($ty:ident, deny_unknown, [$($wire:literal => $field:ident $kind:ident $(($default:path))? $(skip_if($skip:path))?),* $(,)?]) => {
        $crate::__serde_struct!(@impl $ty, deny, [$($wire => $field $kind $(($default))? $(skip_if($skip))?),*]);
    };
    (@impl $ty:ident, $deny:ident, [$($wire:literal => $field:ident $kind:ident $(($default:path))? $(skip_if($skip:path))?),*]) => {
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                let mut state = $crate::__private::serde::Serializer::serialize_struct(
                    serializer,
                    ::std::stringify!($ty),
                    0 $(+ ::std::primitive::usize::from(!$crate::__serde_struct!(@skip (self.$field) $(skip_if($skip))?)))*,
                )?;
                $($crate::__private::serialize_member(
                    &mut state,
                    $wire,
                    &self.$field,
                    $crate::__serde_struct!(@skip (self.$field) $(skip_if($skip))?),
                )?;)*
                $crate::__private::serde::ser::SerializeStruct::end(state)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                const __MEMBERS: &[&str] = &[$($wire),*];
                #[allow(non_camel_case_types)]
                enum __Member {
                    $($field,)*
                }
                impl $crate::__private::Members for __Member {
                    fn find(name: &str) -> ::std::option::Option<Self> {
                        match name {
                            $($wire => ::std::option::Option::Some(__Member::$field),)*
                            _ => ::std::option::Option::None,
                        }
                    }
                }
                struct __Visitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for __Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(::std::concat!("struct ", ::std::stringify!($ty)))
                    }
                    fn visit_map<A: $crate::__private::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$ty, A::Error> {
                        $(let mut $field = ::std::option::Option::None;)*
                        while let ::std::option::Option::Some(member) =
                            $crate::__private::serde::de::MapAccess::next_key_seed(
                                &mut map,
                                $crate::__private::MemberSeed::<__Member>::new(
                                    $crate::__serde_struct!(@deny $deny __MEMBERS),
                                ),
                            )?
                        {
                            match member {
                                $(::std::option::Option::Some(__Member::$field) =>
                                    $crate::__private::member(&mut map, &mut $field, $wire),)*
                                ::std::option::Option::None => $crate::__private::skip_member(&mut map),
                            }?;
                        }
                        ::std::result::Result::Ok($ty {
                            $($field: $crate::__serde_struct!(@finish $field $wire $kind $(($default))?),)*
                        })
                    }
                }
                $crate::__private::serde::Deserializer::deserialize_struct(
                    deserializer,
                    ::std::stringify!($ty),
                    __MEMBERS,
                    __Visitor,
                )
            }
        }
    };
    (@skip ($value:expr)) => {
        false
    };
    (@skip ($value:expr) skip_if($skip:path)) => {
        $skip(&$value)
    };
    (@deny skip $members:ident) => {
        ::std::option::Option::None
    };
    (@deny deny $members:ident) => {
        ::std::option::Option::Some($members)
    };
    (@finish $field:ident $wire:literal required) => {
        match $field {
            ::std::option::Option::Some(value) => value,
            ::std::option::Option::None => {
                return ::std::result::Result::Err($crate::__private::missing_member($wire));
            }
        }
    };
    (@finish $field:ident $wire:literal optional) => {
        $field.unwrap_or_default()
    };
    (@finish $field:ident $wire:literal present) => {
        $field
    };
    (@finish $field:ident $wire:literal or_else($default:path)) => {
        $field.unwrap_or_else($default)
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// A struct as the generator writes it: every kind of member, one renamed.
    #[derive(Debug, PartialEq)]
    struct Record {
        id: String,
        type_: Option<String>,
        tags: Vec<String>,
        comment: Option<Option<String>>,
        nullable: Option<i64>,
        level: u64,
        inner: Option<Inner>,
    }

    fn five() -> u64 {
        5
    }

    crate::__serde_struct!(Record, [
        "id" => id required,
        "type" => type_ optional skip_if(Option::is_none),
        "tags" => tags optional skip_if(Vec::is_empty),
        "comment" => comment present skip_if(Option::is_none),
        "nullable" => nullable required,
        "level" => level or_else(five),
        "inner" => inner optional skip_if(Option::is_none),
    ]);

    #[derive(Debug, PartialEq)]
    struct Inner {
        a: f64,
    }

    crate::__serde_struct!(Inner, deny_unknown, ["a" => a required]);

    fn read(text: &str) -> Result<Record, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_of_member_is_read_as_the_schema_says() {
        let full = read(r#"{"id":"x","type":"t","tags":["a"],"comment":"c","nullable":1,"level":2,"inner":{"a":1.5}}"#);
        assert_eq!(
            full,
            Ok(Record {
                id: "x".into(),
                type_: Some("t".into()),
                tags: vec!["a".into()],
                comment: Some(Some("c".into())),
                nullable: Some(1),
                level: 2,
                inner: Some(Inner { a: 1.5 }),
            })
        );
        let least = read(r#"{"id":"x","nullable":null}"#).expect("only the required members");
        assert_eq!(
            (least.type_, least.tags, least.comment, least.nullable, least.level),
            (None, vec![], None, None, 5)
        );
        let null = read(r#"{"id":"x","nullable":null,"comment":null}"#).expect("a null comment");
        assert_eq!(null.comment, Some(None), "null and absent stay apart");
    }

    /// `Record` and `Inner` with serde's derives, to compare with.
    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    #[allow(dead_code)]
    struct Derived {
        id: String,
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        type_: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        #[serde(default, deserialize_with = "crate::fields::present", skip_serializing_if = "Option::is_none")]
        comment: Option<Option<String>>,
        #[serde(deserialize_with = "Option::deserialize")]
        nullable: Option<i64>,
        #[serde(default = "five")]
        level: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        inner: Option<DerivedInner>,
    }

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct DerivedInner {
        a: f64,
    }

    #[test]
    fn errors_are_the_derives_word_for_word_and_at_the_same_place() {
        for text in [
            r#"{"nullable":null}"#,
            r#"{"id":"x"}"#,
            r#"{"id":"x","nullable":1,"id":"y"}"#,
            r#"{"id":"x","nullable":1,"comment":null,"comment":"c"}"#,
            r#"{"id":5,"nullable":1}"#,
            r#"{"id":"x","nullable":"1"}"#,
            r#"{"id":"x","nullable":1,"level":-1}"#,
            r#"{"id":"x","nullable":1,"inner":{"a":1,"b":2}}"#,
            r#"{"id":"x","nullable":1,"inner":{}}"#,
            r#"{"id":"x","nullable":1,"tags":[1]}"#,
            r#"{"id":"x","#,
            r#""x""#,
            "7",
        ] {
            // The same messages but for the struct's name.
            let derived = serde_json::from_str::<Derived>(text)
                .map(drop)
                .map_err(|e| e.to_string().replace("struct Derived", "struct Record").replace("DerivedInner", "Inner"));
            assert_eq!(read(text).map(drop), derived, "{text}");
            assert!(derived.is_err(), "{text} is meant to be wrong");
        }
    }

    #[test]
    fn what_is_written_is_the_derives_byte_for_byte() {
        for text in [
            r#"{"id":"x","type":"t","tags":["a","b"],"comment":"c","nullable":1,"level":2,"inner":{"a":1.5}}"#,
            r#"{"id":"x","nullable":null}"#,
            r#"{"id":"x","nullable":null,"comment":null,"tags":[]}"#,
        ] {
            let ours = serde_json::to_string(&read(text).expect("reads")).expect("writes");
            let derived: Derived = serde_json::from_str(text).expect("the derive reads it");
            assert_eq!(ours, serde_json::to_string(&derived).expect("the derive writes"), "{text}");
            // The length handed to the serializer counts only the members written.
            let value = serde_json::to_value(read(text).expect("reads")).expect("to a Value");
            assert_eq!(value, serde_json::to_value(&derived).expect("the derive to a Value"));
        }
        let written = serde_json::to_string(&read(r#"{"id":"x","nullable":null,"comment":null}"#).expect("reads"));
        assert_eq!(written.expect("writes"), r#"{"id":"x","comment":null,"nullable":null,"level":5}"#);
    }

    #[test]
    fn an_array_is_not_read_positionally() {
        let array = read(r#"["x", null]"#).expect_err("an array");
        assert!(array.starts_with("invalid type: sequence, expected struct Record"), "{array}");
    }

    #[test]
    fn unknown_members_are_skipped_and_escaped_names_still_match() {
        let record = read(r#"{"extra":{"deep":[1,2]},"i\u0064":"x","nullable":2}"#).expect("reads");
        assert_eq!(record.id, "x");
        assert_eq!(record.nullable, Some(2));
    }

    #[test]
    fn a_struct_reads_from_a_buffered_value_too() {
        // Untagged unions and flattened members hand a struct serde's buffered content or a
        // `serde_json::Value`, not the parser.
        let value = serde_json::json!({"id": "x", "nullable": null, "inner": {"a": 2.0}});
        let record: Record = serde_json::from_value(value).expect("from a Value");
        assert_eq!(record.inner, Some(Inner { a: 2.0 }));
        #[derive(Debug, serde::Deserialize)]
        #[serde(untagged)]
        #[allow(dead_code)]
        enum Either {
            Inner(Inner),
            Map(BTreeMap<String, String>),
        }
        let either: Either = serde_json::from_str(r#"{"a":3}"#).expect("through serde's buffer");
        assert!(matches!(either, Either::Inner(Inner { a: 3.0 })), "{either:?}");
    }
}
