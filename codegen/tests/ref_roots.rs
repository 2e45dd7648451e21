//! The binary run from a document's folder, as CI runs it on a change it cannot trust: a `$ref`
//! never reads a file outside the allowed folders (the working directory, the document's folder,
//! `--ref-root`), never opens a FIFO, socket or directory, and a secret outside never reaches
//! stdout, stderr or the output. Output and `--emit-ir` carry no absolute path of the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

mod common;

const SECRET: &str = "hunter2-do-not-print";

/// A document whose message payload is `$ref: <reference>`.
fn document(reference: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo:\n  title: Ref Roots\n  version: 1.0.0\nchannels:\n  events:\n    address: events\n    messages:\n      ping:\n        $ref: '#/components/messages/ping'\noperations:\n  onPing:\n    action: receive\n    channel:\n      $ref: '#/channels/events'\ncomponents:\n  messages:\n    ping:\n      name: ping\n      payload:\n        $ref: '{reference}'\n"
    )
}

/// A temporary `work/` folder holding `secret.env` (a YAML schema that carries the secret) and
/// the document folder `spec/`.
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    spec: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("work");
    let spec = root.join("spec");
    std::fs::create_dir_all(&spec).expect("spec folder");
    std::fs::write(
        root.join("secret.env"),
        format!("# SECRET_TOKEN={SECRET}\ntype: object\ndescription: 'SECRET_TOKEN={SECRET}'\nproperties:\n  token: {{type: string}}\n"),
    )
    .expect("secret");
    Tree { _dir: dir, root, spec }
}

/// Runs the binary in `cwd`, failing if it does not finish within a minute.
fn run(cwd: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen"));
    command.current_dir(cwd).args(args);
    common::run_within(command, Duration::from_secs(60))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file below `dir` as text.
fn files_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("readable")));
            }
        }
    }
    out
}

/// Generates from `spec/asyncapi.yaml` referencing `reference`, in `spec/`, and checks the
/// refusal: exit 2, the reference named and located, the hint, and no trace of the secret.
fn assert_refused(t: &Tree, reference: &str, hint: &str) {
    std::fs::write(t.spec.join("asyncapi.yaml"), document(reference)).expect("document");
    let o = run(&t.spec, &["generate", "--spec", "asyncapi.yaml", "--out", "out"]);
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{reference}: {stderr}");
    assert!(stderr.starts_with(&format!("error: `$ref` `{reference}`")), "{reference}: {stderr}");
    assert!(stderr.contains("--> asyncapi.yaml:21:15"), "located at the reference: {stderr}");
    assert!(stderr.contains("/components/messages/ping/payload/$ref"), "{stderr}");
    assert!(stderr.contains(hint), "{reference}: says `{hint}`: {stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{reference}: the secret leaked: {stderr}");
    assert!(!t.spec.join("out").exists(), "{reference}: nothing is written");
}

#[test]
fn a_parent_folder_reference_is_refused_unless_a_ref_root_allows_it() {
    let t = tree();
    assert_refused(&t, "../secret.env", "pass --ref-root <DIR>");

    let o = run(&t.spec, &["generate", "--spec", "asyncapi.yaml", "--out", "out", "--ref-root", ".."]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(files_text(&t.spec.join("out")).contains(SECRET), "the allowed file is the payload's schema");
}

#[test]
fn an_absolute_path_outside_the_roots_is_refused() {
    let t = tree();
    let absolute = t.root.join("secret.env");
    assert_refused(&t, absolute.to_str().expect("utf-8 path"), "pass --ref-root <DIR>");
}

#[cfg(unix)]
#[test]
fn a_symlink_that_leads_outside_is_refused_and_one_that_stays_inside_resolves() {
    let t = tree();
    std::os::unix::fs::symlink(t.root.join("secret.env"), t.spec.join("schema.yaml")).expect("symlink");
    assert_refused(&t, "./schema.yaml", "pass --ref-root <DIR>");

    std::fs::create_dir_all(t.spec.join("real")).expect("folder");
    std::fs::write(t.spec.join("real/inside.yaml"), "type: object\nproperties:\n  seen: {type: string}\n")
        .expect("schema");
    std::os::unix::fs::symlink(t.spec.join("real/inside.yaml"), t.spec.join("inside.yaml")).expect("symlink");
    std::fs::write(t.spec.join("asyncapi.yaml"), document("./inside.yaml")).expect("document");
    let o = run(&t.spec, &["generate", "--spec", "asyncapi.yaml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[cfg(unix)]
#[test]
fn a_fifo_a_socket_and_a_directory_are_refused_without_being_opened() {
    let t = tree();
    let made = Command::new("mkfifo").arg(t.spec.join("pipe.yaml")).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    assert_refused(&t, "./pipe.yaml", "names a FIFO, not a regular file");

    let _socket = std::os::unix::net::UnixListener::bind(t.spec.join("socket.yaml")).expect("socket");
    assert_refused(&t, "./socket.yaml", "names a socket, not a regular file");

    std::fs::create_dir_all(t.spec.join("folder.yaml")).expect("folder");
    assert_refused(&t, "./folder.yaml", "names a directory, not a regular file");

    // The root document itself: refused from its metadata, not waited on.
    let o = run(&t.spec, &["generate", "--spec", "pipe.yaml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("a FIFO, not a regular file"), "{}", text(&o.stderr));
}

#[test]
fn output_and_the_ir_carry_no_absolute_path() {
    let t = tree();
    std::fs::write(t.spec.join("schema.yaml"), "type: object\nproperties:\n  seen: {type: string}\n").expect("schema");
    std::fs::write(t.spec.join("asyncapi.yaml"), document("./schema.yaml")).expect("document");
    let spec = t.spec.join("asyncapi.yaml");
    let out = t.root.join("out");
    let (spec_s, out_s) = (spec.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    // Run from elsewhere, naming everything by absolute path.
    let elsewhere = t.root.parent().expect("temp dir");
    let o = run(elsewhere, &["generate", "--spec", spec_s, "--out", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(elsewhere, &["generate", "--spec", spec_s, "--out", out_s, "--emit-ir"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let temp = elsewhere.to_str().expect("utf-8");
    assert!(!text(&o.stdout).contains(temp), "the IR names no absolute path");
    let written = files_text(&out);
    assert!(written.contains("pub seen"), "the referenced schema was used");
    assert!(!written.contains(temp), "the output names no absolute path");
}

#[test]
fn a_remote_reference_resolves_through_ref_map_and_otherwise_names_the_option() {
    let t = tree();
    std::fs::create_dir_all(t.root.join("mirror/v1")).expect("mirror");
    std::fs::write(t.root.join("mirror/v1/ping.yaml"), "type: object\nproperties:\n  mapped: {type: string}\n")
        .expect("schema");
    std::fs::write(t.spec.join("asyncapi.yaml"), document("https://schemas.example.com/v1/ping.yaml")).expect("doc");
    let o = run(&t.spec, &["generate", "--spec", "asyncapi.yaml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--ref-map https://schemas.example.com/v1/=<DIR>"), "{}", text(&o.stderr));

    let map = "https://schemas.example.com/=../mirror";
    let o = run(&t.spec, &["generate", "--spec", "asyncapi.yaml", "--out", "out", "--ref-map", map]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(files_text(&t.spec.join("out")).contains("pub mapped"), "the mirrored schema is the payload");
}
