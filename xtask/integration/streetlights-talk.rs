//! The program of `cargo xtask integration`'s `mqtt-streetlights` check (it is not part of the
//! workspace: the check generates the two crates it uses and builds it beside them).
//!
//! `streetlights_app` is the crate generated from the Streetlights MQTT document in the role of
//! the application it describes (it receives `lightMeasured` and sends `turnOn`);
//! `streetlights_peer` the crate in the other role, a streetlight. Both talk through the
//! mosquitto at the first argument. After the first round the program prints `round 1 ok` and
//! waits for a line on its standard input: the check restarts mosquitto meanwhile, and both
//! clients must come back by themselves for the second round. Last, a session with a wrong
//! password at the mosquitto of the second argument must stop with `Error::Rejected`. Then the
//! same over MQTT 5: `lightMeasured` travels with its typed headers (`my-app-header`) as user
//! properties, and a wrong password is refused there too.

use std::time::Duration;

use asyncapi_runtime::Api;
use asyncapi_runtime::mqtt::{Error, Event, MqttClient, MqttConfig, MqttVersion, Received};
use streetlights_app as app;
use streetlights_peer as light;

const WAIT: Duration = Duration::from_secs(20);

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn config<A: Api>(url: &str, id: &str) -> MqttConfig<A> {
    MqttConfig::new(url).with_client_id(id).with_backoff(Duration::from_millis(50), Duration::from_millis(500))
}

async fn recv<A: Api>(client: &mut MqttClient<A>) -> Result<std::result::Result<Event<A::Incoming>, Error>> {
    let event = tokio::time::timeout(WAIT, client.recv()).await.map_err(|_| "no event in time")?;
    event.ok_or_else(|| "the client stopped".into())
}

/// Waits for `Connected`, through any reconnects.
async fn connected<A: Api>(client: &mut MqttClient<A>) -> Result<()> {
    loop {
        match recv(client).await?? {
            Event::Connected => return Ok(()),
            Event::Disconnected { .. } | Event::Reconnecting { .. } => {}
            other => return Err(format!("expected to connect, got {other:?}").into()),
        }
    }
}

/// The next message, skipping lifecycle events.
async fn message<A: Api>(client: &mut MqttClient<A>) -> Result<Received<A::Incoming>> {
    loop {
        match recv(client).await?? {
            Event::Message(received) => return Ok(received),
            Event::Connected | Event::Disconnected { .. } | Event::Reconnecting { .. } => {}
            other => return Err(format!("expected a message, got {other:?}").into()),
        }
    }
}

/// Streetlight `id` measures `lumens`; the application reads it with the parameter typed and
/// turns that streetlight on.
async fn round(app: &mut app::mqtt::MqttClient, light: &mut light::mqtt::MqttClient, id: &str, lumens: u64) -> Result<()> {
    let measured = light::types::LightMeasuredPayload { lumens: Some(lumens), sent_at: None };
    let topic = light::channels::LightingMeasuredParams { streetlight_id: id.into() }.address();
    light.send_to(&topic, light::Outgoing::LightMeasured(Box::new(measured))).await?;
    let got = message(app).await?;
    let params = app::channels::LightingMeasuredParams::parse(&got.topic).ok_or("the topic is not lightingMeasured's")?;
    match got.message {
        app::Incoming::LightMeasured(p) if p.lumens == Some(lumens) && params.streetlight_id == id => {}
        other => return Err(format!("expected lightMeasured {lumens} from {id}, got {other:?} on {}", got.topic).into()),
    }
    println!("lightMeasured received on {} (streetlightId {id})", got.topic);

    let on = app::types::TurnOnOffPayload { command: Some(app::types::TurnOnOffPayloadCommand::On), sent_at: None };
    let topic = app::channels::LightTurnOnParams { streetlight_id: id.into() }.address();
    app.send_to(&topic, app::Outgoing::TurnOn(Box::new(on))).await?;
    let got = message(light).await?;
    match got.message {
        light::Incoming::TurnOn(p) if p.command == Some(light::types::TurnOnOffPayloadCommand::On) => {}
        other => return Err(format!("expected turnOn, got {other:?} on {}", got.topic).into()),
    }
    println!("turnOn received on {}", got.topic);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, auth_url] = args.as_slice() else {
        return Err("usage: streetlights-talk <mqtt-url> <mqtt-url-with-passwords>".into());
    };
    let mut app = MqttClient::connect(config::<app::Api>(url, "streetlights-app"))?;
    let mut light = MqttClient::connect(config::<light::Api>(url, "streetlight-1"))?;
    connected(&mut app).await?;
    connected(&mut light).await?;
    round(&mut app, &mut light, "1", 1200).await?;
    println!("round 1 ok");

    let mut line = String::new();
    tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line)).await??;
    // mosquitto was restarted: both sessions come back, subscriptions included.
    connected(&mut app).await?;
    connected(&mut light).await?;
    round(&mut app, &mut light, "7", 300).await?;
    println!("round 2 ok");

    let bad = config::<app::Api>(auth_url, "intruder").with_credentials("app", "wrong-password");
    if format!("{bad:?}").contains("wrong-password") {
        return Err("the password shows in the config's Debug output".into());
    }
    let mut bad = MqttClient::connect(bad)?;
    match recv(&mut bad).await? {
        Err(e @ Error::Rejected { .. }) => println!("rejected: {e}"),
        other => return Err(format!("expected the broker to refuse the password, got {other:?}").into()),
    }
    let mut good = MqttClient::connect(config::<app::Api>(auth_url, "app").with_credentials("app", "right"))?;
    connected(&mut good).await?;
    println!("credentials ok");
    app.shutdown().await;
    light.shutdown().await;
    good.shutdown().await;

    mqtt5(url, auth_url).await?;
    println!("mqtt5 ok");
    Ok(())
}

/// The MQTT 5 round: headers as user properties, both ways through mosquitto, and a refused
/// password.
async fn mqtt5(url: &str, auth_url: &str) -> Result<()> {
    let mut app = MqttClient::connect(config::<app::Api>(url, "streetlights-app-5").with_version(MqttVersion::V5))?;
    let mut light = MqttClient::connect(config::<light::Api>(url, "streetlight-5").with_version(MqttVersion::V5))?;
    connected(&mut app).await?;
    connected(&mut light).await?;
    let measured = light::types::LightMeasuredPayload { lumens: Some(42), sent_at: None };
    let headers = light::types::LightMeasuredHeaders { my_app_header: Some(42) };
    let topic = light::channels::LightingMeasuredParams { streetlight_id: "5".into() }.address();
    light.send_to_with_headers(&topic, light::Outgoing::LightMeasured(Box::new(measured)), &headers).await?;
    let got = message(&mut app).await?;
    let typed: app::types::LightMeasuredHeaders = got.headers_as()?;
    if typed.my_app_header != Some(42) || !matches!(got.message, app::Incoming::LightMeasured(_)) {
        return Err(format!("expected lightMeasured with my-app-header 42, got {got:?}").into());
    }
    println!("lightMeasured received over MQTT 5 with headers {:?}", got.headers);
    app.shutdown().await;
    light.shutdown().await;

    let bad = config::<app::Api>(auth_url, "intruder-5").with_credentials("app", "wrong-password");
    let mut bad = MqttClient::connect(bad.with_version(MqttVersion::V5))?;
    match recv(&mut bad).await? {
        Err(e @ Error::Rejected { .. }) => println!("rejected over MQTT 5: {e}"),
        other => return Err(format!("expected MQTT 5 to refuse the password, got {other:?}").into()),
    }
    Ok(())
}
