//! Hand-written checks of the generated header types (the generator owns `src/` and
//! `tests/examples*` of this crate, not this file).

use fixture_message_headers::types::{
    OrderCancelledHeaders, OrderCancelledPayload, OrderPlacedHeaders, OrderPlacedPayload,
};
use fixture_message_headers::{Incoming, IncomingHeaders, UnknownFrame};

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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn a_message_reads_its_own_headers_from_a_transports_pairs() {
    let placed = Incoming::OrderPlaced(Box::new(OrderPlacedPayload { event: Default::default(), id: "o-1".into() }));
    let got = placed.headers(&pairs(&[("X-Tenant", "acme"), ("X-Retry-Count", "2"), ("X-Tenant", "later")]));
    let expected = OrderPlacedHeaders { x_tenant: "acme".into(), x_retry_count: Some(2) };
    assert_eq!(got, Ok(Some(IncomingHeaders::OrderPlaced(expected))));
    // A header the schema requires is missing: the error names the message and the header.
    let missing = placed.headers(&pairs(&[("X-Retry-Count", "2")])).expect_err("X-Tenant is required");
    assert!(missing.to_string().contains("`orderPlaced`: missing field `X-Tenant`"), "{missing}");
    let wrong = placed.headers(&pairs(&[("X-Tenant", "acme"), ("X-Retry-Count", "two")])).expect_err("not a number");
    assert!(matches!(wrong, fixture_message_headers::DecodeError::Headers { .. }), "{wrong:?}");

    let cancelled =
        Incoming::OrderCancelled(Box::new(OrderCancelledPayload { event: Default::default(), id: "o-1".into() }));
    let got = cancelled.headers(&pairs(&[("X-Trace-Id", "t-1")]));
    assert_eq!(
        got,
        Ok(Some(IncomingHeaders::OrderCancelled(OrderCancelledHeaders { x_trace_id: Some("t-1".into()) })))
    );

    // A frame the document does not describe has no typed headers, whatever the pairs.
    let unknown = Incoming::Unknown(UnknownFrame::new(None, "{}"));
    assert_eq!(unknown.headers(&pairs(&[("X-Tenant", "acme")])), Ok(None));
}
