//! A scripted REST server for the tests: axum on 127.0.0.1:0 serving the document's
//! `vehicle/status` examples in the REST envelope (D2), and, per vehicle, a script of answers
//! (401, 404, 429 with `Retry-After`, a `null` header message, a slow answer, ...). It counts
//! logins and requests, remembers the tokens it was sent and when each request arrived.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ctechnology_rt::MessageKind;
use ctechnology_rt::servers::EXAMPLES;
use serde_json::{Value, json};
use tokio::time::Instant;

/// One answer of the status resource.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200, the vehicle's example `data` as it is, header message `null`.
    Example,
    /// 200, the vehicle's example `data` with this `timestamp`, header message `null`.
    Status(&'static str),
    /// 200 with `data.speed` set to a string, which does not decode.
    Garbled,
    /// 200 whose header `status` is `ERROR` with a `null` message.
    ErrorHeader,
    /// 404 with this header message (`None`: `null`).
    NotFound(Option<&'static str>),
    /// 429 with this `Retry-After`.
    RateLimited(&'static str),
    /// The status, after this long.
    Slow(Duration, &'static str),
}

#[derive(Default)]
pub struct Log {
    /// Vehicle id → the instants its requests arrived.
    pub arrivals: HashMap<String, Vec<Instant>>,
    /// The `Authorization` values received, in order.
    pub authorizations: Vec<String>,
    /// The instants 429 answers were sent.
    pub limited_at: Vec<Instant>,
}

struct Shared {
    scripts: Mutex<HashMap<String, Vec<Reply>>>,
    accepted: Vec<String>,
    logins: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    log: Mutex<Log>,
}

/// A running scripted REST server.
pub struct Server {
    pub url: String,
    shared: Arc<Shared>,
}

impl Server {
    /// Serves `scripts` (vehicle id → answers, the last one repeated), accepting the tokens in
    /// `accepted` (all tokens when empty). Logins hand out `t1`, `t2`, ...
    pub async fn start(scripts: &[(&str, Vec<Reply>)], accepted: &[&str]) -> Server {
        let shared = Arc::new(Shared {
            scripts: Mutex::new(scripts.iter().map(|(id, replies)| ((*id).to_owned(), replies.clone())).collect()),
            accepted: accepted.iter().map(|t| format!("Token {t}")).collect(),
            logins: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            log: Mutex::new(Log::default()),
        });
        let app = axum::Router::new()
            .route("/api/v2.2/vehicle/{vehicle_id}/status", get(status))
            .route("/api/v2.2/account/login/", post(login))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { url, shared }
    }

    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// How many status requests arrived for `vehicle_id`.
    pub fn requests(&self, vehicle_id: &str) -> usize {
        self.log(|log| log.arrivals.get(vehicle_id).map_or(0, Vec::len))
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn log<T>(&self, f: impl FnOnce(&Log) -> T) -> T {
        f(&self.shared.log.lock().expect("not poisoned"))
    }
}

/// The `data` of the document's `vehicle/status` examples, by vehicle id, in document order.
pub fn examples() -> Vec<(String, Value)> {
    EXAMPLES
        .iter()
        .filter(|e| e.message == MessageKind::VehicleStatus)
        .map(|e| serde_json::from_str::<Value>(e.json).expect("examples are JSON"))
        .map(|frame| (frame["data"]["vehicle_id"].as_str().expect("an id").to_owned(), frame))
        .collect()
}

/// The example frame of vehicle number `n`, with `timestamp`, as the broker would push it.
pub fn push(n: usize, timestamp: &str) -> String {
    let (_, mut frame) = examples().swap_remove(n);
    frame["data"]["timestamp"] = json!(timestamp);
    frame.to_string()
}

/// The id of example vehicle number `n`.
pub fn vehicle(n: usize) -> String {
    examples().swap_remove(n).0
}

fn envelope(status: StatusCode, header_status: &str, message: Option<&str>, data: Value) -> Response {
    let header = json!({"api_version": "v2.2", "status": header_status, "message": message, "permission_via": []});
    (status, Json(json!({"header": header, "data": data}))).into_response()
}

fn example_data(vehicle_id: &str, timestamp: &str) -> Option<Value> {
    let (_, frame) = examples().into_iter().find(|(id, _)| id == vehicle_id)?;
    let mut data = frame["data"].clone();
    data["timestamp"] = json!(timestamp);
    Some(data)
}

async fn status(State(shared): State<Arc<Shared>>, Path(vehicle_id): Path<String>, headers: HeaderMap) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    {
        let mut log = shared.log.lock().expect("not poisoned");
        log.arrivals.entry(vehicle_id.clone()).or_default().push(Instant::now());
        log.authorizations.push(authorization.clone());
    }
    // A refused token does not use up the vehicle's script.
    if !shared.accepted.is_empty() && !shared.accepted.contains(&authorization) {
        return envelope(StatusCode::UNAUTHORIZED, "ERROR", Some("Invalid token."), Value::Null);
    }
    let reply = {
        let mut scripts = shared.scripts.lock().expect("not poisoned");
        scripts
            .get_mut(&vehicle_id)
            .map(|replies| if replies.len() > 1 { replies.remove(0) } else { replies[0].clone() })
    };
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = answer(&shared, &vehicle_id, reply).await;
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn answer(shared: &Shared, vehicle_id: &str, reply: Option<Reply>) -> Response {
    let Some(reply) = reply else {
        return envelope(StatusCode::NOT_FOUND, "ERROR", Some("Not found."), Value::Null);
    };
    let data = |timestamp| example_data(vehicle_id, timestamp).unwrap_or(Value::Null);
    match reply {
        Reply::Example => {
            let data =
                examples().into_iter().find(|(id, _)| id == vehicle_id).map_or(Value::Null, |(_, f)| f["data"].clone());
            envelope(StatusCode::OK, "SUCCESS", None, data)
        }
        Reply::Status(timestamp) => {
            // Long enough for reads of several vehicles to overlap.
            tokio::time::sleep(Duration::from_millis(20)).await;
            envelope(StatusCode::OK, "SUCCESS", None, data(timestamp))
        }
        Reply::Garbled => {
            let mut garbled = data("2030-01-01T00:00:00Z");
            garbled["speed"] = json!("fast");
            envelope(StatusCode::OK, "SUCCESS", None, garbled)
        }
        Reply::ErrorHeader => envelope(StatusCode::OK, "ERROR", None, Value::Null),
        Reply::NotFound(message) => envelope(StatusCode::NOT_FOUND, "ERROR", message, Value::Null),
        Reply::RateLimited(after) => {
            shared.log.lock().expect("not poisoned").limited_at.push(Instant::now());
            let mut response =
                envelope(StatusCode::TOO_MANY_REQUESTS, "ERROR", Some("Request was throttled."), Value::Null);
            response.headers_mut().insert("retry-after", after.parse().expect("a header value"));
            response
        }
        Reply::Slow(delay, timestamp) => {
            tokio::time::sleep(delay).await;
            envelope(StatusCode::OK, "SUCCESS", None, data(timestamp))
        }
    }
}

async fn login(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let n = shared.logins.fetch_add(1, Ordering::SeqCst) + 1;
    assert_eq!(body["email"], "driver@example.com", "the login sends the email");
    let data = json!({"token": format!("t{n}"), "user": {"email": "driver@example.com"}, "expiry": "2099-01-01T00:00:00+0000"});
    envelope(StatusCode::OK, "SUCCESS", None, data)
}
