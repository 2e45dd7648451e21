//! A TLS end in front of a plain TCP server, for the tests of the TLS transports: the server
//! under test (an embedded broker, the mock broker) speaks plain TCP, and the client connects
//! to this end with `mqtts://` or `wss://`. The certificate comes from `test_ca.rs`.
//!
//! Included with `#[path]` by the tests that need it; hand-written.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The server side of TLS with `cert_der` and its PKCS#8 `key_der`.
pub fn server_config(cert_der: &[u8], key_der: &[u8]) -> rustls::ServerConfig {
    let certificate = rustls::pki_types::CertificateDer::from(cert_der.to_vec());
    let key = rustls::pki_types::PrivateKeyDer::try_from(key_der.to_vec()).expect("a PKCS#8 key");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .expect("the server's certificate and key match")
}

/// Listens on a free port of 127.0.0.1 and relays each TLS connection, once its handshake is
/// done, to the plain TCP server at `backend` (`host:port`). Returns the address it listens on.
pub async fn tls_front(backend: &str, server: rustls::ServerConfig) -> SocketAddr {
    let backend = backend.to_owned();
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake: nothing to relay.
                let Ok(mut tls) = acceptor.accept(socket).await else { return };
                let Ok(mut server) = tokio::net::TcpStream::connect(&backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            });
        }
    });
    address
}
