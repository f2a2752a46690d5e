//! Credentials checked offline against the bundle: EdDSA access tokens (signature, expiry,
//! issuer, audience, revocations, subscription to this API) and API keys (SHA-256 lookup).

use crate::runtime::Runtime;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signature;
use gatehouse_contract::{AccessClaims, BundleApiKey};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;

/// Who is calling, once their credential checked out: read from the token's claims or the
/// bundle's API key, not copied.
#[derive(Clone, Debug, PartialEq)]
pub enum Caller<'r> {
    /// `subscription` is the index of the called API's subscription in the claims.
    Token {
        claims: Rc<AccessClaims>,
        subscription: usize,
    },
    Key {
        key: &'r BundleApiKey,
        subscription: usize,
    },
}

impl Caller<'_> {
    /// Application id, application name, consumer and key type, from whichever credential.
    fn identity(&self) -> (&str, &str, &str, &str) {
        match self {
            Caller::Token { claims: c, .. } => (&c.application_id, &c.application_name, &c.consumer, &c.key_type),
            Caller::Key { key: k, .. } => (&k.application_id, &k.application_name, &k.consumer, &k.key_type),
        }
    }

    pub fn application_id(&self) -> &str {
        self.identity().0
    }

    pub fn application_name(&self) -> &str {
        self.identity().1
    }

    pub fn consumer(&self) -> &str {
        self.identity().2
    }

    pub fn key_type(&self) -> &str {
        self.identity().3
    }

    /// Whether the credential holds every scope of `required` and, where those scopes are
    /// bound to `tiers`, subscribes with one of them: an access token by its `scope` claim and
    /// its subscription to the API; an API key carries no scopes and is not asked for them.
    /// The tier is checked here too because a token's scopes are names shared by every API it
    /// was granted for: one granted for another API's subscription must not open this one.
    pub fn holds(&self, required: &[String], tiers: &[String]) -> bool {
        match self {
            Caller::Token { claims, .. } => {
                let granted = claims.scope.as_deref().unwrap_or_default();
                required.iter().all(|r| granted.split(' ').any(|g| g == r))
                    && (tiers.is_empty() || tiers.iter().any(|t| t == self.tier()))
            }
            Caller::Key { .. } => true,
        }
    }

    /// The tier of the application's subscription to the API being called.
    pub fn tier(&self) -> &str {
        let subscription = match self {
            Caller::Token { claims, subscription } => claims.subscriptions.get(*subscription),
            Caller::Key { key, subscription } => key.subscriptions.get(*subscription),
        };
        subscription.map_or("", |s| s.tier.as_str())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// 401: no credential of a kind the operation accepts was sent.
    NoCredential,
    /// 401: the access token is not valid; the text says why.
    BadToken(&'static str),
    /// 401: the API key is not valid; the text says why.
    BadKey(&'static str),
    /// 403: valid, but the application is not subscribed to this API.
    NotSubscribed,
    /// 403: a valid access token without every scope the operation requires, or whose
    /// subscription's tier is not one that those scopes are bound to.
    InsufficientScope,
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// Whether a token was issued no later than a revocation at `at` (Unix ms): by its `iat_ms`,
/// or by `iat`, whose second precision makes the comparison err on the side of refusing.
fn before(claims: &AccessClaims, at: Option<i64>) -> bool {
    at.is_some_and(|at| match claims.iat_ms {
        Some(issued) => issued <= at,
        None => claims.iat <= at / 1000,
    })
}

/// Tokens at most this long are remembered once verified; longer ones are verified every time.
const CACHEABLE_TOKEN: usize = 4096;
/// How many verified tokens a runtime remembers before it forgets the expired ones.
const CACHED_TOKENS: usize = 20_000;

/// Tokens whose signature has verified against one bundle's keys, with their claims.
///
/// An Ed25519 verification costs tens of microseconds — more than the rest of a request — and a
/// client sends the same token for its whole life (an hour), so each token is verified once per
/// bundle and worker thread. Each worker keeps its own cache beside the bundle it serves (a new
/// bundle, keys rotated, starts empty), so a request touches nothing another core writes. Only
/// signature and decoding are remembered; expiry, audience, revocations and the subscription are
/// checked against the claims on every call, so a revocation applies at once.
/// hashbrown's default hasher (foldhash): a token is ~700 bytes, and SipHash over them showed
/// in profiles; the map holds only verified tokens, so flooding it is not a concern.
#[derive(Default)]
pub struct VerifiedTokens {
    tokens: RefCell<hashbrown::HashMap<Box<[u8]>, Rc<AccessClaims>>>,
}

impl VerifiedTokens {
    fn get(&self, token: &[u8]) -> Option<Rc<AccessClaims>> {
        self.tokens.borrow().get(token).cloned()
    }

    fn remember(&self, token: &[u8], claims: Rc<AccessClaims>, now_secs: i64) {
        if token.len() > CACHEABLE_TOKEN {
            return;
        }
        let mut tokens = self.tokens.borrow_mut();
        if tokens.len() >= CACHED_TOKENS {
            tokens.retain(|_, c| c.exp > now_secs);
            if tokens.len() >= CACHED_TOKENS {
                // Full of live tokens: start over rather than grow without bound.
                tokens.clear();
            }
        }
        tokens.insert(token.into(), claims);
    }
}

/// The claims of a token whose signature verifies against one of the bundle's keys.
fn verified_claims(
    rt: &Runtime,
    verified: &VerifiedTokens,
    token: &[u8],
    now_secs: i64,
) -> Result<Rc<AccessClaims>, Denied> {
    // Looked up as sent: a remembered token was text when it was verified.
    if let Some(claims) = verified.get(token) {
        return Ok(claims);
    }
    let token = std::str::from_utf8(token).map_err(|_| Denied::BadToken("the access token is not a JWT"))?;
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Denied::BadToken("the access token is not a JWT"));
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Denied::BadToken("the token header cannot be read"))?;
    if header.alg != "EdDSA" {
        return Err(Denied::BadToken("unsupported token algorithm"));
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| rt.keys.get(kid))
        .ok_or(Denied::BadToken("the token was signed with an unknown key"))?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Denied::BadToken("the token signature cannot be read"))?;
    let signed = &token[..h.len() + 1 + c.len()];
    key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| Denied::BadToken("the token signature does not verify"))?;
    let claims: Rc<AccessClaims> = URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .map(Rc::new)
        .ok_or(Denied::BadToken("the token claims cannot be read"))?;
    verified.remember(token.as_bytes(), claims.clone(), now_secs);
    Ok(claims)
}

