//! The c.technology real-time API, generated at build time: `build.rs` runs `asyncapi-codegen`
//! on the spec of record and this file includes the result, the way `prost-build` users include
//! their messages. The items are those of a generated crate (`types`, `Incoming`, `Handler`,
//! `client::Client`, `mock::MockBroker`, ...), without a crate of generated files to commit.

include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
