//! A certificate authority made for one test, and a certificate it signed for 127.0.0.1, for the
//! tests of the TLS transports (a broker or server with a private CA).
//!
//! Included with `#[path]` by the tests that need it; hand-written.

// Each test reads the forms it needs (PEM files for nats-server, DER for rustls).
#![allow(dead_code)]

/// The CA's certificate, and the server's certificate and private key.
pub struct TestCa {
    /// The CA certificate, PEM: what the client is told to trust.
    pub ca_pem: String,
    /// The server's certificate, PEM and DER.
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// The server's private key, PEM and PKCS#8 DER.
    pub key_pem: String,
    pub key_der: Vec<u8>,
}

impl TestCa {
    /// A fresh CA and a certificate for `127.0.0.1` signed by it.
    pub fn new() -> TestCa {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "asyncapi test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().expect("a CA key"))
            .expect("a self-signed CA");
        let key = rcgen::KeyPair::generate().expect("a server key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server parameters");
        let certificate = params.signed_by(&key, &ca).expect("a server certificate");
        TestCa {
            ca_pem: ca.pem(),
            cert_pem: certificate.pem(),
            cert_der: certificate.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }
}
