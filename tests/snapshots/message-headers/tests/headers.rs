//! Hand-written checks of the generated header types (the generator owns `src/` and
//! `tests/examples*` of this crate, not this file).

use fixture_message_headers::types::{OrderCancelledHeaders, OrderPlacedHeaders};

#[test]
fn headers_keep_their_wire_names() {
    let h: OrderPlacedHeaders =
        serde_json::from_str(r#"{"X-Tenant":"acme","X-Retry-Count":2}"#).expect("valid headers");
    assert_eq!(h.x_tenant, "acme");
    assert_eq!(h.x_retry_count, Some(2));
    assert!(serde_json::from_str::<OrderPlacedHeaders>(r#"{"X-Retry-Count":2}"#).is_err(), "X-Tenant is required");
}

#[test]
fn trait_headers_belong_to_the_message_that_uses_the_trait() {
    let h: OrderCancelledHeaders = serde_json::from_str(r#"{"X-Trace-Id":"t-1"}"#).expect("valid headers");
    assert_eq!(h.x_trace_id.as_deref(), Some("t-1"));
}
