//! Backend calls. Each worker thread keeps its own pool of kept-alive HTTP/1.1 connections per
//! backend, and a request's backend call runs on the request's own task: take a connection,
//! write the request, read the answer, put the connection back — no connection task and no
//! channel between them, which is where a general-purpose client spends its time. An answer
//! too large or too slow to wait for comes back with its connection, to be relayed to the
//! caller as it arrives; the connection goes back to the pool after.

use crate::http1::{self, Framing, ReadError, ResponseHead};
use bytes::{Bytes, BytesMut};
use hashbrown::HashMap;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::cell::{Cell, RefCell};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// A connection idle longer than this is closed rather than reused.
const MAX_IDLE: Duration = Duration::from_secs(60);
/// A connection idle longer than this is checked for a close from the backend before reuse.
const CHECK_AFTER: Duration = Duration::from_secs(1);
/// Idle connections kept per backend per worker.
const MAX_POOLED: usize = 256;
/// Answer bodies of up to this length are read whole and answered in one write; larger ones
/// are relayed as they arrive.
const WHOLE_UP_TO: u64 = http1::COALESCE as u64;

/// A backend URL, taken apart once when the bundle is compiled.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The URL as configured, for messages.
    pub url: String,
    tls: bool,
    /// `host:port` to connect to.
    address: String,
    /// The `Host` header: the URL's authority.
    pub authority: String,
    /// The name a TLS certificate must carry.
    server_name: String,
    /// The URL's path without its trailing slash; the request's path follows it.
    pub base_path: String,
    /// Scheme and address, and the API's own TLS when it has any: which connections can
    /// serve this backend.
    key: String,
    /// The API's own TLS (its authorities, its client certificate); `None`, the worker's
    /// connector for the public Web PKI.
    connector: Option<ApiTls>,
}

/// An API's own TLS to its backends and to its identity provider (for a backend token), and a
/// digest of what it was made from, so that connections made with it are only reused for
/// backends that would make them alike.
#[derive(Clone)]
pub struct ApiTls {
    connector: tokio_rustls::TlsConnector,
    /// For the identity provider: the public roots as well as the API's authorities, as a
    /// provider may be a public service while the backends are private.
    provider: Arc<rustls::ClientConfig>,
    digest: String,
}

impl std::fmt::Debug for ApiTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTls({})", self.digest)
    }
}

impl ApiTls {
    /// TLS that trusts `trusted` (the public Web PKI when `None`) and presents `identity` when
    /// the backend asks for a client certificate. `digest` names the material it was made from.
    pub fn new(
        trusted: Option<Vec<CertificateDer<'static>>>,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        digest: String,
    ) -> Result<ApiTls, String> {
        let mut everyone = roots(None)?;
        if let Some(trusted) = &trusted {
            everyone.roots.extend(roots(Some(trusted.clone()))?.roots);
        }
        let provider_identity = identity.as_ref().map(|(chain, key)| (chain.clone(), key.clone_key()));
        Ok(ApiTls {
            connector: tokio_rustls::TlsConnector::from(Arc::new(tls_config(roots(trusted)?, identity)?)),
            provider: Arc::new(tls_config(everyone, provider_identity)?),
            digest,
        })
    }

    /// TLS to the identity provider a backend token is asked of.
    pub fn provider_config(&self) -> &rustls::ClientConfig {
        &self.provider
    }
}

