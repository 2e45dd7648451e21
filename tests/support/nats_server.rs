//! A real `nats-server` (Debian package `nats-server`) for the tests that need one: started on
//! a free port of 127.0.0.1 with a temporary store, restartable on the same port and store,
//! killed when dropped. No crate embeds a NATS server, so the tests that use this are
//! `#[ignore]`d in `cargo test --workspace` and run by `cargo xtask integration`.
//!
//! Included with `#[path]` by the tests that need it; hand-written.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server`.
pub struct NatsServer {
    port: u16,
    args: Vec<String>,
    child: Option<Child>,
    store: PathBuf,
    _dir: tempfile::TempDir,
}

impl NatsServer {
    /// Starts `nats-server` with `args` added (`-js` for JetStream) and waits until it accepts
    /// connections.
    pub fn start(args: &[&str]) -> NatsServer {
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
        let dir = tempfile::tempdir().expect("a temporary store");
        let store = dir.path().to_owned();
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        let mut server = NatsServer { port, args, child: None, store, _dir: dir };
        server.restart();
        server
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again), on the same port and store.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.store)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (Debian package `nats-server`)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server; its store stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