/// Verify an access token for a call to `api_id` at `now_secs`; `verified` remembers the
/// tokens already verified against `rt`'s keys.
pub fn bearer<'r>(
    rt: &Runtime,
    verified: &VerifiedTokens,
    token: &[u8],
    api_id: &str,
    now_secs: i64,
) -> Result<Caller<'r>, Denied> {
    let claims = verified_claims(rt, verified, token, now_secs)?;
    if claims.exp <= now_secs {
        return Err(Denied::BadToken("the token has expired"));
    }
    if claims.nbf > now_secs + 60 {
        return Err(Denied::BadToken("the token is not valid yet"));
    }
    if claims.aud != rt.audience || (!rt.issuer.is_empty() && claims.iss != rt.issuer) {
        return Err(Denied::BadToken("the token is for another audience or issuer"));
    }
    let revoked = &rt.revocations;
    if before(&claims, revoked.client(&claims.sub)) || before(&claims, revoked.application(&claims.application_id)) {
        return Err(Denied::BadToken("the token was revoked"));
    }
    let Some(subscription) = claims.subscriptions.iter().position(|s| s.api_id == api_id) else {
        return Err(Denied::NotSubscribed);
    };
    if before(&claims, revoked.subscription(&claims.application_id, api_id)) || before(&claims, revoked.api(api_id)) {
        return Err(Denied::NotSubscribed);
    }
    Ok(Caller::Token { claims, subscription })
}