impl Backend {
    pub fn parse(url: &str) -> Result<Backend, String> {
        let uri: http::Uri = url.parse().map_err(|_| format!("endpoint `{url}` is not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("endpoint `{url}` is not an http(s) URL")),
        };
        let authority = uri.authority().ok_or_else(|| format!("endpoint `{url}` has no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!("endpoint `{url}`: credentials in the URL are not supported"));
        }
        let host = authority.host();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let address = format!("{host}:{port}");
        Ok(Backend {
            url: url.to_string(),
            tls,
            key: format!("{}://{address}", if tls { "https" } else { "http" }),
            address,
            authority: authority.as_str().to_string(),
            server_name: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            base_path: uri.path().trim_end_matches('/').to_string(),
            connector: None,
        })
    }

    /// Has an `https://` backend connect with its API's own TLS; a plain one is left as it is.
    pub fn use_tls(&mut self, tls: &ApiTls) {
        if self.tls {
            self.key = format!("https://{}#{}", self.address, tls.digest);
            self.connector = Some(tls.clone());
        }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

pub struct Connection {
    stream: Stream,
    buf: BytesMut,
    idle_since: Instant,
}

impl Connection {
    /// The socket and what has been read from it but not yet used, for relaying a body or a
    /// tunnel.
    pub fn parts(&mut self) -> (&mut (impl AsyncRead + AsyncWrite + Unpin + use<>), &mut BytesMut) {
        (&mut self.stream, &mut self.buf)
    }

    /// Whether a connection that sat idle is still open: an idle connection has nothing to read,
    /// so anything readable (the backend's close, most often) retires it. Costs a system call,
    /// so only connections idle for a while are checked.
    fn still_open(&self, now: Instant) -> bool {
        if now.saturating_duration_since(self.idle_since) < CHECK_AFTER {
            return true;
        }
        matches!(self.stream.tcp().try_read(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// A backend's answer.
pub struct Answer {
    pub head: ResponseHead,
    pub body: AnswerBody,
}

/// An answer's body: read whole, or still to come.
pub enum AnswerBody {
    Whole(Bytes),
    /// Still to come on this connection (what has arrived is in its buffer): a length over
    /// [`WHOLE_UP_TO`], a chunked body not all there with its head (server-sent events, say), or
    /// one that runs until the backend closes. Relayed to the caller as it arrives, then the
    /// connection goes back with [`Pool::give_back`]. After a `101`, the connection is the
    /// tunnel's.
    Open(Connection),
}

/// Whether an answer's body is read whole before answering, from its framing and what has
/// arrived with its head.
fn read_whole(framing: Framing, arrived: &[u8]) -> bool {
    match framing {
        Framing::Length(n) => n <= WHOLE_UP_TO,
        Framing::Chunked => http1::chunked_complete(arrived),
        Framing::UntilClose => false,
    }
}

/// A worker's backend connections. Not shared between threads: a worker's tasks take turns.
#[derive(Default)]
pub struct Pool {
    idle: RefCell<HashMap<String, Vec<Connection>>>,
    tls: RefCell<Option<tokio_rustls::TlsConnector>>,
    /// When idle connections were last swept for ones too old to use.
    swept: Cell<Option<Instant>>,
}

/// A request for a backend, ready to send.
pub struct Call<'a> {
    /// The head, with a small body already behind it.
    pub head: &'a [u8],
    /// The rest of the body, sent after the head.
    pub body: &'a [u8],
    /// A HEAD request: the answer has no body whatever its length says.
    pub head_request: bool,
    /// Safe to send again when a kept-alive connection turns out closed.
    pub idempotent: bool,
    /// The request asks to switch protocols: a `101` answer is expected, not refused.
    pub upgrade: bool,
    /// When the call started: connections' idle times are measured from it (a clock read fewer).
    pub now: Instant,
}

/// Why a call failed, and whether the backend can have seen the request.
struct Failure {
    /// Nothing came back on a reused connection: most likely the backend had closed it, and
    /// the request never reached it.
    stale: bool,
    message: String,
}

impl Pool {
    /// Send `call` to `backend` and read the answer. A request that finds its pooled
    /// connection closed by the backend is sent again on a new one when idempotent.
    pub async fn call(&self, backend: &Backend, call: &Call<'_>) -> Result<Answer, String> {
        let (connection, reused) = match self.checkout(backend, call.now) {
            Some(connection) => (connection, true),
            None => (self.connect(backend).await?, false),
        };
        match self.exchange(backend, connection, call).await {
            Err(failure) if failure.stale && reused && call.idempotent => {
                let fresh = self.connect(backend).await?;
                self.exchange(backend, fresh, call).await.map_err(|f| f.message)
            }
            outcome => outcome.map_err(|f| f.message),
        }
    }

    async fn exchange(
        &self,
        backend: &Backend,
        mut connection: Connection,
        call: &Call<'_>,
    ) -> Result<Answer, Failure> {
        let written = async {
            connection.stream.write_all(call.head).await?;
            if !call.body.is_empty() {
                connection.stream.write_all(call.body).await?;
            }
            connection.stream.flush().await
        };
        if let Err(e) = written.await {
            return Err(Failure { stale: true, message: format!("cannot send the request: {e}") });
        }
        let answer = match http1::read_response_head(&mut connection.stream, &mut connection.buf, call.upgrade).await {
            Ok(answer) => answer,
            Err(e) => {
                let stale = matches!(&e, ReadError::Closed { clean: true })
                    || matches!(&e, ReadError::Io(io) if io.kind() == io::ErrorKind::ConnectionReset);
                return Err(Failure { stale, message: format!("the answer could not be read: {e}") });
            }
        };
        let framing = if call.head_request { Framing::Length(0) } else { answer.framing };
        // A switched protocol keeps the connection for the tunnel; it never goes back.
        if answer.status == 101 || !read_whole(framing, &connection.buf) {
            return Ok(Answer { head: answer, body: AnswerBody::Open(connection) });
        }
        // At most WHOLE_UP_TO, or what has already arrived.
        let body = http1::read_body(&mut connection.stream, &mut connection.buf, framing, u64::MAX)
            .await
            .map_err(|e| Failure { stale: false, message: format!("the answer's body could not be read: {e}") })?;
        if !answer.close {
            self.give_back(backend, connection, call.now);
        }
        Ok(Answer { head: answer, body: AnswerBody::Whole(body) })
    }

    fn checkout(&self, backend: &Backend, now: Instant) -> Option<Connection> {
        let mut idle = self.idle.borrow_mut();
        let connections = idle.get_mut(&backend.key)?;
        while let Some(connection) = connections.pop() {
            if now.saturating_duration_since(connection.idle_since) < MAX_IDLE && connection.still_open(now) {
                return Some(connection);
            }
        }
        None
    }

    /// Put a connection whose answer has been read whole back in the pool. Bytes past the
    /// answer mean the two sides disagree on framing: such a connection is closed instead.
    pub fn give_back(&self, backend: &Backend, mut connection: Connection, now: Instant) {
        if !connection.buf.is_empty() {
            return;
        }
        connection.idle_since = now;
        let mut idle = self.idle.borrow_mut();
        // Connections are dropped when found too old at checkout; those of a backend no call
        // goes to any more (gone from the bundle, or an API's TLS changed) would never be, and
        // would hold their sockets for good. So once per idle period, all are looked over.
        match self.swept.get() {
            None => self.swept.set(Some(now)),
            Some(swept) if now.saturating_duration_since(swept) >= MAX_IDLE => {
                idle.retain(|_, connections| {
                    connections.retain(|c| now.saturating_duration_since(c.idle_since) < MAX_IDLE);
                    !connections.is_empty()
                });
                self.swept.set(Some(now));
            }
            Some(_) => {}
        }
        let connections = idle.entry_ref(backend.key.as_str()).or_default();
        if connections.len() < MAX_POOLED {
            connections.push(connection);
        }
    }

    async fn connect(&self, backend: &Backend) -> Result<Connection, String> {
        let tcp = TcpStream::connect(&backend.address)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", backend.address))?;
        let _ = tcp.set_nodelay(true);
        let stream = if backend.tls {
            let name = rustls::pki_types::ServerName::try_from(backend.server_name.clone())
                .map_err(|e| format!("{}: {e}", backend.url))?;
            let existing =
                backend.connector.as_ref().map(|api| api.connector.clone()).or_else(|| self.tls.borrow().clone());
            let tls = match existing {
                Some(tls) => tls,
                None => {
                    let made = tokio_rustls::TlsConnector::from(Arc::new(tls_config(roots(None)?, None)?));
                    *self.tls.borrow_mut() = Some(made.clone());
                    made
                }
            };
            Stream::Tls(Box::new(
                tls.connect(name, tcp).await.map_err(|e| format!("TLS with {}: {e}", backend.address))?,
            ))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection { stream, buf: BytesMut::with_capacity(8 * 1024), idle_since: Instant::now() })
    }
}

/// The authorities `trusted`, or else the Web PKI's roots.
fn roots(trusted: Option<Vec<CertificateDer<'static>>>) -> Result<rustls::RootCertStore, String> {
    match trusted {
        None => Ok(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }),
        Some(certificates) => {
            let mut roots = rustls::RootCertStore::empty();
            for (i, certificate) in certificates.into_iter().enumerate() {
                roots.add(certificate).map_err(|e| format!("certificate {} cannot be trusted: {e}", i + 1))?;
            }
            Ok(roots)
        }
    }
}

/// TLS to backends, HTTP/1.1: trusting `roots`, presenting `identity` when a backend asks for
/// a client certificate.
fn tls_config(
    roots: rustls::RootCertStore,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<rustls::ClientConfig, String> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS is not available: {e}"))?
        .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => {
            builder.with_client_auth_cert(chain, key).map_err(|e| format!("the client certificate: {e}"))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use gatehouse_contract::tls;
    use rustls::pki_types::pem::PemObject;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A private certificate authority and, as PEM, the certificate it issued to a backend at
    /// `localhost` with its key, the one it issued to a client with its key, and one it issued
    /// to the client that expired at the end of 2024.
    pub(crate) struct Pki {
        pub ca: String,
        pub server: String,
        pub client: String,
        pub expired_client: String,
    }

    pub(crate) fn pki() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair};
        let mut authority = CertificateParams::new(Vec::<String>::new()).expect("params");
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        authority.distinguished_name.push(rcgen::DnType::CommonName, "Gatehouse test CA");
        let ca = CertifiedIssuer::self_signed(authority, KeyPair::generate().expect("key")).expect("CA");
        let issue = |name: &str, usage, expired: bool| {
            let key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
            params.extended_key_usages = vec![usage];
            if expired {
                (params.not_before, params.not_after) =
                    (rcgen::date_time_ymd(2023, 1, 1), rcgen::date_time_ymd(2024, 12, 31));
            }
            let certificate = params.signed_by(&key, &ca).expect("issued");
            format!("{}{}", certificate.pem(), key.serialize_pem())
        };
        Pki {
            ca: ca.pem(),
            server: issue("localhost", ExtendedKeyUsagePurpose::ServerAuth, false),
            client: issue("gateway.test", ExtendedKeyUsagePurpose::ClientAuth, false),
            expired_client: issue("gateway.test", ExtendedKeyUsagePurpose::ClientAuth, true),
        }
    }

    /// An `https://localhost` backend with a certificate from `pki`'s authority, asking every
    /// client for a certificate from it too, answering `ok` to each request.
    async fn tls_backend(pki: &Pki) -> Backend {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).expect("CA")).expect("trusted");
        let clients = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .expect("verifier");
        let chain =
            CertificateDer::pem_slice_iter(pki.server.as_bytes()).collect::<Result<Vec<_>, _>>().expect("chain");
        let key = PrivateKeyDer::from_pem_slice(pki.server.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_client_cert_verifier(clients)
            .with_single_cert(chain, key)
            .expect("config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    let mut buf = vec![0u8; 4096];
                    while matches!(tls.read(&mut buf).await, Ok(n) if n > 0) {
                        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if tls.write_all(ok).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Backend::parse(&format!("https://localhost:{port}")).expect("url")
    }

    #[tokio::test]
    async fn a_backend_of_a_private_authority_is_reached_with_the_apis_trust_and_client_certificate() {
        let pki = pki();
        let mut backend = tls_backend(&pki).await;
        let trusted = || Some(tls::trusted_certificates(&pki.ca).expect("CA"));
        let pool = Pool::default();
        // The public Web PKI does not know the authority.
        let refused = pool.call(&backend, &call(GET)).await.err().unwrap_or_default();
        assert!(refused.starts_with("TLS with localhost:"), "{refused}");
        // Trusting it, but with no certificate to show, the backend turns the gateway away.
        backend.use_tls(&ApiTls::new(trusted(), None, "ca".into()).expect("TLS"));
        let turned_away = pool.call(&backend, &call(GET)).await.err().unwrap_or_default();
        assert!(turned_away.contains("CertificateRequired"), "{turned_away}");
        // With both, the call goes through, and its connection is kept for the next.
        let identity = tls::client_identity(&pki.client).expect("identity");
        backend.use_tls(&ApiTls::new(trusted(), Some(identity), "ca+client".into()).expect("TLS"));
        for _ in 0..2 {
            let answer = pool.call(&backend, &call(GET)).await.expect("answered");
            assert!(matches!(answer.body, AnswerBody::Whole(ref b) if b.as_ref() == b"ok"));
        }
        assert_eq!(pool.idle.borrow().get(&backend.key).map(Vec::len), Some(1));
    }

    #[test]
    fn backend_urls_are_taken_apart_once() {
        let b = Backend::parse("https://api.example.com/v2/").expect("url");
        assert_eq!(
            (b.address.as_str(), b.authority.as_str(), b.base_path.as_str(), b.tls),
            ("api.example.com:443", "api.example.com", "/v2", true)
        );
        let b = Backend::parse("http://[::1]:8080").expect("url");
        assert_eq!((b.address.as_str(), b.server_name.as_str(), b.base_path.as_str()), ("[::1]:8080", "::1", ""));
        assert!(Backend::parse("ftp://x").is_err());
        assert!(Backend::parse("http://user:pw@x").is_err());
    }

    /// A backend on a real socket that answers each request it reads with `answers`' next
    /// entry, counting connections; an entry of `None` closes the connection instead.
    async fn backend(answers: Vec<Option<&'static str>>) -> (Backend, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            let answers = Arc::new(tokio::sync::Mutex::new(answers.into_iter()));
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answers = answers.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let mut request = Vec::new();
                        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => request.extend_from_slice(&buf[..n]),
                            }
                        }
                        let next = answers.lock().await.next().flatten();
                        match next {
                            Some(answer) => {
                                if socket.write_all(answer.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            None => return,
                        }
                    }
                });
            }
        });
        (Backend::parse(&format!("http://127.0.0.1:{port}")).expect("url"), connections)
    }

