//! `Rest` against a scripted REST server on 127.0.0.1: statuses decode into the pushed payload
//! type; a 401 costs one fresh login and one retry; a 429 waits as `Retry-After` says, a bounded
//! number of times; 404, a `null` header message, an error header, a slow answer and a garbled
//! one are errors that say what the service answered; the token never leaves the API's origin.

mod common;

use std::time::Duration;

use common::{Reply, Server, examples, vehicle};
use ctechnology_rest::login::Login;
use ctechnology_rest::{Credentials, Error, Rest, Token};
use ctechnology_rt::Incoming;

fn with_token(server: &Server, token: &str) -> Rest {
    Rest::new(&server.url, Token::new(token)).expect("a valid API URL")
}

fn with_login(server: &Server) -> (Rest, Login) {
    let login = Login::new(&server.url, "driver@example.com", "secret-pw").expect("valid");
    (Rest::new(&server.url, Credentials::Login(login.clone())).expect("a valid API URL"), login)
}

#[tokio::test]
async fn a_status_decodes_into_the_payload_type_of_the_pushed_message() {
    for (n, (id, frame)) in examples().into_iter().enumerate() {
        let server = Server::start(&[(id.as_str(), vec![Reply::Example])], &["abc"]).await;
        let rest = with_token(&server, "Token abc");
        let status = rest.vehicle_status(&id).await.expect("the status is read");
        let Ok(Incoming::VehicleStatus(pushed)) = ctechnology_rt::decode(&frame.to_string()) else {
            panic!("example {n} is a vehicle status frame");
        };
        assert_eq!(status.data, pushed.data, "example {n}: the REST `data` is the pushed `data`");
        assert_eq!(status.header.channel.to_string(), "vehicle/status");
        assert_eq!(status.header.uri, Some(format!("{}/api/v2.2/vehicle/{id}/status", server.url)));
        assert_eq!(status.header.api_version.as_deref(), Some("v2.2"));
        assert_eq!(server.log(|l| l.authorizations.clone()), ["Token abc"]);
    }
}

#[tokio::test]
async fn a_frame_is_reread_at_its_header_uri_on_the_api_origin_only() {
    let id = vehicle(0);
    let server = Server::start(&[(id.as_str(), vec![Reply::Status("2030-01-01T00:00:00Z")])], &[]).await;
    let elsewhere = Server::start(&[(id.as_str(), vec![Reply::Status("2030-01-01T00:00:00Z")])], &[]).await;
    let rest = with_token(&server, "abc");
    let frame = common::push(0, "2025-01-01T00:00:00Z").replace("https://api.ctechnology.io", &server.url);
    let pushed = ctechnology_rt::decode(&frame).expect("a frame");
    let Incoming::VehicleStatus(read) = rest.reread(&pushed).await.expect("re-read") else {
        panic!("a vehicle status is re-read as a vehicle status");
    };
    assert_eq!(read.data.timestamp, "2030-01-01T00:00:00Z");
    assert_eq!(read.header.type_.as_deref(), Some("API"), "the rest of the pushed header is kept");
    assert_eq!(server.requests(&id), 1);

    let foreign = ctechnology_rt::decode(&frame.replace(&server.url, &elsewhere.url)).expect("a frame");
    let error = rest.reread(&foreign).await.expect_err("another origin");
    assert!(matches!(error, Error::ForeignHost { .. }), "{error:?}");
    assert_eq!(elsewhere.requests(&id), 0, "the token was not sent there");
}

#[tokio::test]
async fn a_rejected_token_costs_one_fresh_login_and_one_retry() {
    let id = vehicle(0);
    let server = Server::start(&[(id.as_str(), vec![Reply::Status("2030-01-01T00:00:00Z")])], &["t2"]).await;
    let (rest, login) = with_login(&server);
    rest.vehicle_status(&id).await.expect("the renewed token is accepted");
    assert_eq!(server.logins(), 2, "the first token, then one fresh login");
    assert_eq!(server.log(|l| l.authorizations.clone()), ["Token t1", "Token t2"]);
    assert_eq!(login.token().await.expect("cached"), "t2", "the login keeps the renewed token");
}

#[tokio::test]
async fn a_token_rejected_again_is_an_error_not_a_loop() {
    let id = vehicle(0);
    let server = Server::start(&[(id.as_str(), vec![Reply::Status("2030-01-01T00:00:00Z")])], &["never"]).await;
    let (rest, _) = with_login(&server);
    let error = rest.vehicle_status(&id).await.expect_err("no token is accepted");
    assert_eq!(error.status(), Some(401), "{error}");
    assert_eq!(error.header().and_then(|h| h.message.as_deref()), Some("Invalid token."));
    assert_eq!((server.logins(), server.requests(&id)), (2, 2));

    // A fixed token cannot be renewed: one request, no login.
    let server = Server::start(&[(id.as_str(), vec![Reply::Status("2030-01-01T00:00:00Z")])], &["never"]).await;
    let error = with_token(&server, "abc").vehicle_status(&id).await.expect_err("refused");
    assert_eq!(error.status(), Some(401));
    assert_eq!((server.logins(), server.requests(&id)), (0, 1));
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says_then_succeeds() {
    let id = vehicle(1);
    let replies = vec![Reply::RateLimited("1"), Reply::Status("2030-01-01T00:00:00Z")];
    let server = Server::start(&[(id.as_str(), replies)], &[]).await;
    let status = with_token(&server, "abc").vehicle_status(&id).await.expect("read after the wait");
    assert_eq!(status.data.vehicle_id, id);
    let (limited, arrivals) = server.log(|l| (l.limited_at.clone(), l.arrivals[&id].clone()));
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - limited[0] >= Duration::from_secs(1), "the retry came after Retry-After");
}

