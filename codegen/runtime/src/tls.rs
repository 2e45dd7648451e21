//! TLS for the clients: whom a connection trusts, as one `rustls` configuration with the `ring`
//! provider, chosen here so that the process-wide rustls default (which the application may set
//! differently, or not at all) does not matter.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// Whom TLS connections trust.
#[derive(Clone, Default)]
pub(crate) enum Trust {
    /// The public certificate authorities of the Mozilla root program (`webpki-roots`).
    #[default]
    Public,
    /// Only the certificate authorities in this PEM text (a private CA).
    Pem(Arc<[u8]>),
    /// The application's own configuration (client certificates, pinned keys, ...).
    Config(Arc<rustls::ClientConfig>),
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trust::Public => "public CAs",
            Trust::Pem(_) => "the configured CAs",
            Trust::Config(_) => "the configured rustls ClientConfig",
        })
    }
}

impl Trust {
    /// The configuration connections use; the error says what is wrong with the certificates.
    pub(crate) fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        let mut roots = rustls::RootCertStore::empty();
        match self {
            Trust::Config(config) => return Ok(config.clone()),
            Trust::Public => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Trust::Pem(pem) => {
                for certificate in CertificateDer::pem_slice_iter(pem) {
                    let certificate = certificate.map_err(|e| format!("the CA certificates are not valid PEM: {e}"))?;
                    roots.add(certificate).map_err(|e| format!("a CA certificate was refused: {e}"))?;
                }
                if roots.is_empty() {
                    return Err("the CA certificates hold no `BEGIN CERTIFICATE` section".into());
                }
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("tls setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(tls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ca_certificates_are_reported_not_ignored() {
        let none = Trust::Pem(Arc::from(&b"not a certificate"[..])).client_config().expect_err("no certificate");
        assert!(none.contains("no `BEGIN CERTIFICATE`"), "{none}");
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let broken = Trust::Pem(Arc::from(&broken[..])).client_config().expect_err("not base64");
        assert!(broken.contains("not valid PEM") || broken.contains("refused"), "{broken}");
        assert!(Trust::Public.client_config().is_ok());
    }
}
