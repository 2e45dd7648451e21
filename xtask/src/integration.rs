//! `cargo xtask integration [CHECK...]`: end-to-end checks that need programs from outside the
//! workspace, kept out of `cargo test --workspace` so that the README's test command needs
//! nothing but a Rust toolchain.
//!
//! Each check is a named async function in [`CHECKS`]; it starts what it needs on 127.0.0.1
//! port 0, waits on what a person would see (with a timeout, never a fixed sleep), and stops
//! it all when it ends (child processes are killed when dropped).
//!
//! The broker checks (`brokers.rs`) generate crates from a published MQTT document in both
//! roles and run them through Debian's `mosquitto`. The browser checks drive the dashboard example (`generated-client/examples/dashboard.rs`) in
//! Debian's headless `chromium` through `chromedriver` (WebDriver, with `fantoccini`), against
//! the mock broker example (`examples/mock_broker.rs`), which a check commands over its standard
//! input. Screenshots and logs go to `target/integration/` under the workspace root.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use fantoccini::{Client as Browser, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

mod brokers;

/// Where screenshots, logs and generated recordings go, under the workspace root.
pub const OUT_DIR: &str = "target/integration";
/// The longest any one step may take (never reached when the check passes).
const STEP: Duration = Duration::from_secs(30);
/// How many vehicles the load check replays.
const FLEET: usize = 10_000;

type CheckFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + 'a>>;

/// One end-to-end check.
struct Check {
    name: &'static str,
    what: &'static str,
    /// Programs it needs on `PATH`.
    needs: &'static [&'static str],
    run: for<'a> fn(&'a Env) -> CheckFuture<'a>,
}

const CHECKS: &[Check] = &[
    Check {
        name: "dashboard",
        what: "the dashboard shows the mock's feed, a notification, reconnecting then connected, unknown frames",
        needs: &["chromium", "chromedriver"],
        run: |env| Box::pin(dashboard(env)),
    },
    Check {
        name: "dashboard-rejected",
        what: "the dashboard says rejected when the broker refuses the token",
        needs: &["chromium", "chromedriver"],
        run: |env| Box::pin(dashboard_rejected(env)),
    },
    Check {
        name: "dashboard-load",
        what: "10,000 vehicles from a recording, replayed without pause: every row there, the page answering",
        needs: &["chromium", "chromedriver"],
        run: |env| Box::pin(dashboard_load(env)),
    },
    Check {
        name: "mqtt-streetlights",
        what: "the Streetlights MQTT document in both roles through mosquitto, across a broker restart, and over MQTT 5 with headers",
        needs: &["mosquitto", "mosquitto_passwd"],
        run: |env| Box::pin(brokers::mqtt_streetlights(env)),
    },
    Check {
        name: "nats",
        what: "the NATS fixture in both roles through nats-server: subjects, a queue group, a restart, credentials, TLS",
        needs: &["nats-server"],
        run: |env| Box::pin(brokers::nats_fixture(env)),
    },
    Check {
        name: "relay",
        what: "mock broker → two relays → JetStream → consumer: 10,020 frames once each, in vehicle order, across restarts",
        needs: &["nats-server"],
        run: |env| Box::pin(brokers::relay(env)),
    },
];

/// The Debian package that installs `program`.
fn package_of(program: &str) -> &str {
    match program {
        "chromedriver" => "chromium-driver",
        "mosquitto_passwd" => "mosquitto",
        other => other,
    }
}

/// What the checks share: the workspace root, the output folder, and for the browser checks
/// the built examples and the WebDriver server.
struct Env {
    root: PathBuf,
    out: PathBuf,
    browsing: Option<Browsing>,
}

/// What the browser checks need, started only when one of them runs.
struct Browsing {
    dashboard: PathBuf,
    mock_broker: PathBuf,
    webdriver: String,
}

impl Env {
    fn browsing(&self) -> anyhow::Result<&Browsing> {
        self.browsing.as_ref().context("the browser was not started for this check")
    }
}

