//! Access tokens for backends that take OAuth2 (`BackendAuth::ClientCredentials`): asked of
//! the identity provider when a call first needs one, sent until nearly expired, shared by
//! every worker, and asked for anew when the backend answers 401.
//!
//! Identity providers are slower and less available than backends, so the calls that find no
//! token wait for one request between them, a provider that fails is left alone for a second,
//! and a token that could not be renewed is still sent until it has expired.

use crate::client_assertion::AssertionKey;
use crate::secrets::Fingerprint;
use arc_swap::ArcSwapOption;
use gatehouse_contract::sample::form_encode;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a token request may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed request, how long calls go without asking again (they get the token still
/// unexpired, or are answered 503).
const REST_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// A token's lifetime when the provider does not say (`expires_in` is only RECOMMENDED).
const UNSAID_LIFETIME: Duration = Duration::from_secs(300);
/// The most of a provider's answer that is read.
const MAX_ANSWER: usize = 64 * 1024;
/// RFC 7523 §2.2's `client_assertion_type`.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the gateway proves itself to the provider.
pub enum ClientProof {
    /// A client secret, sent by HTTP Basic (`client_secret_basic`).
    Basic(String),
    /// A client secret, sent in the form beside the client id (`client_secret_post`).
    Posted(String),
    /// A key that signs a `client_assertion` for each request (`private_key_jwt`'s private
    /// key, `client_secret_jwt`'s client secret), with the fingerprint of the secret it was
    /// read from, to tell a changed key.
    Key { pem: Fingerprint, key: Box<AssertionKey> },
}

/// The same secret, or the same key by the same id.
impl PartialEq for ClientProof {
    fn eq(&self, other: &ClientProof) -> bool {
        match (self, other) {
            (ClientProof::Basic(a), ClientProof::Basic(b)) | (ClientProof::Posted(a), ClientProof::Posted(b)) => a == b,
            (ClientProof::Key { pem: a, key: k }, ClientProof::Key { pem: b, key: l }) => {
                a == b && k.key_id() == l.key_id()
            }
            _ => false,
        }
    }
}

/// One backend's client at one identity provider.
pub struct TokenSource {
    pub token_url: String,
    pub client_id: String,
    /// Space-separated, as the grant's `scope` takes them; empty asks for the client's default.
    scope: String,
    proof: ClientProof,
    /// The API's own TLS (its authorities besides the public ones, its client certificate),
    /// when it has one: an identity provider on the backends' private network has a
    /// certificate from the same authority, and may ask for the client certificate too
    /// (RFC 8705).
    tls: Option<rustls::ClientConfig>,
    current: ArcSwapOption<Token>,
    /// One request at a time: the calls that find no token wait for its answer.
    fetching: tokio::sync::Mutex<()>,
    /// When a failed request may be tried again.
    resting_until: Mutex<Option<Instant>>,
}

/// An access token as the backend's requests carry it.
pub struct Token {
    /// `authorization: Bearer …\r\n`, for a request's head.
    pub line: Vec<u8>,
    fetched_at: Instant,
    renew_at: Instant,
    expires_at: Instant,
}

impl TokenSource {
    pub fn new(token_url: &str, client_id: &str, scopes: &[String], proof: ClientProof) -> TokenSource {
        TokenSource {
            token_url: token_url.to_string(),
            client_id: client_id.to_string(),
            scope: scopes.join(" "),
            proof,
            tls: None,
            current: ArcSwapOption::empty(),
            fetching: tokio::sync::Mutex::new(()),
            resting_until: Mutex::new(None),
        }
    }

    /// Ask the provider over the API's own TLS rather than with the public Web PKI's alone.
    pub fn use_tls(&mut self, config: &rustls::ClientConfig) {
        self.tls = Some(config.clone());
    }

    /// The token to send, asked of the provider when there is none or it is due for renewal;
    /// `None` when there is no unexpired one to be had.
    pub async fn token(&self) -> Option<Arc<Token>> {
        let fresh = |held: &Option<Arc<Token>>| held.clone().filter(|t| Instant::now() < t.renew_at);
        let unexpired = |held: Option<Arc<Token>>| held.filter(|t| Instant::now() < t.expires_at);
        let held = self.current.load_full();
        if let Some(token) = fresh(&held) {
            return Some(token);
        }
        if self.resting() {
            return unexpired(held);
        }
        let _one = self.fetching.lock().await;
        // Whoever held the lock before may have just got one, or just failed.
        let held = self.current.load_full();
        if let Some(token) = fresh(&held) {
            return Some(token);
        }
        if self.resting() {
            return unexpired(held);
        }
        match self.fetch().await {
            Ok(token) => {
                let token = Arc::new(token);
                self.current.store(Some(token.clone()));
                Some(token)
            }
            Err(why) => {
                tracing::warn!(
                    token_url = %self.token_url, client_id = %self.client_id, error = %why,
                    "no access token for the backend"
                );
                *self.resting_until.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Instant::now() + REST_AFTER_FAILURE);
                unexpired(held)
            }
        }
    }

    /// The backend answered 401 to `token`: the next call asks for a new one, unless this one
    /// is less than a second old (a provider whose every token is refused is not asked once
    /// per call).
    pub fn refused(&self, token: &Arc<Token>) {
        let held = self.current.load();
        if held.as_ref().is_some_and(|h| Arc::ptr_eq(h, token)) && token.fetched_at.elapsed() >= REST_AFTER_FAILURE {
            tracing::info!(token_url = %self.token_url, client_id = %self.client_id, "the backend refused its token; asking for another");
            self.current.store(None);
        }
    }

    fn resting(&self) -> bool {
        self.resting_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|until| Instant::now() < until)
    }

    /// RFC 6749 §4.4: the client authenticates by HTTP Basic, its id and secret form-encoded
    /// first (§2.3.1), by both in the form, or with an assertion its key signed (RFC 7523
    /// §2.2), its id beside it.
    async fn fetch(&self) -> Result<Token, String> {
        // A client of its own, not one kept: the caller may be on any worker's runtime, and a
        // pooled connection is driven by the runtime that opened it. Once a token's life.
        let mut http = reqwest::Client::builder().timeout(FETCH_TIMEOUT);
        if let Some(config) = &self.tls {
            http = http.use_preconfigured_tls(config.clone());
        }
        let http = http.build().map_err(|e| e.to_string())?;
        let mut form = vec![("grant_type", "client_credentials")];
        if !self.scope.is_empty() {
            form.push(("scope", &self.scope));
        }
        let mut request = http.post(&self.token_url);
        let assertion;
        match &self.proof {
            ClientProof::Basic(secret) => {
                request =
                    request.basic_auth(form_encode(self.client_id.as_bytes()), Some(form_encode(secret.as_bytes())))
            }
            ClientProof::Posted(secret) => {
                form.extend([("client_id", self.client_id.as_str()), ("client_secret", secret.as_str())])
            }
            ClientProof::Key { key, .. } => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                assertion = key.assertion(&self.client_id, &self.token_url, now.as_secs())?;
                form.extend([
                    ("client_id", self.client_id.as_str()),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", assertion.as_str()),
                ]);
            }
        }
        let mut answer = request.form(&form).send().await.map_err(|e| format!("the request failed: {e}"))?;
        let status = answer.status();
        // Read no further than what is looked at.
        let mut body = Vec::new();
        while body.len() < MAX_ANSWER {
            match answer.chunk().await.map_err(|e| format!("the answer could not be read: {e}"))? {
                Some(chunk) => body.extend_from_slice(&chunk),
                None => break,
            }
        }
        let body = &body[..body.len().min(MAX_ANSWER)];
        if !status.is_success() {
            let said = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(format!("answered {status}: {said}"));
        }
        let granted: Value = serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let access_token = granted["access_token"].as_str().unwrap_or_default();
        // RFC 6750's b64token: printable ASCII, which a header line can carry as it is.
        if access_token.is_empty() || !access_token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the answer holds no access_token a header can carry".into());
        }
        if let Some(kind) = granted["token_type"].as_str().filter(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(format!("a token of type {kind}, not a bearer token"));
        }
        // A number, or a number as a string as some providers send it.
        let seconds = match &granted["expires_in"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        let lifetime = seconds.map_or(UNSAID_LIFETIME, |s| Duration::from_secs(s.clamp(1, 366 * 86_400)));
        let now = Instant::now();
        Ok(Token {
            line: format!("authorization: Bearer {access_token}\r\n").into_bytes(),
            fetched_at: now,
            // Renewed with a tenth of its life left, so calls in flight never carry an expired one.
            renew_at: now + lifetime.mul_f64(0.9),
            expires_at: now + lifetime,
        })
    }
}

