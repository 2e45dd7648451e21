//! Checks with real brokers: crates generated from a published MQTT document, in both roles,
//! talking through Debian's `mosquitto`, each broker started on a free port of 127.0.0.1 with a
//! configuration and store in the output folder, and killed at the end; and the tests that start
//! Debian's `nats-server` themselves (the NATS fixture's crates, the fleet relay), which
//! `cargo test --workspace` ignores (no crate embeds a NATS server).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, ensure};
use asyncapi_codegen::ir::Role;
use asyncapi_codegen::templates::{Runtime, TypesFrom};
use asyncapi_codegen::{Settings, generate, write};
use serde_json::Value;
use tokio::process::Command;

use super::{Env, Proc, STEP};

/// The published document the check generates from (the shared corpus beside the project).
const STREETLIGHTS: &str = "../shared/asyncapi-corpus/spec-examples/3.0/streetlights-mqtt-asyncapi.yml";

/// The program that drives both crates (`xtask/integration/streetlights-talk.rs`).
const TALK: &str = include_str!("../../integration/streetlights-talk.rs");

/// A free port of 127.0.0.1: mosquitto binds the port it is given and reports none it chose.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// A running mosquitto.
struct Mosquitto {
    _proc: Proc,
    port: u16,
}

impl Mosquitto {
    /// Starts mosquitto on `port` with the configuration lines `extra`, and waits until it
    /// accepts connections.
    async fn start(name: &str, port: u16, extra: &str, out: &Path) -> anyhow::Result<Mosquitto> {
        let conf = out.join(format!("{name}.conf"));
        let text = format!("listener {port} 127.0.0.1\npersistence false\nlog_dest stderr\n{extra}");
        std::fs::write(&conf, text).with_context(|| format!("writing {}", conf.display()))?;
        let conf = conf.display().to_string();
        let proc = Proc::spawn(name, Path::new("mosquitto"), &["-c", &conf], out).await?;
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            ensure!(started.elapsed() < STEP, "{name} did not listen on port {port}; see {}", proc.log.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Mosquitto { _proc: proc, port })
    }

    fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

/// Generates the document in both roles, the second sharing the first's payload types, and
/// writes the workspace that builds them with the talk program.
fn write_crates(root: &Path, work: &Path) -> anyhow::Result<()> {
    let spec = root.join(STREETLIGHTS);
    ensure!(spec.is_file(), "the check generates from {}, which is not there", spec.display());
    let runtime = Runtime::Path(root.join("codegen/runtime").display().to_string());
    let app =
        Settings::new(&spec).with_role(Role::App).with_crate_name("streetlights-app").with_runtime(runtime.clone());
    let types = TypesFrom { package: "streetlights-app".into(), lib: "streetlights_app".into(), path: "../app".into() };
    let peer = Settings::new(&spec)
        .with_role(Role::Peer)
        .with_crate_name("streetlights-peer")
        .with_runtime(runtime)
        .with_types_from(types);
    for (settings, dir) in [(app, "app"), (peer, "peer")] {
        let generated = generate(&settings).with_context(|| format!("generating {} as {dir}", spec.display()))?;
        write::write(&work.join(dir), &generated.files)?;
    }
    let runtime_path = Value::from(root.join("codegen/runtime").display().to_string());
    let manifest = format!(
        "# Written by `cargo xtask integration`.\n[package]\nname = \"streetlights-talk\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nasyncapi-runtime = {{ path = {runtime_path}, features = [\"mqtt\"] }}\nstreetlights-app = {{ path = \"../app\" }}\nstreetlights-peer = {{ path = \"../peer\" }}\ntokio = {{ version = \"1.47\", features = [\"rt-multi-thread\", \"macros\", \"time\"] }}\n"
    );
    std::fs::create_dir_all(work.join("talk/src"))?;
    std::fs::write(work.join("talk/Cargo.toml"), manifest)?;
    std::fs::write(work.join("talk/src/main.rs"), TALK)?;
    let members = "# Written by `cargo xtask integration`.\n[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"peer\", \"talk\"]\n";
    std::fs::write(work.join("Cargo.toml"), members)?;
    // The project's versions of every dependency.
    std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock")).context("copying Cargo.lock")?;
    Ok(())
}

/// Builds the talk program in `work` and returns its executable.
async fn build_talk(root: &Path, work: &Path) -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(work)
        .env("CARGO_TARGET_DIR", target)
        .args(["build", "--message-format=json-render-diagnostics", "-p", "streetlights-talk"])
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("running cargo build")?;
    ensure!(output.status.success(), "cargo build of the generated streetlights crates failed in {}", work.display());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|m| m.get("executable").and_then(Value::as_str).map(PathBuf::from))
        .ok_or_else(|| anyhow!("cargo did not report the talk program's executable"))
}