/// Runs the checks named in `only` (all when empty); `Ok(false)` when one failed.
pub fn run(root: &Path, only: &[String]) -> anyhow::Result<bool> {
    for name in only {
        ensure!(
            CHECKS.iter().any(|c| c.name == name),
            "unknown check `{name}`; the checks are: {}",
            CHECKS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
        );
    }
    let chosen: Vec<&Check> = CHECKS.iter().filter(|c| only.is_empty() || only.iter().any(|n| n == c.name)).collect();
    for check in &chosen {
        for program in check.needs {
            ensure!(
                which(program).is_some(),
                "check `{}` needs `{program}` on PATH; on Debian: apt-get install -y {}",
                check.name,
                package_of(program)
            );
        }
    }
    let out = root.join(OUT_DIR);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async {
        let browser = chosen.iter().any(|c| c.needs.contains(&"chromium"));
        let mut driver = None;
        let browsing = if browser {
            let built = build_examples(root, &["dashboard", "mock_broker"]).await?;
            let mut chromedriver = Proc::spawn("chromedriver", Path::new("chromedriver"), &["--port=0"], &out).await?;
            let line = chromedriver.line_with("was started successfully on port ").await?;
            let port = line.rsplit(' ').next().unwrap_or_default().trim_end_matches('.').to_owned();
            driver = Some(chromedriver);
            Some(Browsing {
                webdriver: format!("http://127.0.0.1:{port}"),
                dashboard: built[0].clone(),
                mock_broker: built[1].clone(),
            })
        } else {
            None
        };
        let env = Env { root: root.to_owned(), out, browsing };
        let (mut passed, mut failed) = (0, 0);
        for check in chosen {
            println!("== {}: {}", check.name, check.what);
            let started = Instant::now();
            match (check.run)(&env).await {
                Ok(()) => {
                    passed += 1;
                    println!("ok   {} ({:.1} s)", check.name, started.elapsed().as_secs_f64());
                }
                Err(e) => {
                    failed += 1;
                    println!("FAIL {} ({:.1} s): {e:#}", check.name, started.elapsed().as_secs_f64());
                }
            }
        }
        drop(driver);
        println!("integration: {passed} passed, {failed} failed");
        Ok(failed == 0)
    })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// Builds the examples of `generated-client` and returns their executables, in order.
async fn build_examples(root: &Path, names: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "--locked",
        "--message-format=json-render-diagnostics",
        "-p",
        "generated-client",
    ]);
    for name in names {
        command.args(["--example", name]);
    }
    let output = command.stderr(Stdio::inherit()).output().await.context("running cargo build")?;
    ensure!(output.status.success(), "cargo build of the examples {names:?} failed");
    let mut found = vec![None; names.len()];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(name), Some(exe)) = (message.pointer("/target/name"), message.get("executable")) else { continue };
        if let (Some(i), Some(exe)) = (names.iter().position(|n| Some(*n) == name.as_str()), exe.as_str()) {
            found[i] = Some(PathBuf::from(exe));
        }
    }
    found
        .into_iter()
        .zip(names)
        .map(|(exe, name)| exe.ok_or_else(|| anyhow!("cargo did not report the executable of example `{name}`")))
        .collect()
}

/// A child process: its standard output read line by line, its standard error in a log file,
/// killed when dropped (`kill_on_drop`).
struct Proc {
    name: String,
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stdin: Option<ChildStdin>,
    log: PathBuf,
}

impl Proc {
    async fn spawn(name: &str, program: &Path, args: &[&str], out: &Path) -> anyhow::Result<Proc> {
        let log = out.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let stdout = child.stdout.take().context("the child's standard output is piped")?;
        let stdin = child.stdin.take();
        Ok(Proc { name: name.to_owned(), child, stdout: BufReader::new(stdout).lines(), stdin, log })
    }

    /// The next line of standard output that contains `needle`.
    async fn line_with(&mut self, needle: &str) -> anyhow::Result<String> {
        let read = async {
            while let Some(line) = self.stdout.next_line().await? {
                if line.contains(needle) {
                    return Ok(line);
                }
            }
            Err(anyhow!("{} ended without printing `{needle}`", self.name))
        };
        let outcome = tokio::time::timeout(STEP, read).await;
        let failed = |e: anyhow::Error| e.context(format!("see {}", self.log.display()));
        match outcome {
            Ok(Ok(line)) => Ok(line),
            Ok(Err(e)) => Err(failed(e)),
            Err(_) => Err(failed(anyhow!("{} printed no `{needle}` within {STEP:?}", self.name))),
        }
    }

