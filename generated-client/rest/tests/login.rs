//! Credentials that expire: the REST login (`ctechnology_rest::login`) as the client's on-connect
//! provider, against a local REST stand-in (axum on 127.0.0.1:0) and the
//! mock broker. A token is renewed before its expiry and after the broker rejects it, and a
//! rejection of fresh credentials, or a refused login, stops the client instead of looping.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use ctechnology_rest::login::Login;
use ctechnology_rt::client::{Client, ClientConfig, Error, Event};
use ctechnology_rt::mock::{MockBroker, REJECTED};

const WAIT: Duration = Duration::from_secs(10);

/// What the REST stand-in answers: tokens `t1`, `t2`, ... valid for `lifetime`, or an error.
#[derive(Clone, Copy)]
enum Answers {
    Tokens { lifetime: Duration },
    Refused,
}

/// A REST login on 127.0.0.1 that counts its calls; returns its base URL.
async fn rest(answers: Answers, calls: Arc<AtomicUsize>) -> String {
    let handler = move |Json(body): Json<serde_json::Value>| {
        let calls = Arc::clone(&calls);
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(body["email"], "driver@example.com", "the login sends the email");
            match answers {
                Answers::Tokens { lifetime } => {
                    let expiry = jiff::Timestamp::now() + jiff::SignedDuration::try_from(lifetime).expect("short");
                    // The service's own date format, with a `+0000` offset.
                    let expiry = expiry.strftime("%Y-%m-%dT%H:%M:%S%z").to_string();
                    let header = serde_json::json!({"api_version": "v2.2", "status": "SUCCESS", "message": null});
                    let data = serde_json::json!({"token": format!("t{n}"), "user": {"email": "driver@example.com"}, "expiry": expiry});
                    (StatusCode::OK, Json(serde_json::json!({"header": header, "data": data})))
                }
                Answers::Refused => {
                    let header = serde_json::json!({"status": "ERROR", "message": "Unable to log in with provided credentials."});
                    (StatusCode::BAD_REQUEST, Json(serde_json::json!({"header": header, "data": null})))
                }
            }
        }
    };
    let app = axum::Router::new().route("/api/v2.2/account/login/", post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn accept(token: &str) -> String {
    format!(r#"{{"Authorization": "Token {token}"}}"#)
}

/// A client whose on-connect messages come from `login`, with short reconnect delays.
fn client(broker: &MockBroker, login: Login) -> Client {
    let config = ClientConfig::new(broker.url())
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_on_connect_fn(move |why| {
            let login = login.clone();
            async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
        });
    Client::connect(config).expect("valid configuration")
}

/// Events until the first message, or the error that stopped the client.
async fn until_message(client: &mut Client) -> Result<Vec<String>, Error> {
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time") {
            Some(Ok(Event::Message(_))) => return Ok(seen),
            Some(Ok(event)) => seen.push(format!("{event:?}")),
            Some(Err(e)) if e.is_fatal() => return Err(e),
            Some(Err(_)) => {}
            None => panic!("the client stopped without an error"),
        }
    }
}

#[tokio::test]
async fn a_rejected_token_triggers_one_fresh_login() {
    let calls = Arc::new(AtomicUsize::new(0));
    let api = rest(Answers::Tokens { lifetime: Duration::from_secs(3600) }, Arc::clone(&calls)).await;
    // The broker no longer takes the first token (revoked, say), but takes the next one.
    let broker = MockBroker::builder().accept_frame(&accept("t2")).start().await.expect("the mock broker starts");
    let mut client = client(&broker, Login::new(&api, "driver@example.com", "secret-pw").expect("valid"));
    let events = until_message(&mut client).await.expect("the fresh token is accepted");
    assert!(events.iter().any(|e| e.contains("renewing")), "{events:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one login per token");
    assert_eq!((broker.rejected(), broker.accepted()), (1, 1));
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_token_that_still_works_is_reused_on_reconnect_and_one_about_to_expire_is_renewed() {
    for (lifetime, logins) in [(Duration::from_secs(3600), 1), (Duration::from_secs(30), 2)] {
        let calls = Arc::new(AtomicUsize::new(0));
        let api = rest(Answers::Tokens { lifetime }, Arc::clone(&calls)).await;
        let broker = MockBroker::builder()
            .accept_frame(&accept("t1"))
            .accept_frame(&accept("t2"))
            .interval(Duration::from_millis(5))
            .repeat(true)
            .start()
            .await
            .expect("the mock broker starts");
        let mut client = client(&broker, Login::new(&api, "driver@example.com", "secret-pw").expect("valid"));
        until_message(&mut client).await.expect("connected");
        broker.drop_connections();
        // Messages pushed before the drop may still wait in the buffer: read past them.
        let mut events = until_message(&mut client).await.expect("reconnected");
        while !events.iter().any(|e| e.contains("Disconnected")) {
            events = until_message(&mut client).await.expect("reconnected");
        }
        // 30 s is inside the 60 s renewal margin: the reconnect logs in again.
        assert_eq!(calls.load(Ordering::SeqCst), logins, "a token valid for {lifetime:?}");
        assert_eq!(broker.accepted(), 2);
        client.shutdown().await;
        broker.shutdown().await;
    }
}

#[tokio::test]
async fn fresh_credentials_rejected_again_stop_the_client() {
    let calls = Arc::new(AtomicUsize::new(0));
    let api = rest(Answers::Tokens { lifetime: Duration::from_secs(3600) }, Arc::clone(&calls)).await;
    let broker = MockBroker::builder().accept_frame(&accept("never")).start().await.expect("the mock broker starts");
    let mut client = client(&broker, Login::new(&api, "driver@example.com", "secret-pw").expect("valid"));
    let error = until_message(&mut client).await.expect_err("no token is accepted");
    assert!(matches!(error, Error::Rejected { code: Some(REJECTED), .. }), "{error:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one fresh login, not a loop");
    assert_eq!(broker.connections(), 2);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_refused_login_stops_the_client_with_the_services_message() {
    let calls = Arc::new(AtomicUsize::new(0));
    let api = rest(Answers::Refused, Arc::clone(&calls)).await;
    let broker = MockBroker::builder().start().await.expect("the mock broker starts");
    let mut client = client(&broker, Login::new(&api, "driver@example.com", "wrong-pw").expect("valid"));
    let error = until_message(&mut client).await.expect_err("the login is refused");
    assert!(matches!(error, Error::Credentials(_)), "{error:?}");
    assert!(error.to_string().contains("Unable to log in"), "{error}");
    assert!(!error.to_string().contains("wrong-pw"), "the password stays out of errors: {error}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(broker.connections(), 0, "no connection without credentials");
    broker.shutdown().await;
}

#[test]
fn the_password_stays_out_of_debug_output() {
    let login = Login::new("https://api.example.com", "driver@example.com", "secret-pw").expect("valid");
    let shown = format!("{login:?}");
    assert!(shown.contains("driver@example.com") && !shown.contains("secret-pw"), "{shown}");
}