    /// A request with no body, a GET unless `head` says otherwise.
    fn call(head: &'static [u8]) -> Call<'static> {
        let method = head.split(|b| *b == b' ').next().unwrap_or_default();
        Call {
            head,
            body: b"",
            head_request: method == b"HEAD",
            idempotent: method != b"POST",
            upgrade: false,
            now: Instant::now(),
        }
    }

    /// The status and body of an answer read whole.
    fn whole(answer: &Answer) -> (u16, &[u8]) {
        match &answer.body {
            AnswerBody::Whole(body) => (answer.head.status, body),
            AnswerBody::Open(_) => panic!("the answer was not read whole"),
        }
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";

    #[tokio::test]
    async fn connections_are_kept_alive_and_reused() {
        let (b, connections) = backend(vec![
            Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Some("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"),
            Some("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nz"),
            Some("HTTP/1.1 200 OK\r\n\r\nto the end"),
        ])
        .await;
        let pool = Pool::default();
        let first = pool.call(&b, &call(GET)).await.expect("first");
        assert_eq!(whole(&first), (200, b"ok".as_ref()));
        let second = pool.call(&b, &call(GET)).await.expect("second");
        assert_eq!(whole(&second), (201, b"a".as_ref()), "a chunked body all there with its head is read whole");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "one connection served both");
        pool.call(&b, &call(GET)).await.expect("third");
        assert!(pool.checkout(&b, Instant::now()).is_none(), "a connection the backend closes is not pooled");
    }

    #[tokio::test]
    async fn connections_to_a_backend_no_longer_called_are_closed_in_time() {
        const OK: Option<&str> = Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let (gone, _) = backend(vec![OK]).await;
        let (kept, _) = backend(vec![OK, OK]).await;
        let pool = Pool::default();
        let start = Instant::now();
        let at = |seconds| Call { now: start + Duration::from_secs(seconds), ..call(GET) };
        pool.call(&gone, &at(0)).await.expect("gone");
        pool.call(&kept, &at(30)).await.expect("kept");
        assert!(pool.idle.borrow().contains_key(&gone.key));
        // A minute on, a call to another backend closes the one no call has needed since.
        pool.call(&kept, &at(61)).await.expect("kept again");
        let idle = pool.idle.borrow();
        assert!(!idle.contains_key(&gone.key), "the unused backend's connection is closed");
        assert_eq!(idle.get(&kept.key).map(Vec::len), Some(1), "the one in use is kept");
    }

    #[tokio::test]
    async fn a_request_that_finds_its_connection_closed_is_resent_only_when_idempotent() {
        let (b, connections) = backend(vec![
            Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            None,
            Some("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain"),
            None,
        ])
        .await;
        let pool = Pool::default();
        pool.call(&b, &call(GET)).await.expect("first");
        let again = pool.call(&b, &call(GET)).await.expect("resent on a new connection");
        assert_eq!(whole(&again).1, b"again");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
        let post = pool.call(&b, &call(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")).await;
        assert!(post.is_err_and(|e| e.contains("could not be read")), "a POST is not sent twice");
    }

    #[tokio::test]
    async fn large_and_unfinished_answers_come_back_with_their_connection() {
        let large = format!("HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n{}", "x".repeat(40_000));
        let (b, connections) = backend(vec![
            Some(Box::leak(large.into_boxed_str())),
            // An event stream's first event: the body goes on after it.
            Some("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nb\r\ndata: one\n\n\r\n"),
        ])
        .await;
        let pool = Pool::default();
        let AnswerBody::Open(mut connection) = pool.call(&b, &call(GET)).await.expect("large").body else {
            panic!("a body over {WHOLE_UP_TO} bytes is relayed, not read whole");
        };
        let (stream, buf) = connection.parts();
        let (mut caller, mut far) = tokio::io::duplex(1 << 16);
        let (mut caller_buf, mut sent) = (BytesMut::new(), 0);
        let mut end = http1::CallerEnd::new(&mut caller, &mut caller_buf);
        http1::relay(stream, buf, Framing::Length(40_000), &mut end, false, Duration::from_secs(5), &mut sent)
            .await
            .expect("relayed");
        drop(caller);
        let mut received = Vec::new();
        far.read_to_end(&mut received).await.expect("the caller reads");
        assert_eq!((sent, received.len()), (40_000, 40_000));
        pool.give_back(&b, connection, Instant::now());
        let events = pool.call(&b, &call(GET)).await.expect("events");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "the relayed connection was reused");
        assert!(matches!(events.body, AnswerBody::Open(_)), "a chunked body still arriving is relayed");
    }

    #[tokio::test]
    async fn a_switched_protocol_is_taken_only_when_asked_for() {
        const SWITCHED: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let (b, _) = backend(vec![Some(SWITCHED), Some(SWITCHED)]).await;
        let pool = Pool::default();
        let unasked = pool.call(&b, &call(GET)).await;
        assert!(unasked.is_err_and(|e| e.contains("switched protocols unasked")));
        let asked = pool.call(&b, &Call { upgrade: true, ..call(GET) }).await.expect("switched");
        assert_eq!(asked.head.status, 101);
        assert!(matches!(asked.body, AnswerBody::Open(_)), "the connection is the tunnel's");
        assert!(pool.checkout(&b, Instant::now()).is_none(), "and not pooled");
    }

    #[tokio::test]
    async fn unreachable_backends_fail_with_a_reason() {
        let pool = Pool::default();
        let closed = Backend::parse(&format!(
            "http://127.0.0.1:{}",
            TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("addr").port()
        ))
        .expect("url");
        assert!(pool.call(&closed, &call(GET)).await.is_err_and(|e| e.contains("cannot connect")));
    }

    #[tokio::test]
    async fn https_backends_are_checked_against_the_web_pki() {
        // A listener that answers in plain HTTP at once, for an https:// URL: the handshake fails
        // with a reason.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
            }
        });
        let https = Backend::parse(&format!("https://127.0.0.1:{port}")).expect("url");
        let failed = Pool::default().call(&https, &call(GET)).await;
        assert!(failed.is_err_and(|e| e.starts_with("TLS with 127.0.0.1:")), "a TLS failure names the backend");
        assert!(roots(None).and_then(|roots| tls_config(roots, None)).is_ok());
    }

    #[tokio::test]
    async fn head_answers_have_no_body_whatever_their_length_says() {
        let (b, _) = backend(vec![
            Some("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
            Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        ])
        .await;
        let pool = Pool::default();
        let head = pool.call(&b, &call(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")).await.expect("head");
        assert!(whole(&head).1.is_empty());
        assert_eq!(whole(&pool.call(&b, &call(GET)).await.expect("get")).1, b"ok", "the connection is still in step");
    }
}