/// The Streetlights MQTT document (3.0) in both roles through mosquitto: `lightMeasured` on
/// `.../event/{streetlightId}/lighting/measured` with the parameter typed, `turnOn` back; both
/// clients come back after mosquitto restarts; a wrong password is refused.
pub(super) async fn mqtt_streetlights(env: &Env) -> anyhow::Result<()> {
    let work = env.out.join("streetlights");
    write_crates(&env.root, &work)?;
    let talk = build_talk(&env.root, &work).await?;

    let port = free_port()?;
    let broker = Mosquitto::start("mosquitto", port, "allow_anonymous true\n", &env.out).await?;
    let passwords = env.out.join("mosquitto-passwords");
    let status = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwords)
        .args(["app", "right"])
        .status()
        .await
        .context("running mosquitto_passwd")?;
    ensure!(status.success(), "mosquitto_passwd failed");
    let auth = format!("allow_anonymous false\npassword_file {}\n", passwords.display());
    let guarded = Mosquitto::start("mosquitto-auth", free_port()?, &auth, &env.out).await?;

    let (url, auth_url) = (broker.url(), guarded.url());
    let mut program = Proc::spawn("streetlights-talk", &talk, &[&url, &auth_url], &env.out).await?;
    program.line_with("round 1 ok").await?;
    drop(broker);
    let broker = Mosquitto::start("mosquitto-restarted", port, "allow_anonymous true\n", &env.out).await?;
    program.send("restarted").await?;
    program.line_with("round 2 ok").await?;
    program.line_with("rejected: ").await?;
    program.line_with("credentials ok").await?;
    program.line_with("mqtt5 ok").await?;
    let status = tokio::time::timeout(STEP, program.wait()).await.context("the talk program did not end")??;
    ensure!(status.success(), "the talk program ended with {status}; see {}", program.log.display());
    drop((broker, guarded));
    Ok(())
}

/// Runs the ignored tests that need a real `nats-server` (each starts its own on a free port):
/// the NATS fixture's two sides (`tests/snapshots/nats-peer/tests/nats.rs`).
pub(super) async fn nats_fixture(env: &Env) -> anyhow::Result<()> {
    run_ignored_tests(env, "fixture-nats-peer", "nats").await
}

/// Runs the fleet relay's end-to-end test against a real `nats-server -js`
/// (`generated-client/tests/relay.rs`).
pub(super) async fn relay(env: &Env) -> anyhow::Result<()> {
    run_ignored_tests(env, "generated-client", "relay").await
}

/// `cargo test -p <package> --test <test> -- --ignored`, its output in the check's log.
async fn run_ignored_tests(env: &Env, package: &str, test: &str) -> anyhow::Result<()> {
    let log = env.out.join(format!("{package}-{test}.log"));
    let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let status = Command::new(env!("CARGO"))
        .current_dir(&env.root)
        .args(["test", "--locked", "-p", package, "--test", test, "--", "--ignored"])
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .await
        .context("running cargo test")?;
    ensure!(status.success(), "`cargo test -p {package} --test {test} -- --ignored` failed; see {}", log.display());
    Ok(())
}