    /// Waits for it to end.
    async fn wait(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        self.child.wait().await.with_context(|| format!("waiting for {}", self.name))
    }

    /// Writes one command line to its standard input.
    async fn send(&mut self, line: &str) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("standard input is open")?;
        stdin.write_all(format!("{line}\n").as_bytes()).await?;
        stdin.flush().await.with_context(|| format!("writing to {}", self.name))
    }
}

/// The mock broker example, started with `args`: the process, its URL and a token it accepts.
async fn mock_broker(env: &Env, args: &[&str]) -> anyhow::Result<(Proc, String, String)> {
    let mut mock = Proc::spawn("mock_broker", &env.browsing()?.mock_broker, args, &env.out).await?;
    let listening = mock.line_with("mock broker listening on ").await?;
    let url = listening.rsplit(' ').next().unwrap_or_default().to_owned();
    let credentials = mock.line_with("credentials ").await?;
    let frame: Value = serde_json::from_str(credentials.trim_start_matches("credentials "))
        .context("the mock broker's credentials line is JSON")?;
    let token = frame["Authorization"].as_str().context("the credentials carry an Authorization")?.to_owned();
    Ok((mock, url, token))
}

/// The frames the mock broker pushes, as JSON.
async fn mock_feed(env: &Env) -> anyhow::Result<Vec<Value>> {
    let output = Command::new(&env.browsing()?.mock_broker)
        .arg("--print-feed")
        .output()
        .await
        .context("mock_broker --print-feed")?;
    ensure!(output.status.success(), "mock_broker --print-feed failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).with_context(|| format!("a feed frame is not JSON: {l}")))
        .collect()
}

/// The dashboard example with `args` (after `--listen 127.0.0.1:0`), and the URL of its page.
async fn dashboard_proc(env: &Env, name: &str, args: &[&str]) -> anyhow::Result<(Proc, String)> {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut dash = Proc::spawn(name, &env.browsing()?.dashboard, &all, &env.out).await?;
    let line = dash.line_with("dashboard listening on ").await?;
    let url = line.rsplit(' ').next().unwrap_or_default().to_owned();
    Ok((dash, url))
}

/// A new headless Chromium session on `url`.
async fn open(env: &Env, url: &str) -> anyhow::Result<Browser> {
    let options = json!({
        "binary": which("chromium").unwrap_or_else(|| "chromium".into()),
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,820"],
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&env.browsing()?.webdriver)
        .await
        .context("opening a chromium session through chromedriver")?;
    browser.goto(url).await.with_context(|| format!("loading {url}"))?;
    Ok(browser)
}

/// Polls `probe` until it gives a value or `limit` has passed; `what` names the wait.
async fn until<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a person reads on the page: every row's cells, the notifications, the connection badge
/// and log, the counters.
const READ_PAGE: &str = r#"
const text = (id) => document.getElementById(id).textContent;
const rows = [...document.querySelectorAll('#vehicles tbody tr[data-id]')].map((tr) => {
  const cells = {};
  for (const td of tr.querySelectorAll('td')) cells[td.dataset.col] = td.textContent;
  cells.name = tr.querySelector('td[data-col=vehicle] strong').textContent;
  return { id: tr.dataset.id, cells };
});
const notes = [...document.querySelectorAll('#notifications li')].map((li) => ({ cls: li.className, text: li.textContent }));
const badge = document.getElementById('connection');
return {
  rows, notes,
  state: badge.dataset.state, badge: badge.textContent, detail: badge.title,
  log: [...document.querySelectorAll('#connection-log li')].map((li) => li.dataset.state),
  frames: Number(text('count-frames')), unknown: Number(text('count-unknown')),
  undecodable: Number(text('count-undecodable')), vehicles: Number(text('count-vehicles')),
};"#;

async fn read_page(browser: &Browser) -> anyhow::Result<Value> {
    browser.execute(READ_PAGE, vec![]).await.context("reading the page")
}

fn number(page: &Value, key: &str) -> u64 {
    page[key].as_u64().unwrap_or(0)
}

/// A vehicle as the feed's latest frames describe it.
#[derive(Debug, Default)]
struct Expected {
    name: Option<String>,
    status: Option<Value>,
}

/// The vehicles of a feed: each one's latest status frame's `data` and its profile's name.
fn expected_vehicles(feed: &[Value]) -> std::collections::BTreeMap<String, Expected> {
    let mut vehicles = std::collections::BTreeMap::<String, Expected>::new();
    for frame in feed {
        match frame.pointer("/header/channel").and_then(Value::as_str) {
            Some("vehicle/status") => {
                if let Some(id) = frame.pointer("/data/vehicle_id").and_then(Value::as_str) {
                    vehicles.entry(id.to_owned()).or_default().status = Some(frame["data"].clone());
                }
            }
            Some("vehicle/profile") => {
                let uri = frame.pointer("/header/uri").and_then(Value::as_str).unwrap_or_default();
                if let Some(id) = uri.split('/').find(|s| s.starts_with("veh_")) {
                    vehicles.entry(id.to_owned()).or_default().name =
                        frame.pointer("/data/name").and_then(Value::as_str).map(str::to_owned);
                }
            }
            _ => {}
        }
    }
    vehicles
}

/// The numbers in a cell's text (`13.3 V · 100 %` → 13.3, 100).
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty() && *s != "-")
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Compares one row of the page with the vehicle it should show; the problems, in words.
fn compare_row(id: &str, want: &Expected, cells: &Value) -> Vec<String> {
    let cell = |col: &str| cells[col].as_str().unwrap_or("(missing)").to_owned();
    let data = want.status.clone().unwrap_or(Value::Null);
    let field = |key: &str| data.get(key).and_then(Value::as_f64);
    let mut problems = Vec::new();
    let mut check = |col: &str, ok: bool, expected: String| {
        if !ok {
            problems.push(format!("{id}: {col} shows `{}`, expected {expected}", cell(col)));
        }
    };
    check("name", cell("name") == want.name.clone().unwrap_or_default(), format!("{:?}", want.name));
    let status = data.get("status").and_then(Value::as_str).unwrap_or("–").to_owned();
    check("status", cell("status") == status, format!("`{status}`"));
    // Numbers are shown rounded: each must be within half a unit of the last digit shown.
    let near = |col: &str, values: &[Option<f64>], tolerance: &[f64]| {
        let shown = numbers(&cell(col));
        let want: Vec<(f64, f64)> = values.iter().zip(tolerance).filter_map(|(v, t)| v.map(|v| (v, *t))).collect();
        shown.len() == want.len() && shown.iter().zip(&want).all(|(s, (v, t))| (s - v).abs() <= t + 1e-9)
    };
    let soc = [field("state_of_charge_pct")];
    check("soc", near("soc", &soc, &[0.5]), format!("{soc:?}"));
    let battery = [field("battery_main_voltage"), field("battery_main_pct")];
    check("battery", near("battery", &battery, &[0.05, 0.5]), format!("{battery:?}"));
    let speed = [field("speed")];
    check("speed", near("speed", &speed, &[0.05]), format!("{speed:?} km/h"));
    let position = match (field("latitude"), field("longitude")) {
        (Some(lat), Some(lon)) => [Some(lat), Some(lon)],
        _ => [None, None],
    };
    check("position", near("position", &position, &[0.000_005, 0.000_005]), format!("{position:?}"));
    let ignition = match data.get("ignition_on").and_then(Value::as_bool) {
        Some(true) => "on",
        Some(false) => "off",
        None => "–",
    };
    check("ignition", cell("ignition") == ignition, format!("`{ignition}`"));
    let timestamp = data.get("timestamp").and_then(Value::as_str).unwrap_or("–").to_owned();
    check("updated", cell("updated") == timestamp, format!("`{timestamp}`"));
    problems
}

async fn screenshot(browser: &Browser, path: &Path) -> anyhow::Result<()> {
    let png = browser.screenshot().await.context("taking a screenshot")?;
    std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
    println!("     screenshot: {}", path.display());
    Ok(())
}

/// The mock's feed on the page, a notification, a dropped connection and unknown frames.
async fn dashboard(env: &Env) -> anyhow::Result<()> {
    let feed = mock_feed(env).await?;
    let (mut mock, ws, token) = mock_broker(env, &["--interval", "20"]).await?;
    let (_dash, url) = dashboard_proc(env, "dashboard", &["--url", &ws, "--token", &token, "--stale", "3600"]).await?;
    let browser = open(env, &url).await?;
    let outcome = async {
        let vehicles = expected_vehicles(&feed);
        let page = until("the whole feed on the page", STEP, || async {
            let page = read_page(&browser).await?;
            let done = number(&page, "frames") == feed.len() as u64
                && page["rows"].as_array().is_some_and(|r| r.len() == vehicles.len());
            Ok(done.then_some(page))
        })
        .await?;
        // Every vehicle of the feed, with the values of its latest frame.
        let rows = page["rows"].as_array().cloned().unwrap_or_default();
        let mut problems = Vec::new();
        for (id, want) in &vehicles {
            match rows.iter().find(|r| r["id"] == id.as_str()) {
                Some(row) => problems.extend(compare_row(id, want, &row["cells"])),
                None => problems.push(format!("{id}: no row")),
            }
        }
        ensure!(problems.is_empty(), "the table differs from the feed:\n  {}", problems.join("\n  "));
        println!("     {} vehicles, {} frames, values of each vehicle's latest frame", vehicles.len(), feed.len());
        // The notifications, coloured by priority.
        let notes: Vec<&Value> = feed
            .iter()
            .filter(|f| f.pointer("/header/channel").and_then(Value::as_str) == Some("notification"))
            .collect();
        let shown = page["notes"].as_array().cloned().unwrap_or_default();
        ensure!(!notes.is_empty(), "the mock's feed has no notification to show");
        ensure!(shown.len() == notes.len(), "{} notifications shown, the feed has {}", shown.len(), notes.len());
        for note in &notes {
            let title = note.pointer("/data/title").and_then(Value::as_str).unwrap_or("(no title)");
            let priority = note.pointer("/data/priority").and_then(Value::as_str).unwrap_or("-").to_lowercase();
            let class = format!("prio-{priority}");
            ensure!(
                shown
                    .iter()
                    .any(|s| s["cls"] == class.as_str() && s["text"].as_str().is_some_and(|t| t.contains(title))),
                "no notification `{title}` coloured as {class} on the page"
            );
        }
        println!("     {} notifications, coloured by priority", notes.len());
        ensure!(page["state"] == "connected", "the page shows `{}`, expected connected", page["state"]);
        // Frames the document does not describe, and frames that do not decode, are counted.
        ensure!(number(&page, "unknown") == 0 && number(&page, "undecodable") == 0, "counters not zero at the start");
        mock.send(r#"push {"header":{"type":"API","channel":"vehicle/telemetry"},"data":{"vehicle_id":"veh_x"}}"#)
            .await?;
        until("the unknown-frame counter at 1", STEP, || async {
            Ok((number(&read_page(&browser).await?, "unknown") == 1).then_some(()))
        })
        .await?;
        mock.send(r#"push {"header": {"channel": "vehicle/status"}, "data": {"#).await?;
        until("the undecodable-frame counter at 1", STEP, || async {
            Ok((number(&read_page(&browser).await?, "undecodable") == 1).then_some(()))
        })
        .await?;
        println!("     an unknown and an undecodable frame raised their counters");
        // A dropped connection: the badge goes to reconnecting, then back to connected.
        let watch = r#"window.seenStates = [];
            const badge = document.getElementById('connection');
            new MutationObserver(() => window.seenStates.push(badge.dataset.state))
              .observe(badge, { attributes: true, childList: true, characterData: true, subtree: true });"#;
        browser.execute(watch, vec![]).await.context("watching the connection badge")?;
        mock.send("drop").await?;
        let seen = until("reconnecting, then connected again", STEP, || async {
            let seen = browser.execute("return window.seenStates", vec![]).await?;
            let states: Vec<String> =
                seen.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect();
            let back = states
                .iter()
                .position(|s| s == "reconnecting")
                .is_some_and(|i| states[i..].contains(&"connected".to_owned()));
            Ok(back.then_some(states))
        })
        .await?;
        let mut shown: Vec<&str> = seen.iter().map(String::as_str).collect();
        shown.dedup();
        println!("     after the drop the badge showed: {}", shown.join(" → "));
        let page = read_page(&browser).await?;
        ensure!(page["badge"] == "connected", "the badge says `{}` at the end", page["badge"]);
        ensure!(
            page["log"].as_array().is_some_and(|l| l.iter().any(|s| s == "reconnecting")),
            "the connection log has no reconnecting entry"
        );
        mock.send("stats").await?;
        let stats = mock.line_with("stats ").await?;
        let stats: Value = serde_json::from_str(stats.trim_start_matches("stats ")).context("stats line")?;
        ensure!(stats["accepted"] == 2, "the dashboard should have authenticated twice: {stats}");
        screenshot(&browser, &env.out.join("dashboard.png")).await
    }
    .await;
    let _ = browser.close().await;
    outcome
}

/// A token the broker refuses: the page says rejected.
async fn dashboard_rejected(env: &Env) -> anyhow::Result<()> {
    let (_mock, ws, _token) = mock_broker(env, &["--interval", "20"]).await?;
    let (_dash, url) =
        dashboard_proc(env, "dashboard-rejected", &["--url", &ws, "--token", "not-a-valid-token"]).await?;
    let browser = open(env, &url).await?;
    let outcome = until("the rejected state", STEP, || async {
        let page = read_page(&browser).await?;
        Ok((page["state"] == "rejected").then_some(page))
    })
    .await;
    let _ = browser.close().await;
    let page = outcome?;
    ensure!(page["badge"] == "rejected", "the badge says `{}`", page["badge"]);
    let detail = page["detail"].as_str().unwrap_or_default();
    ensure!(detail.contains("rejected the credentials"), "the badge's detail does not say why: `{detail}`");
    println!("     badge: rejected ({detail})");
    Ok(())
}

/// A recording of `FLEET` vehicles made from the feed's first status frame: ids, positions and
/// values varied, one frame per line.
fn synthetic_fleet(feed: &[Value]) -> anyhow::Result<String> {
    let template = feed
        .iter()
        .find(|f| f.pointer("/header/channel").and_then(Value::as_str) == Some("vehicle/status"))
        .context("the mock's feed has no vehicle status frame to vary")?;
    let statuses = ["PARK", "CRUISING", "FLOATING", "PARK_HOME"];
    let mut out = String::new();
    for i in 0..FLEET {
        let id = format!("veh_load{i:05}");
        let mut frame = template.clone();
        frame["header"]["uri"] = json!(format!("https://api.ctechnology.io/api/v2.2/vehicle/{id}/status"));
        let data = &mut frame["data"];
        data["vehicle_id"] = json!(id);
        data["latitude"] = json!(46.0 + (i / 100) as f64 * 0.02);
        data["longitude"] = json!(6.0 + (i % 100) as f64 * 0.03);
        data["speed"] = json!((i % 130) as f64);
        data["state_of_charge_pct"] = json!((i % 101) as f64);
        data["battery_main_voltage"] = json!(11.8 + (i % 20) as f64 / 10.0);
        data["ignition_on"] = json!(i % 3 == 0);
        data["status"] = json!(statuses[i % statuses.len()]);
        out.push_str(&frame.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// 10,000 vehicles replayed as fast as the dashboard takes them: all rows appear and the page
/// keeps answering.
async fn dashboard_load(env: &Env) -> anyhow::Result<()> {
    let recording = env.out.join("fleet-10k.jsonl");
    let fleet = synthetic_fleet(&mock_feed(env).await?)?;
    std::fs::write(&recording, fleet).with_context(|| format!("writing {}", recording.display()))?;
    let path = recording.to_string_lossy().into_owned();
    let (_dash, url) = dashboard_proc(env, "dashboard-load", &["--replay", &path, "--interval", "0"]).await?;
    let started = Instant::now();
    let browser = open(env, &url).await?;
    let outcome = async {
        let count = "return [Number(document.getElementById('vehicles').dataset.rows), Number(document.getElementById('count-frames').textContent)]";
        until(&format!("{FLEET} vehicles in the table"), Duration::from_secs(180), || async {
            let got = browser.execute(count, vec![]).await?;
            Ok((got[0].as_u64() == Some(FLEET as u64)).then_some(()))
        })
        .await?;
        println!("     {FLEET} vehicles in the table {:.1} s after the page was opened", started.elapsed().as_secs_f64());
        // Scrolled to the end, the table shows the last vehicle, as a person scrolling would see.
        let last = format!("veh_load{:05}", FLEET - 1);
        browser.execute("const f = document.getElementById('fleet'); f.scrollTop = f.scrollHeight;", vec![]).await?;
        let bottom = "return [...document.querySelectorAll('#vehicles tbody tr[data-id]')].map((tr) => tr.dataset.id)";
        until(&format!("{last} in view after scrolling to the end"), STEP, || async {
            let ids = browser.execute(bottom, vec![]).await?;
            Ok(ids.as_array().is_some_and(|ids| ids.iter().any(|id| id == last.as_str())).then_some(()))
        })
        .await?;
        println!("     scrolled to the end: {last} in view");
        // While the replay goes on, how long the page takes to answer a script (a driver round
        // trip, which waits for the page's event loop): printed, bounded generously.
        let mut times = Vec::new();
        let first = browser.execute(count, vec![]).await?;
        let probe_started = Instant::now();
        for _ in 0..20 {
            let t = Instant::now();
            browser.execute(count, vec![]).await?;
            times.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let last = browser.execute(count, vec![]).await?;
        let frames = last[1].as_f64().unwrap_or(0.0) - first[1].as_f64().unwrap_or(0.0);
        let rate = frames / probe_started.elapsed().as_secs_f64();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "     page round trip under load: min {:.0} ms, median {:.0} ms, max {:.0} ms; {rate:.0} frames/s shown",
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
        let worst = times[times.len() - 1];
        ensure!(worst < Duration::from_secs(10), "the page took {worst:?} to answer a script");
        ensure!(frames > 0.0, "the frame counter did not move while the replay ran");
        screenshot(&browser, &env.out.join("dashboard-10k.png")).await
    }
    .await;
    let _ = browser.close().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_frame_of_each_vehicle_and_its_profile_name_are_expected() {
        let feed = vec![
            json!({"header": {"channel": "vehicle/status"}, "data": {"vehicle_id": "veh_a", "speed": 1.0}}),
            json!({"header": {"channel": "vehicle/profile", "uri": "https://h/vehicle/veh_a"}, "data": {"name": "A"}}),
            json!({"header": {"channel": "vehicle/status"}, "data": {"vehicle_id": "veh_a", "speed": 2.0}}),
            json!({"header": {"channel": "notification"}, "data": {"vehicle_id": "veh_b"}}),
        ];
        let vehicles = expected_vehicles(&feed);
        assert_eq!(vehicles.len(), 1);
        assert_eq!(vehicles["veh_a"].name.as_deref(), Some("A"));
        assert_eq!(vehicles["veh_a"].status.as_ref().and_then(|d| d["speed"].as_f64()), Some(2.0));
    }

    #[test]
    fn a_row_that_shows_other_values_is_reported() {
        let want = Expected {
            name: None,
            status: Some(
                json!({"timestamp": "t", "speed": 12.34, "battery_main_voltage": 12.6, "battery_main_pct": 80}),
            ),
        };
        let mut cells = json!({"name": "", "status": "–", "soc": "–", "battery": "12.6 V · 80 %",
            "speed": "12.3 km/h", "position": "–", "ignition": "–", "updated": "t"});
        assert_eq!(compare_row("veh_a", &want, &cells), Vec::<String>::new());
        cells["speed"] = json!("13.3 km/h");
        cells["battery"] = json!("12.6 V");
        let problems = compare_row("veh_a", &want, &cells);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("battery") && problems[1].contains("speed"), "{problems:?}");
    }

    #[test]
    fn the_synthetic_fleet_has_one_distinct_vehicle_per_line() {
        let feed = vec![json!({"header": {"channel": "vehicle/status"}, "data": {"vehicle_id": "veh_a"}})];
        let fleet = synthetic_fleet(&feed).expect("a status frame to vary");
        let ids: std::collections::BTreeSet<String> = fleet
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON lines")["data"]["vehicle_id"].to_string())
            .collect();
        assert_eq!(ids.len(), FLEET);
    }
}