/// Look up an API key for a call to `api_id` at `now_ms`.
pub fn api_key<'r>(rt: &'r Runtime, key: &str, api_id: &str, now_ms: i64) -> Result<Caller<'r>, Denied> {
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    let entry = rt.api_keys.get(&hash).ok_or(Denied::BadKey("unknown or revoked API key"))?;
    if entry.expires_at.is_some_and(|at| at <= now_ms) {
        return Err(Denied::BadKey("the API key has expired"));
    }
    let subscription = entry.subscriptions.iter().position(|s| s.api_id == api_id).ok_or(Denied::NotSubscribed)?;
    Ok(Caller::Key { key: entry, subscription })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Runtime;
    use ed25519_dalek::{Signer, SigningKey};
    use gatehouse_contract::{Bundle, Revocation, SubscriptionClaim};

    const NOW: i64 = 1_800_000_000;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn runtime(revocations: Vec<Revocation>) -> Runtime {
        let x = URL_SAFE_NO_PAD.encode(key().verifying_key().to_bytes());
        Runtime::compile(Bundle {
            group: "g".into(),
            version: "1.0.0".into(),
            apis: vec![],
            tiers: vec![],
            keys: vec![serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": x })],
            issuer: "https://gatehouse.test".into(),
            audience: "gatehouse-gateways".into(),
            revocations,
            api_keys: vec![],
            withdrawn: vec![],
            purges: vec![],
        })
        .expect("compile")
    }

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "https://gatehouse.test".into(),
            aud: "gatehouse-gateways".into(),
            sub: "ghc_client".into(),
            iat: NOW - 10,
            iat_ms: None,
            nbf: NOW - 10,
            exp: NOW + 3600,
            jti: "j".into(),
            application_id: "app".into(),
            application_name: "Shop".into(),
            consumer: "ann@example.com".into(),
            key_type: "production".into(),
            subscriptions: vec![SubscriptionClaim { api_id: "pets".into(), tier: "Gold".into() }],
            scope: None,
        }
    }

    /// Signed exactly as the key manager signs.
    fn sign(claims: &AccessClaims) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"));
        let input = format!("{header}.{body}");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(key().sign(input.as_bytes()).to_bytes()))
    }

    #[test]
    fn a_valid_token_names_the_application_and_tier() {
        let caller = bearer(&runtime(vec![]), &VerifiedTokens::default(), sign(&claims()).as_bytes(), "pets", NOW)
            .expect("valid");
        assert_eq!(
            (caller.application_id(), caller.tier(), caller.key_type(), caller.consumer()),
            ("app", "Gold", "production", "ann@example.com")
        );
    }

    #[test]
    fn a_token_holds_the_scopes_it_was_granted_and_no_others() {
        let rt = runtime(vec![]);
        let caller = |scope: Option<&str>| {
            let claims = AccessClaims { scope: scope.map(String::from), ..claims() };
            bearer(&rt, &VerifiedTokens::default(), sign(&claims).as_bytes(), "pets", NOW).expect("valid")
        };
        let required = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let reader = caller(Some("read:pets"));
        assert!(reader.holds(&[], &[]), "an operation without scopes asks for none");
        assert!(reader.holds(&required(&["read:pets"]), &[]));
        assert!(!reader.holds(&required(&["read:pets", "write:pets"]), &[]), "every scope, not one of them");
        assert!(!reader.holds(&required(&["read"]), &[]), "whole names, not prefixes");
        assert!(caller(Some("write:pets read:pets")).holds(&required(&["read:pets", "write:pets"]), &[]));
        assert!(!caller(None).holds(&required(&["read:pets"]), &[]), "a token granted no scopes holds none");
    }

    #[test]
    fn a_scope_bound_to_tiers_opens_an_operation_only_to_their_subscriptions() {
        let rt = runtime(vec![]);
        // Granted `write:pets` (for another API's subscription, say), subscribed to this one
        // with Gold.
        let claims = AccessClaims { scope: Some("write:pets".into()), ..claims() };
        let writer = bearer(&rt, &VerifiedTokens::default(), sign(&claims).as_bytes(), "pets", NOW).expect("valid");
        let write = ["write:pets".to_string()];
        assert!(writer.holds(&write, &["Gold".into(), "Unlimited".into()]));
        assert!(!writer.holds(&write, &["Unlimited".into()]), "its subscription's tier is not one of them");
        assert!(!writer.holds(&["read:pets".into()], &["Gold".into()]), "the tier does not stand in for the scope");
    }

    #[test]
    fn tampered_expired_foreign_and_unsubscribed_tokens_are_refused() {
        let rt = runtime(vec![]);
        let bearer = |rt: &Runtime, token: &str, api: &str, now: i64| {
            bearer(rt, &VerifiedTokens::default(), token.as_bytes(), api, now)
        };
        let token = sign(&claims());
        let mut forged = claims();
        forged.subscriptions.push(SubscriptionClaim { api_id: "payments".into(), tier: "Unlimited".into() });
        let tampered = format!(
            "{}.{}.{}",
            token.split('.').next().unwrap_or(""),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).expect("json")),
            token.split('.').nth(2).unwrap_or("")
        );
        assert_eq!(
            bearer(&rt, &tampered, "payments", NOW),
            Err(Denied::BadToken("the token signature does not verify"))
        );
        assert_eq!(bearer(&rt, &token, "pets", NOW + 3600), Err(Denied::BadToken("the token has expired")));
        let other = AccessClaims { aud: "someone-else".into(), ..claims() };
        assert_eq!(
            bearer(&rt, &sign(&other), "pets", NOW),
            Err(Denied::BadToken("the token is for another audience or issuer"))
        );
        assert_eq!(bearer(&rt, &token, "payments", NOW), Err(Denied::NotSubscribed));
        assert!(bearer(&rt, "not-a-jwt", "pets", NOW).is_err());
    }

    #[test]
    fn a_verified_token_is_remembered_and_still_checked_on_every_call() {
        let rt = runtime(vec![]);
        let verified = VerifiedTokens::default();
        let bearer = |rt: &Runtime, token: &str, api: &str, now: i64| bearer(rt, &verified, token.as_bytes(), api, now);
        let token = sign(&claims());
        assert!(bearer(&rt, &token, "pets", NOW).is_ok());
        assert!(verified.get(token.as_bytes()).is_some(), "its signature is verified once");
        assert_eq!(
            bearer(&rt, &token, "pets", NOW + 3600),
            Err(Denied::BadToken("the token has expired")),
            "expiry is checked on each call"
        );
        assert_eq!(bearer(&rt, &token, "payments", NOW), Err(Denied::NotSubscribed));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&AccessClaims { exp: NOW + 99_999, ..claims() }).expect("json"));
        parts[1] = &forged;
        let tampered = parts.join(".");
        assert!(bearer(&rt, &tampered, "pets", NOW).is_err());
        assert!(verified.get(tampered.as_bytes()).is_none(), "a token that fails is not remembered");
    }

    #[test]
    fn revocations_stop_tokens_issued_before_them() {
        let bearer = |rt: &Runtime, token: &str, api: &str, now: i64| {
            bearer(rt, &VerifiedTokens::default(), token.as_bytes(), api, now)
        };
        let at = |subject: &str, secs: i64| Revocation { subject: subject.into(), revoked_at: secs * 1000 };
        let token = sign(&claims());
        let client = runtime(vec![at("client:ghc_client", NOW - 5)]);
        assert_eq!(bearer(&client, &token, "pets", NOW), Err(Denied::BadToken("the token was revoked")));
        let unsubscribed = runtime(vec![at("subscription:app/pets", NOW - 5)]);
        assert_eq!(bearer(&unsubscribed, &token, "pets", NOW), Err(Denied::NotSubscribed));
        let earlier = runtime(vec![at("application:app", NOW - 60)]);
        assert!(bearer(&earlier, &token, "pets", NOW).is_ok(), "a token issued after the revocation is fine");
        let api = runtime(vec![at("api:pets", NOW - 5), at("subscription:app/other", NOW + 5), at("nonsense", NOW)]);
        assert_eq!(bearer(&api, &token, "pets", NOW), Err(Denied::NotSubscribed));
        let latest = runtime(vec![
            at("client:ghc_client", NOW - 60),
            at("client:ghc_client", NOW - 5),
            at("client:ghc_client", NOW - 30),
        ]);
        assert_eq!(
            bearer(&latest, &token, "pets", NOW),
            Err(Denied::BadToken("the token was revoked")),
            "the latest revocation counts"
        );

        // In the same second: by `iat` alone refused; by `iat_ms`, ordered exactly.
        let revoked_ms = (NOW - 10) * 1000 + 400;
        let same_second = runtime(vec![Revocation { subject: "subscription:app/pets".into(), revoked_at: revoked_ms }]);
        assert_eq!(
            bearer(&same_second, &token, "pets", NOW),
            Err(Denied::NotSubscribed),
            "without iat_ms, the same second counts as before"
        );
        let after = sign(&AccessClaims { iat_ms: Some(revoked_ms + 1), ..claims() });
        assert!(bearer(&same_second, &after, "pets", NOW).is_ok(), "issued a millisecond after the revocation");
        let before = sign(&AccessClaims { iat_ms: Some(revoked_ms), ..claims() });
        assert_eq!(
            bearer(&same_second, &before, "pets", NOW),
            Err(Denied::NotSubscribed),
            "issued at the revocation's millisecond"
        );
    }
}