#[tokio::test]
async fn rate_limited_for_good_ends_after_the_allowed_attempts() {
    let id = vehicle(1);
    let server = Server::start(&[(id.as_str(), vec![Reply::RateLimited("0")])], &[]).await;
    let rest = with_token(&server, "abc").with_rate_limit(3, Duration::from_millis(1), Duration::from_secs(5));
    let error = rest.vehicle_status(&id).await.expect_err("always 429");
    assert!(matches!(error, Error::RateLimited { attempts: 3, wait: None, .. }), "{error:?}");
    assert_eq!(error.header().and_then(|h| h.message.as_deref()), Some("Request was throttled."));
    assert_eq!(server.requests(&id), 3);

    // A wait beyond the maximum ends the read at once.
    let server = Server::start(&[(id.as_str(), vec![Reply::RateLimited("3600")])], &[]).await;
    let rest = with_token(&server, "abc").with_rate_limit(3, Duration::from_millis(1), Duration::from_secs(5));
    let error = rest.vehicle_status(&id).await.expect_err("too long a wait");
    assert!(
        matches!(error, Error::RateLimited { attempts: 1, wait: Some(w), .. } if w == Duration::from_secs(3600)),
        "{error:?}"
    );
    assert!(error.to_string().contains("429"), "{error}");
}

#[tokio::test]
async fn a_404_carries_the_rest_header_whose_message_may_be_null() {
    let (a, b) = (vehicle(0), vehicle(1));
    let scripts =
        [(a.as_str(), vec![Reply::NotFound(Some("Vehicle not found."))]), (b.as_str(), vec![Reply::NotFound(None)])];
    let server = Server::start(&scripts, &[]).await;
    let rest = with_token(&server, "abc");
    let error = rest.vehicle_status(&a).await.expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.header().and_then(|h| h.message.as_deref()), Some("Vehicle not found."));
    assert!(error.to_string().contains("HTTP 404, ERROR: Vehicle not found."), "{error}");
    let error = rest.vehicle_status(&b).await.expect_err("404");
    let header = error.header().expect("a REST header");
    assert_eq!((header.status.as_deref(), header.message.as_deref()), (Some("ERROR"), None));
    assert!(error.to_string().contains("HTTP 404, ERROR (no message)"), "{error}");
}

#[tokio::test]
async fn an_error_header_a_slow_answer_and_a_garbled_one_are_errors() {
    let (a, b, c) = (vehicle(0), vehicle(1), vehicle(2));
    let scripts = [
        (a.as_str(), vec![Reply::ErrorHeader]),
        (b.as_str(), vec![Reply::Slow(Duration::from_secs(5), "2030-01-01T00:00:00Z")]),
        (c.as_str(), vec![Reply::Garbled]),
    ];
    let server = Server::start(&scripts, &[]).await;
    let rest = with_token(&server, "abc").with_timeout(Duration::from_millis(200));
    let error = rest.vehicle_status(&a).await.expect_err("an error header");
    assert!(
        matches!(&error, Error::Status { status: 200, header: Some(h), .. } if h.status.as_deref() == Some("ERROR")),
        "{error:?}"
    );
    let error = rest.vehicle_status(&b).await.expect_err("too slow");
    assert!(matches!(error, Error::Timeout { after, .. } if after == Duration::from_millis(200)), "{error:?}");
    let error = rest.vehicle_status(&c).await.expect_err("garbled");
    assert!(matches!(&error, Error::Decode { path, .. } if path == "data.speed"), "{error:?}");
}

#[tokio::test]
async fn the_standin_serves_every_example_vehicle_to_the_documents_token_only() {
    use ctechnology_rest::standin::StandIn;
    let standin = StandIn::start().await.expect("the stand-in starts");
    let token = StandIn::token().expect("the document has an authRequest example");
    let rest = Rest::new(&standin.url(), Token::new(&token)).expect("valid");
    for (id, frame) in examples() {
        let status = rest.vehicle_status(&id).await.expect("an example vehicle");
        let pushed: jiff::Timestamp =
            frame["data"]["timestamp"].as_str().and_then(|t| t.parse().ok()).expect("an RFC 3339 example");
        let read: jiff::Timestamp = status.data.timestamp.parse().expect("the stand-in's time");
        assert!(read > pushed, "{id}: the stand-in answers with the time of the request");
        assert_eq!(
            status.data.speed,
            ctechnology_rt::decode(&frame.to_string())
                .map(|m| match m {
                    Incoming::VehicleStatus(p) => p.data.speed,
                    _ => None,
                })
                .expect("a frame")
        );
    }
    let error = rest.vehicle_status("veh_unknown").await.expect_err("not an example");
    assert_eq!(
        (error.status(), error.header().and_then(|h| h.message.clone())),
        (Some(404), Some("Vehicle not found.".into()))
    );
    let error = Rest::new(&standin.url(), Token::new("wrong")).expect("valid").vehicle_status(&vehicle(0)).await;
    assert_eq!(error.expect_err("a wrong token").status(), Some(401));
    assert_eq!(standin.requests(), examples().len() + 2);
    standin.shutdown().await;
}
