//! `cargo xtask bench [--quick]`: whole-process benchmarks that criterion cannot express, and a
//! table of their figures.
//!
//! - Generator: the release `asyncapi-codegen generate` for the spec of record and for synthetic
//!   documents with 100, 1,000 and 5,000 channels (`crate::synth`, written to `target/bench/`):
//!   median wall time of N runs (the output folder is removed before each run, so every run
//!   writes the whole crate), peak resident memory, and t(5000)/t(1000).
//! - Generated code: lines of Rust, and the `cargo build` time of the 1,000-channel crate with
//!   its dependencies already built (a warm-up build first, then a rebuild after touching it).
//! - Client end to end: `cargo bench -p snapshot-tests --bench client` (mock broker → client
//!   over loopback against a bare tokio-tungstenite loop); its `RESULT` line is read back.
//! - Decode + dispatch: `cargo bench -p snapshot-tests --bench decode` (criterion), against one
//!   hand-written `serde_json::from_str` into the payload type and the two SIMD parsers; its
//!   `RESULT` line of medians is read back.
//!
//! `--quick` (what CI runs) uses fewer runs and messages so that the whole command takes a
//! couple of minutes; it checks that everything builds and runs, and its timings gate nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// What one configuration of the generator measured.
struct GenRow {
    name: String,
    channels: Option<usize>,
    median: Duration,
    runs: usize,
    peak_rss: Option<(u64, &'static str)>,
    rust_lines: usize,
}

/// The target folder cargo uses (`CARGO_TARGET_DIR`, else the workspace's `target/`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// `channels`: the synthetic documents to time (empty: 100, 1,000 and, unless `quick`, 5,000).
pub fn run(root: &Path, quick: bool, channels: &[usize]) -> anyhow::Result<bool> {
    let started = Instant::now();
    let work = target_dir(root).join("bench");
    std::fs::create_dir_all(work.join("specs")).with_context(|| format!("creating {}", work.display()))?;
    eprintln!("bench: building the release generator");
    let status = cargo(root)
        .args(["build", "--release", "--quiet", "--package", "asyncapi-codegen", "--bin", "asyncapi-codegen"])
        .status()
        .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release of asyncapi-codegen failed");
    }
    let built = target_dir(root).join("release").join(format!("asyncapi-codegen{}", std::env::consts::EXE_SUFFIX));
    // A private copy: another checkout sharing the target folder may replace the original while
    // this runs, and the figures must belong to this build.
    let exe = work.join(format!("asyncapi-codegen{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(&built, &exe).with_context(|| format!("copying {}", built.display()))?;

    let mut specs = vec![("spec of record".to_owned(), None, root.join(crate::SPEC))];
    // The 5,000-channel document needs about 2 GiB and seconds to minutes to generate (see
    // README `## Performance`): more than the quick mode that CI runs should take.
    let sizes: &[usize] = match (channels, quick) {
        ([_, ..], _) => channels,
        ([], true) => &[100, 1_000],
        ([], false) => &[100, 1_000, 5_000],
    };
    for &n in sizes {
        let path = work.join("specs").join(format!("synth-{n}.yaml"));
        write_if_changed(&path, &crate::synth::document(n))?;
        specs.push((format!("synthetic {n}"), Some(n), path));
    }
    let mut rows = Vec::new();
    for (name, channels, spec) in &specs {
        let runs = match (quick, channels) {
            (_, Some(n)) if *n >= 5_000 => 1,
            (true, Some(1_000)) => 1,
            (true, _) => 3,
            (false, Some(1_000)) => 5,
            (false, _) => 11,
        };
        let crate_name = format!("bench-{}", channels.map_or_else(|| "record".to_owned(), |n| n.to_string()));
        let out = work.join("out").join(&crate_name);
        eprintln!("bench: generate {name} x{runs}");
        rows.push(time_generate(&exe, spec, &out, &crate_name, name, *channels, runs)?);
    }

    let build_n = if quick || !sizes.contains(&1_000) { sizes[0] } else { 1_000 };
    let build = build_time(root, &exe, &work, build_n)?;
    let counts = if quick { [20_000, 200, 200] } else { [1_000_000, 5_000, 5_000] };
    eprintln!("bench: client end to end, {} messages", counts[0]);
    let e2e = client_bench(root, counts)?;
    eprintln!("bench: decode + dispatch (criterion)");
    let decode = decode_bench(root, quick)?;

    print_tables(&rows, &build, &e2e, quick);
    print_decode(&decode);
    eprintln!("bench: done in {:.0?}", started.elapsed());
    Ok(true)
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root).env("CARGO_TERM_COLOR", "never");
    cmd
}

fn write_if_changed(path: &Path, text: &str) -> anyhow::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn generate_cmd(exe: &Path, spec: &Path, out: &Path, crate_name: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("generate").arg("--spec").arg(spec).arg("--out").arg(out).arg("--crate-name").arg(crate_name);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

fn time_generate(
    exe: &Path,
    spec: &Path,
    out: &Path,
    crate_name: &str,
    name: &str,
    channels: Option<usize>,
    runs: usize,
) -> anyhow::Result<GenRow> {
    // A run of minutes is timed once, under `/usr/bin/time` (whose start-up is noise there) so
    // that it also gives the memory figure.
    let time = Path::new("/usr/bin/time");
    let wrapped = channels.is_some_and(|n| n >= 5_000) && time.is_file();
    let report = out.with_extension("rss");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        if out.exists() {
            std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
        }
        let mut cmd = if wrapped {
            let mut cmd = Command::new(time);
            cmd.arg("-f").arg("%M").arg("-o").arg(&report).arg(exe);
            cmd.arg("generate").arg("--spec").arg(spec).arg("--out").arg(out).arg("--crate-name").arg(crate_name);
            cmd.stdout(Stdio::null()).stderr(Stdio::piped());
            cmd
        } else {
            generate_cmd(exe, spec, out, crate_name)
        };
        let started = Instant::now();
        let output = cmd.output().context("running asyncapi-codegen")?;
        times.push(started.elapsed());
        if !output.status.success() {
            bail!("asyncapi-codegen failed on {}:\n{}", spec.display(), String::from_utf8_lossy(&output.stderr));
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    // Otherwise one more run gives the memory figure, so that the timed runs are bare.
    let peak_rss = if wrapped {
        std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| t.lines().last()?.trim().parse().ok())
            .map(|kib| (kib, "/usr/bin/time"))
    } else {
        peak_rss(exe, spec, out, crate_name)
    };
    Ok(GenRow { name: name.to_owned(), channels, median, runs, peak_rss, rust_lines: rust_lines(out) })
}

/// Peak resident memory in KiB of one more run: from `/usr/bin/time` when it is installed
/// (the kernel's own maximum), else the highest `VmHWM` seen while polling `/proc/<pid>/status`
/// every millisecond (a lower bound: the last moments before exit can be missed).
fn peak_rss(exe: &Path, spec: &Path, out: &Path, crate_name: &str) -> Option<(u64, &'static str)> {
    let _ = std::fs::remove_dir_all(out);
    let time = Path::new("/usr/bin/time");
    if time.is_file() {
        let report = out.with_extension("rss");
        let mut cmd = Command::new(time);
        cmd.arg("-f").arg("%M").arg("-o").arg(&report).arg(exe);
        cmd.arg("generate").arg("--spec").arg(spec).arg("--out").arg(out).arg("--crate-name").arg(crate_name);
        let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?;
        let text = std::fs::read_to_string(&report).ok()?;
        let kib = text.lines().last()?.trim().parse().ok()?;
        return status.success().then_some((kib, "/usr/bin/time"));
    }
    let mut child = generate_cmd(exe, spec, out, crate_name).stderr(Stdio::null()).spawn().ok()?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    (peak > 0).then_some((peak, "polled VmHWM, lower bound"))
}

fn rust_lines(dir: &Path) -> usize {
    crate::corpus::files_under(dir, &["rs"])
        .iter()
        .map(|path| std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0))
        .sum()
}

struct BuildRow {
    channels: usize,
    rust_lines: usize,
    lib_lines: usize,
    rebuild: Duration,
}

/// `cargo build` of the generated `n`-channel crate in its own workspace under `target/bench/`
/// (sharing the project's target folder and lock file): a warm-up build, then the timed rebuild
/// after its sources changed, so only the generated crate is compiled, and compiled whole:
/// incremental compilation is off, or the rebuild would reuse most of the warm-up's work.
fn build_time(root: &Path, exe: &Path, work: &Path, n: usize) -> anyhow::Result<BuildRow> {
    let ws = work.join("build");
    let name = format!("bench-{n}");
    let krate = ws.join(&name);
    std::fs::create_dir_all(&ws)?;
    // The project's runtime crate, already built in the shared target folder: the timed build is
    // the generated crate's alone.
    let runtime = format!("path:{}", root.join("codegen/runtime").display());
    let output = generate_cmd(exe, &work.join("specs").join(format!("synth-{n}.yaml")), &krate, &name)
        .args(["--runtime", &runtime])
        .output()
        .context("running asyncapi-codegen")?;
    if !output.status.success() {
        bail!("asyncapi-codegen failed for the {n}-channel document:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    write_if_changed(
        &ws.join("Cargo.toml"),
        &format!(
            "# Written by `cargo xtask bench`.\n[workspace]\nresolver = \"3\"\nmembers = [\"{name}\"]\n\n[profile.dev]\ndebug = false\n"
        ),
    )?;
    let _ = std::fs::copy(root.join("Cargo.lock"), ws.join("Cargo.lock"));
    let build = |what: &str| -> anyhow::Result<Duration> {
        let started = Instant::now();
        let output = cargo(root)
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", target_dir(root))
            .env("CARGO_INCREMENTAL", "0")
            .args(["build", "--quiet", "--package", &name])
            .output()
            .with_context(|| format!("running cargo build ({what})"))?;
        if !output.status.success() {
            bail!("cargo build of the {n}-channel crate failed:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(started.elapsed())
    };
    eprintln!("bench: cargo build of the {n}-channel crate (warm-up, then timed)");
    build("warm-up")?;
    // A changed source file (not only a newer mtime) makes cargo recompile the crate alone.
    let lib = krate.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).with_context(|| format!("reading {}", lib.display()))?;
    std::fs::write(&lib, format!("{text}\n")).with_context(|| format!("writing {}", lib.display()))?;
    let rebuild = build("timed")?;
    std::fs::write(&lib, text).with_context(|| format!("writing {}", lib.display()))?;
    Ok(BuildRow { channels: n, rust_lines: rust_lines(&krate), lib_lines: rust_lines(&krate.join("src")), rebuild })
}

/// The fields of the client benchmark's `RESULT` line.
struct E2e(serde_json::Value);

impl E2e {
    fn f(&self, key: &str) -> f64 {
        self.0.get(key).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)
    }
}

/// Runs `cargo bench -p snapshot-tests --bench <bench> -- <args>` and returns the JSON of the
/// `RESULT` line it prints.
fn bench_result(root: &Path, bench: &str, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let output = cargo(root)
        .args(["bench", "--quiet", "--package", "snapshot-tests", "--bench", bench, "--"])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running cargo bench --bench {bench}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("the {bench} benchmark failed:\n{stdout}");
    }
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .with_context(|| format!("the {bench} benchmark printed no RESULT line"))?;
    serde_json::from_str(json).with_context(|| format!("reading the {bench} benchmark's RESULT line"))
}

/// `counts`: messages for throughput, paced messages for latency, messages from the mock broker.
fn client_bench(root: &Path, counts: [usize; 3]) -> anyhow::Result<E2e> {
    let [messages, latency, mock] = counts.map(|n| n.to_string());
    let args = ["--messages", &messages, "--latency-messages", &latency, "--mock-messages", &mock];
    Ok(E2e(bench_result(root, "client", &args)?))
}

/// Runs the decode benchmark (shorter criterion windows in quick mode) and returns its
/// `RESULT` line's frames.
fn decode_bench(root: &Path, quick: bool) -> anyhow::Result<Vec<serde_json::Value>> {
    let quick_args: &[&str] = if quick { &["--warm-up-time", "0.5", "--measurement-time", "1"] } else { &[] };
    let args: Vec<&str> = ["--noplot"].into_iter().chain(quick_args.iter().copied()).collect();
    let result = bench_result(root, "decode", &args)?;
    let frames = result.get("frames").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    if frames.is_empty() {
        bail!("the decode benchmark measured no frame");
    }
    Ok(frames)
}

fn print_decode(frames: &[serde_json::Value]) {
    let f =
        |frame: &serde_json::Value, key: &str| frame.get(key).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    println!();
    println!(
        "| decode + dispatch (criterion medians) | bytes | generated | limit (serde_json, derive) | payload alone (macro) | sonic_rs | simd_json | generated/limit | target ≤ 1.10 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for frame in frames {
        let (g, l) = (f(frame, "generated_ns"), f(frame, "limit_ns"));
        println!(
            "| {} | {:.0} | {g:.0} ns | {l:.0} ns | {:.0} ns | {:.0} ns | {:.0} ns | {:.2}x | {} |",
            frame.get("frame").and_then(serde_json::Value::as_str).unwrap_or("?"),
            f(frame, "bytes"),
            f(frame, "payload_ns"),
            f(frame, "sonic_rs_ns"),
            f(frame, "simd_json_ns"),
            g / l,
            verdict(g / l <= 1.10)
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn print_tables(rows: &[GenRow], build: &BuildRow, e2e: &E2e, quick: bool) {
    let mode = if quick { "quick mode: few runs, small counts; figures are indicative only" } else { "full mode" };
    println!("\n## cargo xtask bench ({mode})\n");
    println!("| generate | channels | median wall time | runs | peak RSS | generated Rust lines |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let rss =
            r.peak_rss.map_or_else(|| "n/a".to_owned(), |(kib, how)| format!("{:.1} MiB ({how})", kib as f64 / 1024.0));
        let channels = r.channels.map_or_else(|| "-".to_owned(), |n| n.to_string());
        println!("| {} | {channels} | {} | {} | {rss} | {} |", r.name, ms(r.median), r.runs, r.rust_lines);
    }
    let by = |n: usize| rows.iter().find(|r| r.channels == Some(n)).map(|r| r.median.as_secs_f64());
    let record = rows.iter().find(|r| r.channels.is_none()).map(|r| r.median);
    let ratio = by(5_000).zip(by(1_000)).map(|(a, b)| a / b).unwrap_or(f64::NAN);
    println!();
    println!("| target | measured | verdict |");
    println!("|---|---:|---|");
    if let Some(t) = record {
        println!("| spec of record ≤ 15 ms | {} | {} |", ms(t), verdict(t <= Duration::from_millis(15)));
    }
    if let Some(t) = by(5_000) {
        println!("| 5,000 channels ≤ 4 s | {:.0} ms | {} |", t * 1e3, verdict(t <= 4.0));
    }
    if ratio.is_finite() {
        println!("| t(5000)/t(1000) ≤ 5.5 | {ratio:.2} | {} |", verdict(ratio <= 5.5));
    }
    if build.channels == 1_000 {
        let t = build.rebuild.as_secs_f64();
        println!("| `cargo build` of the 1,000-channel crate ≤ 45 s | {t:.1} s | {} |", verdict(t <= 45.0));
    }
    let (c, b) = (e2e.f("client_mps"), e2e.f("bare_mps"));
    println!(
        "| client ≤ 1.00x the bare tungstenite loop (time per message) | {:.2}x | {} |",
        b / c,
        verdict(b / c <= 1.0)
    );
    println!();
    println!(
        "generated {}-channel crate: {} lines of Rust ({} in src/); `cargo build` with dependencies built: {:.1} s",
        build.channels,
        build.rust_lines,
        build.lib_lines,
        build.rebuild.as_secs_f64()
    );
    println!();
    println!(
        "| client end to end ({} messages; latency over {} paced frames) | messages/s | p50 | p99 | RSS at 10% → 100% |",
        e2e.f("messages"),
        e2e.f("latency_messages")
    );
    println!("|---|---:|---:|---:|---:|");
    for (path, key) in [("generated client (push server)", "client"), ("bare tokio-tungstenite (push server)", "bare")]
    {
        println!(
            "| {path} | {:.0} | {:.0} µs | {:.0} µs | {:.0} → {:.0} KiB |",
            e2e.f(&format!("{key}_mps")),
            e2e.f(&format!("{key}_p50_us")),
            e2e.f(&format!("{key}_p99_us")),
            e2e.f(&format!("{key}_rss_10pct_kib")),
            e2e.f(&format!("{key}_rss_end_kib"))
        );
    }
    println!(
        "| mock broker → generated client ({:.0} messages) | {:.0} | | | |",
        e2e.f("mock_messages"),
        e2e.f("mock_mps")
    );
}
