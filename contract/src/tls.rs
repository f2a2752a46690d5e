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

/// What a reviewer and a creator read of a certificate: whom it names and until when it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The subject's common name, when it has one.
    pub common_name: Option<String>,
    /// The last day it is valid, `YYYY-MM-DD` (UTC), so dates compare as strings.
    pub valid_until: String,
}

/// The subject's common name and the end of the validity of an X.509 certificate, read from
/// its DER (RFC 5280 §4.1) without a full parser: the TLS library checks the rest.
pub fn facts(certificate: &CertificateDer<'_>) -> Option<CertificateFacts> {
    let (_, certificate, _) = der(certificate.as_ref(), 0x30)?;
    let (_, mut tbs, _) = der(certificate, 0x30)?;
    // An explicit version ([0]) is there in every v3 certificate; then serial, signature
    // algorithm and issuer come before the validity.
    if tbs.first() == Some(&0xA0) {
        tbs = der(tbs, 0xA0)?.2;
    }
    for tag in [0x02, 0x30, 0x30] {
        tbs = der(tbs, tag)?.2;
    }
    let (_, validity, rest) = der(tbs, 0x30)?;
    let not_before_tag = *validity.first()?;
    let (_, _, validity) = der(validity, not_before_tag)?;
    let (tag, not_after, _) = der(validity, *validity.first()?)?;
    let not_after = std::str::from_utf8(not_after).ok()?;
    let valid_until = match tag {
        // UTCTime, YYMMDDhhmmssZ: 50–99 are 1950–1999 (RFC 5280 §4.1.2.5.1).
        0x17 if not_after.len() >= 6 => {
            let year: u32 = not_after[..2].parse().ok()?;
            format!("{}-{}-{}", if year >= 50 { 1900 + year } else { 2000 + year }, &not_after[2..4], &not_after[4..6])
        }
        // GeneralizedTime, YYYYMMDDhhmmssZ.
        0x18 if not_after.len() >= 8 => format!("{}-{}-{}", &not_after[..4], &not_after[4..6], &not_after[6..8]),
        _ => return None,
    };
    let (_, subject, _) = der(rest, 0x30)?;
    Some(CertificateFacts { common_name: common_name(subject), valid_until })
}

/// The common name (2.5.4.3) among a Name's attributes.
fn common_name(mut name: &[u8]) -> Option<String> {
    const COMMON_NAME: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    while !name.is_empty() {
        let (_, set, rest) = der(name, 0x31)?;
        name = rest;
        let (_, attribute, _) = der(set, 0x30)?;
        if let Some(value) = attribute.strip_prefix(&COMMON_NAME) {
            let (_, text, _) = der(value, *value.first()?)?;
            return String::from_utf8(text.to_vec()).ok();
        }
    }
    None
}

/// One DER element of `tag` at the start of `input`: its tag, its contents, and what follows.
fn der(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let octets = usize::from(first & 0x7F);
        if octets == 0 || octets > 4 || rest.len() < octets {
            return None;
        }
        let length = rest[..octets].iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, &rest[octets..])
    };
    (rest.len() >= length).then(|| (found, &rest[..length], &rest[length..]))
}

/// Today's date in UTC, `YYYY-MM-DD`, to compare with [`CertificateFacts::valid_until`].
pub fn today() -> String {
    date_in_days(0)
}

/// The date in UTC `days` from today, `YYYY-MM-DD`.
pub fn date_in_days(days: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    crate::time::format_date(i64::try_from(now).unwrap_or(0) + days * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_elements_are_bounded() {
        // A length past the input, a long form of no octets: nothing is read.
        assert_eq!(der(&[0x30, 0x05, 0x01], 0x30), None);
        assert_eq!(der(&[0x30, 0x80], 0x30), None);
        assert_eq!(der(&[0x30, 0x81, 0x01, 0xAA, 0xBB], 0x30), Some((0x30, &[0xAA][..], &[0xBB][..])));
        assert_eq!(facts(&CertificateDer::from(vec![0x30, 0x00])), None);
    }
}
