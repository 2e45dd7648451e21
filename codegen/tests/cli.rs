//! The `asyncapi-codegen` binary as a user runs it: exit codes, check mode, message formats, and
//! an existing output directory surviving a failed run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("codegen/ is in the workspace").to_path_buf()
}

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file below `dir` with its bytes, for before/after comparisons.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("readable file")));
            }
        }
    }
    out.sort();
    out
}

const SPEC: &str = "spec/fixtures/enums.yaml";

#[test]
fn generate_then_check_is_clean_and_drift_exits_1_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crate");
    let out_s = out.to_str().expect("utf-8 path");
    let o = codegen(&["generate", "--spec", SPEC, "--out", out_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("Cargo.toml").is_file() && out.join("src/types.rs").is_file());

    let o = codegen(&["generate", "--spec", SPEC, "--out", out_s, "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    std::fs::write(out.join("src/types.rs"), "// edited by hand\n").expect("write");
    let before = snapshot(&out);
    let o = codegen(&["generate", "--spec", SPEC, "--out", out_s, "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(diff.contains("src/types.rs"), "diff names the file: {diff}");
    assert!(stderr(&o).contains("asyncapi-codegen generate --spec"), "says how to fix: {}", stderr(&o));
    assert_eq!(snapshot(&out), before, "--check writes nothing");
}

#[test]
fn an_invalid_document_exits_2_with_a_located_message() {
    let o = codegen(&["generate", "--spec", "spec/fixtures/invalid/unknown-version.yaml", "--out", "/nonexistent/out"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.starts_with("error: unsupported AsyncAPI version `9.9.9`"), "{e}");
    assert!(e.contains("--> spec/fixtures/invalid/unknown-version.yaml:2:11"), "{e}");
    assert!(e.contains("asyncapi: 9.9.9") && e.contains('^'), "shows the line and a caret: {e}");
}

#[test]
fn json_messages_are_one_object_per_line() {
    let o = codegen(&[
        "generate",
        "--spec",
        "spec/fixtures/invalid/bad-ref.yaml",
        "--out",
        "/nonexistent/out",
        "--message-format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let line = stderr(&o);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON object");
    assert_eq!(v["level"], "error");
    assert_eq!(v["file"], "spec/fixtures/invalid/bad-ref.yaml");
    assert_eq!(v["pointer"], "/components/messages/ping/payload/$ref");
    assert!(v["line"].as_u64().is_some());
}

#[test]
fn union_alternatives_that_no_member_tells_apart_are_a_located_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crate");
    let spec = "spec/fixtures/untagged-unions.yaml";
    let o = codegen(&["generate", "--spec", spec, "--out", out.to_str().expect("utf-8"), "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let warnings: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["level"] == "warning")
        .collect();
    let unions: Vec<&serde_json::Value> =
        warnings.iter().filter(|w| w["message"].as_str().is_some_and(|m| m.contains("alternatives"))).collect();
    assert_eq!(unions.len(), 1, "only the union whose alternatives declare the same members: {warnings:?}");
    let message = unions[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`TwinsPayloadReading`, the alternatives `Celsius` and `Fahrenheit`"), "{message}");
    assert_eq!(unions[0]["file"], spec);
    assert_eq!(unions[0]["pointer"], "/components/messages/twins/payload");
}

#[test]
fn a_server_whose_protocol_has_no_transport_is_a_located_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = "spec/fixtures/asyncapi-3-1.yaml";
    let ros = dir.path().join("ros");
    let o = codegen(&["generate", "--spec", spec, "--out", ros.to_str().expect("utf-8"), "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let warnings: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"].as_str().is_some_and(|m| m.contains("no transport")))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", stderr(&o));
    assert!(
        warnings[0]["message"].as_str().unwrap_or_default().starts_with("server `robot` speaks `ros2`"),
        "{warnings:?}"
    );
    assert_eq!(warnings[0]["pointer"], "/servers/robot/protocol");
    // The MQTT and NATS fixtures have clients, so no such warning.
    for spec in ["spec/fixtures/mqtt.yaml", "spec/fixtures/nats.yaml"] {
        let out = dir.path().join(spec.rsplit('/').next().unwrap_or(spec));
        let o = codegen(&["generate", "--spec", spec, "--out", out.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!stderr(&o).contains("no transport"), "{}", stderr(&o));
    }
}

#[test]
fn an_mqtt_servers_protocol_version_picks_the_clients_version_and_an_unspoken_one_is_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("brokers.yaml");
    let servers = [
        ("five", "protocol: mqtt, protocolVersion: '5.0'"),
        ("three", "protocol: mqtt, protocolVersion: 3.1.1"),
        ("named", "protocol: mqtt5"),
        ("old", "protocol: mqtt, protocolVersion: '3.1'"),
        ("plain", "protocol: mqtt"),
    ];
    let servers: String =
        servers.iter().map(|(name, rest)| format!("  {name}: {{host: 'b:1883', {rest}}}\n")).collect();
    let text = format!(
        "asyncapi: 3.0.0\ninfo: {{title: Brokers, version: '1'}}\nservers:\n{servers}channels:\n  c:\n    address: c\n    \
         messages:\n      m: {{payload: {{type: object}}}}\noperations:\n  o:\n    action: send\n    \
         channel: {{$ref: '#/channels/c'}}\n"
    );
    std::fs::write(&spec, text).expect("write the spec");
    let spec = spec.to_str().expect("utf-8");
    let o = codegen(&["generate", "--spec", spec, "--out", "unused", "--emit-ir", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ir: serde_json::Value = serde_json::from_slice(&o.stdout).expect("the IR is JSON");
    let versions: Vec<(&str, Option<u64>)> = ir["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| (s["name"].as_str().unwrap_or_default(), s["bindings"]["mqtt_version"].as_u64()))
        .collect();
    assert_eq!(versions, [("five", Some(5)), ("three", Some(4)), ("named", Some(5)), ("old", None), ("plain", None)]);
    let warnings: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"].as_str().is_some_and(|m| m.contains("declares MQTT")))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", stderr(&o));
    assert_eq!(warnings[0]["pointer"], "/servers/old/protocolVersion");
    let message = warnings[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`3.1`") && message.contains("connects with 3.1.1"), "{message}");
}

#[test]
fn warnings_do_not_change_the_exit_code_unless_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crate");
    let args = ["generate", "--spec", "spec/fixtures/rust-keywords.yaml", "--out", out.to_str().expect("utf-8")];
    let o = codegen(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning:"), "{}", stderr(&o));
    let denied = dir.path().join("denied");
    let o = codegen(&[
        "generate",
        "--spec",
        "spec/fixtures/rust-keywords.yaml",
        "--out",
        denied.to_str().expect("utf-8"),
        "--deny-warnings",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!denied.exists(), "nothing written when warnings are denied");
}

#[test]
fn a_failed_run_leaves_the_existing_output_exactly_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crate");
    let out_s = out.to_str().expect("utf-8 path");
    assert!(codegen(&["generate", "--spec", SPEC, "--out", out_s]).status.success());
    let before = snapshot(&out);
    // A spec that breaks halfway through the pipeline (a dangling `$ref` found while resolving).
    let broken = dir.path().join("broken.yaml");
    let text = std::fs::read_to_string(workspace().join(SPEC)).expect("fixture");
    std::fs::write(&broken, text.replace("payload:\n", "payload:\n        $ref: '#/nowhere'\n")).expect("write");
    let o = codegen(&["generate", "--spec", broken.to_str().expect("utf-8"), "--out", out_s]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
}

#[test]
fn the_generated_crate_builds_outside_the_workspace() {
    // `cargo build` of a crate generated into a temporary directory, sharing this workspace's
    // target directory so that dependencies are not built twice.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("standalone");
    let o = generate_nested_objects(&out, &["--crate-name", "standalone"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let build = cargo_build(&out);
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
}

#[test]
fn two_processes_write_the_same_bytes() {
    // Each process seeds its hash maps differently; the output must not notice.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut trees = Vec::new();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let o = codegen(&[
            "generate",
            "--spec",
            "spec/ctechnology-rt.asyncapi.yaml",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        trees.push(
            snapshot(&out)
                .into_iter()
                .map(|(p, b)| (p.strip_prefix(&out).expect("inside").to_path_buf(), b))
                .collect::<Vec<_>>(),
        );
    }
    assert!(!trees[0].is_empty());
    assert_eq!(trees[0], trees[1]);
}

/// `generate` of the nested-objects fixture into `out`, with `extra` arguments.
fn generate_nested_objects(out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["generate", "--spec", "spec/fixtures/nested-objects.yaml", "--out", out.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    codegen(&args)
}

/// `cargo build --offline` of the crate in `dir`, sharing this workspace's target directory.
fn cargo_build(dir: &Path) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .args(["build", "--quiet", "--offline"])
        .output()
        .expect("cargo runs")
}

#[test]
fn both_sides_share_one_set_of_types_and_a_stale_one_does_not_compile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("quotes.yaml");
    let document = std::fs::read_to_string(workspace().join("spec/fixtures/roles-3.yaml")).expect("fixture");
    std::fs::write(&spec, &document).expect("writable");
    let generate = |role: &str, extra: &[&str]| {
        let out = dir.path().join(role);
        let name = format!("quotes-{role}");
        let mut args = vec!["generate", "--spec", spec.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")];
        args.extend(["--role", role, "--crate-name", &name]);
        args.extend_from_slice(extra);
        let o = codegen(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    generate("peer", &[]);
    generate("app", &["--types-from", "../peer"]);

    let app = dir.path().join("app");
    let types = std::fs::read_to_string(app.join("src/types.rs")).expect("written");
    assert!(types.contains("pub use ::quotes_peer::types::*;"), "{types}");
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).expect("written");
    // One runtime for both: the one vendored into the peer's crate.
    assert!(manifest.contains(r#"path = "../peer/vendor/asyncapi-runtime""#), "{manifest}");
    assert!(manifest.contains(r#"quotes-peer = { path = "../peer", default-features = false }"#), "{manifest}");
    assert!(!app.join("vendor").exists(), "the app crate carries no second copy of the runtime");
    let build = cargo_build(&app);
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));

    // The document changes and only the peer is regenerated: the app no longer compiles, and
    // says why.
    let changed =
        document.replacen("price: {type: number}", "price: {type: number}\n          venue: {type: string}", 1);
    assert_ne!(changed, document, "the fixture still has the quote's price");
    std::fs::write(&spec, changed).expect("writable");
    generate("peer", &[]);
    let stale = cargo_build(&app);
    let errors = String::from_utf8_lossy(&stale.stderr);
    assert!(!stale.status.success(), "the stale app crate built");
    assert!(
        errors.contains("the payload types of `quotes-peer` are not the ones this crate was generated for"),
        "{errors}"
    );
}

#[test]
fn types_from_a_crate_that_is_not_there_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("app");
    let o = codegen(&[
        "generate",
        "--spec",
        "spec/fixtures/roles-3.yaml",
        "--out",
        out.to_str().expect("utf-8"),
        "--types-from",
        "../peer",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let message = stderr(&o);
    assert!(message.contains("--types-from ../peer") && message.contains("cannot be read"), "{message}");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn timings_name_every_stage_of_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("timed");
    let o = generate_nested_objects(&out, &["--timings"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stderr(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("note: timings (ms): "))
        .unwrap_or_else(|| panic!("no timings line in {text}"));
    let stages: Vec<&str> = line["note: timings (ms): ".len()..]
        .split([',', ';'])
        .filter_map(|part| part.split_whitespace().next())
        .collect();
    assert_eq!(
        stages,
        ["resolve", "validate", "lower", "types", "emit", "format", "templates", "write", "total"],
        "{line}"
    );

    // A check writes nothing and still says where its time went.
    let o = generate_nested_objects(&out, &["--check", "--timings"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("note: timings (ms): resolve"), "{}", stderr(&o));
}