/// Not the secret, nor the token.
impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The same client at the same provider.
impl PartialEq for TokenSource {
    fn eq(&self, other: &TokenSource) -> bool {
        (&self.token_url, &self.client_id, &self.scope, &self.proof)
            == (&other.token_url, &other.client_id, &other.scope, &other.proof)
    }
}

impl Eq for TokenSource {}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A token URL that grants one token and hands over the request it was asked with.
    async fn provider() -> (String, tokio::sync::oneshot::Receiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/token", listener.local_addr().expect("addr"));
        let (sent, received) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            let request = loop {
                let n = socket.read(&mut buf).await.expect("read");
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ")?.parse().ok());
                    if n == 0 || body.len() >= length.unwrap_or(0) {
                        break text;
                    }
                }
                assert!(n > 0, "closed mid-request: {text}");
            };
            let token = r#"{"access_token":"t-1","token_type":"Bearer","expires_in":60}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{token}",
                token.len()
            );
            socket.write_all(answer.as_bytes()).await.expect("write");
            let _ = sent.send(request);
        });
        (url, received)
    }

    /// RFC 6749 §2.3.1: by HTTP Basic the id and secret are form-encoded before base64 (a
    /// space as `+`, `&` as `%26`); in the form, beside the grant, they are form fields.
    #[tokio::test]
    async fn a_client_secret_goes_by_basic_or_in_the_form_as_the_provider_takes_it() {
        let scopes = ["pets:read".to_string()];
        let (url, request) = provider().await;
        let basic = TokenSource::new(&url, "gate way", &scopes, ClientProof::Basic("s3cret&x".into()));
        assert_eq!(basic.token().await.expect("token").line, b"authorization: Bearer t-1\r\n");
        let request = request.await.expect("request");
        let credentials = base64::engine::general_purpose::STANDARD.encode("gate+way:s3cret%26x");
        assert!(request.contains(&format!("\r\nauthorization: Basic {credentials}\r\n")), "{request}");
        assert!(request.ends_with("\r\n\r\ngrant_type=client_credentials&scope=pets%3Aread"), "{request}");

        let (url, request) = provider().await;
        let posted = TokenSource::new(&url, "gate way", &scopes, ClientProof::Posted("s3cret&x".into()));
        assert_eq!(posted.token().await.expect("token").line, b"authorization: Bearer t-1\r\n");
        let request = request.await.expect("request");
        assert!(!request.contains("\r\nauthorization:"), "{request}");
        assert!(request.contains("\r\ncontent-type: application/x-www-form-urlencoded\r\n"), "{request}");
        assert!(
            request.ends_with(
                "\r\n\r\ngrant_type=client_credentials&scope=pets%3Aread&client_id=gate+way&client_secret=s3cret%26x"
            ),
            "{request}"
        );
    }
}
