//! Reading an API's backend TLS material from PEM text, one rule for the server (which refuses
//! settings a gateway could not use) and the gateways (which build their TLS from it).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// At most this many bytes of PEM, and certificates in a list: a few authorities, a chain.
pub const MAX_PEM_BYTES: usize = 64 * 1024;
pub const MAX_CERTIFICATES: usize = 20;

/// The certificates of `pem`, each one a usable trust anchor (an X.509 v3 certificate whose
/// subject and key the TLS library can read), in order; at least one.
pub fn trusted_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = certificates(pem)?;
    for (i, certificate) in certificates.iter().enumerate() {
        webpki::anchor_from_trusted_cert(certificate)
            .map_err(|e| format!("certificate {} cannot be trusted: {e:?}", i + 1))?;
    }
    Ok(certificates)
}

/// A client certificate: its chain (the gateway's own certificate first) and its private key
/// (PKCS #8, PKCS #1 or SEC 1), from one PEM text.
pub fn client_identity(pem: &str) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = certificates(pem)?;
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => "holds no private key".to_string(),
        e => format!("its private key cannot be read: {e}"),
    })?;
    Ok((chain, key))
}

fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(format!("is {} bytes of PEM; at most {MAX_PEM_BYTES}", pem.len()));
    }
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .enumerate()
        .map(|(i, c)| c.map_err(|e| format!("certificate {} cannot be read: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    match certificates.len() {
        0 => Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string()),
        n if n > MAX_CERTIFICATES => Err(format!("holds {n} certificates; at most {MAX_CERTIFICATES}")),
        _ => Ok(certificates),
    }
}
