//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the gateway proves itself to a
//! backend's identity provider with a short-lived JWT signed by its private key instead of a
//! client secret, so nothing the provider could replay crosses the network and the provider
//! holds only the public key. `client_secret_jwt` is the same JWT signed with the client
//! secret (HS256): the provider holds the secret too, but it does not cross the network.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::json;

/// How long an assertion is good for, in seconds: it is made for one token request.
const LIFETIME_S: u64 = 60;

/// The private key (or client secret) a gateway signs its client assertions with, and the id
/// the provider knows it by.
pub struct AssertionKey {
    key: Key,
    key_id: Option<String>,
    rng: SystemRandom,
}

enum Key {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Hmac(hmac::Key),
}

impl AssertionKey {
    /// The key a secret holds: one PEM private key, PKCS #8 (RSA, P-256 or Ed25519) or RSA's
    /// PKCS #1. The error says what is wrong with it, never what it holds.
    pub fn from_pem(pem: &str, key_id: Option<&str>) -> Result<AssertionKey, String> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| "holds no PEM private key (-----BEGIN PRIVATE KEY-----)".to_string())?;
        let rng = SystemRandom::new();
        let key = match &der {
            PrivateKeyDer::Pkcs8(pkcs8) => {
                let bytes = pkcs8.secret_pkcs8_der();
                if let Ok(key) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes) {
                    Key::Ed25519(key)
                } else if let Ok(key) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, bytes, &rng) {
                    Key::EcdsaP256(key)
                } else {
                    Key::Rsa(RsaKeyPair::from_pkcs8(bytes).map_err(|e| {
                        format!("holds a private key that is not RSA of 2048 bits or more, P-256 or Ed25519 ({e})")
                    })?)
                }
            }
            PrivateKeyDer::Pkcs1(pkcs1) => Key::Rsa(
                RsaKeyPair::from_der(pkcs1.secret_pkcs1_der())
                    .map_err(|e| format!("holds an RSA key the gateway cannot sign with ({e})"))?,
            ),
            _ => return Err("holds an EC key in SEC 1 form: give it as PKCS #8 (openssl pkcs8 -topk8 -nocrypt)".into()),
        };
        Ok(AssertionKey { key, key_id: key_id.map(str::to_string), rng })
    }

    /// A client secret as `client_secret_jwt`'s key: HS256 needs one of at least 256 bits
    /// (RFC 7518 §3.2), so a shorter secret is refused, saying so.
    pub fn from_client_secret(secret: &str) -> Result<AssertionKey, String> {
        if secret.len() < 32 {
            return Err(format!(
                "is {} bytes long: a client secret that signs HS256 assertions needs at least 32 (RFC 7518 §3.2)",
                secret.len()
            ));
        }
        let key = Key::Hmac(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()));
        Ok(AssertionKey { key, key_id: None, rng: SystemRandom::new() })
    }

    /// The id the provider knows the key by, when it was given one.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The JWS algorithm the key signs with.
    pub fn algorithm(&self) -> &'static str {
        match self.key {
            Key::Rsa(_) => "RS256",
            Key::EcdsaP256(_) => "ES256",
            Key::Ed25519(_) => "EdDSA",
            Key::Hmac(_) => "HS256",
        }
    }

    /// A fresh assertion for one token request at `token_url`: issued by and about the
    /// client, for the token endpoint, once (`jti`), good for a minute from `now_s`.
    pub fn assertion(&self, client_id: &str, token_url: &str, now_s: u64) -> Result<String, String> {
        let mut header = json!({ "alg": self.algorithm(), "typ": "JWT" });
        if let Some(key_id) = &self.key_id {
            header["kid"] = key_id.as_str().into();
        }
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": token_url,
            "jti": uuid::Uuid::new_v4().to_string(), "iat": now_s, "exp": now_s + LIFETIME_S,
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let failed = |_| "the key could not sign".to_string();
        let signature = match &self.key {
            Key::Rsa(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &self.rng, signing_input.as_bytes(), &mut signature).map_err(failed)?;
                signature
            }
            Key::EcdsaP256(key) => key.sign(&self.rng, signing_input.as_bytes()).map_err(failed)?.as_ref().to_vec(),
            Key::Ed25519(key) => key.sign(signing_input.as_bytes()).as_ref().to_vec(),
            Key::Hmac(key) => hmac::sign(key, signing_input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// Which key, never the key.
impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use serde_json::Value;

    /// A 2048-bit RSA key made for this test alone (rcgen cannot make RSA keys).
    const RSA_PKCS1: &str = include_str!("../testdata/rsa-2048-pkcs1.pem");

    fn part(jwt: &str, index: usize) -> Value {
        let part = jwt.split('.').nth(index).expect("part");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
    }

    /// Each kind of key signs an assertion its public key verifies, with the claims RFC 7523
    /// asks for.
    #[test]
    fn assertions_are_signed_by_each_kind_of_key_and_say_who_for_whom_and_until_when() {
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("p-256");
        let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("ed25519");
        let rsa_public =
            RsaKeyPair::from_der(PrivateKeyDer::from_pem_slice(RSA_PKCS1.as_bytes()).expect("pem").secret_der())
                .expect("rsa")
                .public_key()
                .as_ref()
                .to_vec();
        let cases: [(String, &'static str, Vec<u8>, &'static dyn ring::signature::VerificationAlgorithm); 3] = [
            (p256.serialize_pem(), "ES256", p256.public_key_raw().to_vec(), &ECDSA_P256_SHA256_FIXED),
            (ed25519.serialize_pem(), "EdDSA", ed25519.public_key_raw().to_vec(), &ED25519),
            (RSA_PKCS1.to_string(), "RS256", rsa_public, &RSA_PKCS1_2048_8192_SHA256),
        ];
        for (pem, algorithm, public, verifier) in cases {
            let key = AssertionKey::from_pem(&pem, Some("gw-2026")).expect(algorithm);
            let jwt = key.assertion("gateway", "https://idp.example/token", 1_800_000_000).expect("assertion");
            let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
            UnparsedPublicKey::new(verifier, &public)
                .verify(signed.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).expect("base64url"))
                .unwrap_or_else(|_| panic!("{algorithm}: the signature does not verify"));
            assert_eq!(part(&jwt, 0), json!({ "alg": algorithm, "typ": "JWT", "kid": "gw-2026" }));
            let claims = part(&jwt, 1);
            assert_eq!(
                (&claims["iss"], &claims["sub"], &claims["aud"], &claims["iat"], &claims["exp"]),
                (
                    &json!("gateway"),
                    &json!("gateway"),
                    &json!("https://idp.example/token"),
                    &json!(1_800_000_000u64),
                    &json!(1_800_000_060u64)
                ),
                "{algorithm}"
            );
            let again = key.assertion("gateway", "https://idp.example/token", 1_800_000_000).expect("assertion");
            assert_ne!(part(&again, 1)["jti"], claims["jti"], "each assertion is used once");
        }
        // Without a key id the header names none.
        let key = AssertionKey::from_pem(&p256.serialize_pem(), None).expect("p-256");
        assert_eq!(part(&key.assertion("g", "https://idp.example/token", 0).expect("jwt"), 0).get("kid"), None);
    }

    /// `client_secret_jwt`: the same claims, an HMAC under the client secret that the
    /// provider, holding the secret, verifies; a secret too short for HS256 is refused.
    #[test]
    fn a_client_secret_signs_hs256_assertions_when_it_is_long_enough() {
        let secret = "k3ycloak-client-secret-0123456789";
        let key = AssertionKey::from_client_secret(secret).expect("long enough");
        let jwt = key.assertion("gateway", "https://idp.example/token", 1_800_000_000).expect("assertion");
        let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
        hmac::verify(
            &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).expect("base64url"),
        )
        .expect("the provider's HMAC matches");
        assert_eq!(part(&jwt, 0), json!({ "alg": "HS256", "typ": "JWT" }));
        assert_eq!((&part(&jwt, 1)["iss"], &part(&jwt, 1)["exp"]), (&json!("gateway"), &json!(1_800_000_060u64)));
        assert!(!jwt.contains(secret) && !jwt.contains(&URL_SAFE_NO_PAD.encode(secret)), "the secret is not sent");
        let refused = AssertionKey::from_client_secret("short-secret").expect_err("refused");
        assert_eq!(
            refused,
            "is 12 bytes long: a client secret that signs HS256 assertions needs at least 32 (RFC 7518 §3.2)"
        );
    }

    #[test]
    fn keys_it_cannot_sign_with_are_refused_with_the_reason() {
        let refusals = [
            ("not a key", "holds no PEM private key"),
            ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "holds no PEM private key"),
        ];
        for (pem, reason) in refusals {
            let refused = AssertionKey::from_pem(pem, None).expect_err("refused");
            assert!(refused.contains(reason), "{refused}");
        }
        // P-384 is not one of the three.
        let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("p-384");
        let refused = AssertionKey::from_pem(&p384.serialize_pem(), None).expect_err("refused");
        assert!(refused.contains("not RSA of 2048 bits or more, P-256 or Ed25519"), "{refused}");
        // SEC 1's EC key form (what `openssl ecparam -genkey` writes).
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYr\n-----END EC PRIVATE KEY-----\n";
        let refused = AssertionKey::from_pem(sec1, None).expect_err("refused");
        assert!(refused.contains("SEC 1"), "{refused}");
    }
}
