//! A local stand-in for the REST API (feature `standin`), the counterpart of the generated
//! crate's mock broker: it listens on `127.0.0.1`, serves
//! `GET /api/v2.2/vehicle/{vehicle_id}/status` for every vehicle of the document's
//! `vehicle/status` examples, and accepts the tokens of the document's `authRequest` examples,
//! the ones the mock broker accepts.
//!
//! Answers are REST envelopes (D2): `{header: {api_version, status: "SUCCESS", message: null,
//! permission_via: []}, data}` with the example's `data` whose `timestamp` and `last_update` are
//! the time of the request (the live service's status keeps moving while a parked vehicle pushes
//! nothing, T1); a wrong or missing token gets 401 and an unknown vehicle 404, each with a REST
//! header that says so.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use ctechnology_rt::MessageKind;
use ctechnology_rt::servers::EXAMPLES;
use serde_json::{Value, json};

/// A running REST stand-in; it stops when dropped or shut down.
#[derive(Debug)]
pub struct StandIn {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    /// Vehicle id → the example's `data`.
    statuses: Vec<(String, Value)>,
    /// Accepted `Authorization` values.
    tokens: Vec<String>,
    requests: Arc<AtomicUsize>,
}

impl StandIn {
    /// Listens on `127.0.0.1`, on a free port.
    pub async fn start() -> std::io::Result<StandIn> {
        let statuses = EXAMPLES
            .iter()
            .filter(|e| e.message == MessageKind::VehicleStatus)
            .filter_map(|e| serde_json::from_str::<Value>(e.json).ok())
            .filter_map(|frame| {
                let data = frame.get("data")?.clone();
                Some((data.get("vehicle_id")?.as_str()?.to_owned(), data))
            })
            .collect();
        let tokens = EXAMPLES
            .iter()
            .filter(|e| e.message == MessageKind::AuthRequest)
            .filter_map(|e| serde_json::from_str::<Value>(e.json).ok())
            .filter_map(|frame| frame.as_object()?.values().next()?.as_str().map(str::to_owned))
            .collect();
        let requests = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared { statuses, tokens, requests: Arc::clone(&requests) });
        let app = axum::Router::new().route("/api/v2.2/vehicle/{vehicle_id}/status", get(status)).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the REST stand-in stopped");
            }
        });
        Ok(StandIn { addr, requests, stop: Some(stop), task })
    }

    /// Its base URL, `http://127.0.0.1:<port>`, to use as the API.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A token it accepts: the document's first `authRequest` example's, without `Token `.
    pub fn token() -> Option<String> {
        EXAMPLES
            .iter()
            .find(|e| e.message == MessageKind::AuthRequest)
            .and_then(|e| serde_json::from_str::<Value>(e.json).ok())
            .and_then(|frame| frame.as_object()?.values().next()?.as_str().map(str::to_owned))
            .map(|value| value.strip_prefix("Token ").unwrap_or(&value).to_owned())
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Stops listening and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn envelope(status: StatusCode, header_status: &str, message: Option<&str>, data: Value) -> (StatusCode, Json<Value>) {
    let header = json!({"api_version": "v2.2", "status": header_status, "message": message, "permission_via": []});
    (status, Json(json!({"header": header, "data": data})))
}

async fn status(
    State(shared): State<Arc<Shared>>,
    Path(vehicle_id): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !shared.tokens.iter().any(|t| t == authorization) {
        return envelope(StatusCode::UNAUTHORIZED, "ERROR", Some("Invalid token."), Value::Null);
    }
    let Some((_, data)) = shared.statuses.iter().find(|(id, _)| *id == vehicle_id) else {
        return envelope(StatusCode::NOT_FOUND, "ERROR", Some("Vehicle not found."), Value::Null);
    };
    let mut data = data.clone();
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    if let Some(fields) = data.as_object_mut() {
        fields.insert("timestamp".into(), Value::String(now.clone()));
        fields.insert("last_update".into(), Value::String(now));
    }
    envelope(StatusCode::OK, "SUCCESS", None, data)
}
