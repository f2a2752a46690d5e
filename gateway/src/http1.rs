//! HTTP/1.1 for both sides of the gateway, written for a proxy's job rather than in general (as
//! nginx and Pingora do): heads parsed in place by `httparse`, header lines passed on as the
//! bytes they arrived as, request bodies read whole (Content-Length or chunked), an answer
//! written with one system call — or, when too large or too slow to wait for, relayed as it
//! arrives — and everything on the task that serves the connection: no per-request header
//! map, no channel or task between a request and its backend call.
//!
//! A request that asks to upgrade (WebSocket) and gets `101 Switching Protocols` becomes a
//! tunnel: bytes pass both ways unread until one side closes. What is not here, on purpose:
//! streamed request bodies (one is buffered, up to a limit) and HTTP/2.

use bytes::{Buf, Bytes, BytesMut};
use std::io::Write as _;
use std::net::SocketAddr;
use std::ops::Range;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A request or response head larger than this is refused (431 / 502).
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;
/// A chunk-size line longer than this is not a chunk-size line.
const MAX_CHUNK_LINE: usize = 1024;
/// A connection that has not completed a request for one to two of these periods is closed
/// (kept-alive connections waiting for their next request, heads that never finish arriving).
const IDLE: Duration = Duration::from_secs(60);
/// An unread request body up to this size is read and dropped to keep the connection; a larger
/// one closes it.
const DRAIN: u64 = 64 * 1024;
/// Bodies up to this size are copied behind the head, so a message is one write.
pub const COALESCE: usize = 32 * 1024;
/// The read buffer of a body relayed as it arrives.
const RELAY_READ: usize = 64 * 1024;

/// Why a message could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection; `clean` when no byte of a message had arrived.
    Closed {
        clean: bool,
    },
    Io(std::io::Error),
    /// Not HTTP/1 as RFC 9112 allows; the text says what.
    Malformed(&'static str),
    HeadTooLarge,
    BodyTooLarge,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed { clean: true } => f.write_str("the connection was closed"),
            ReadError::Closed { clean: false } => f.write_str("the connection was closed in the middle of a message"),
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Malformed(what) => f.write_str(what),
            ReadError::HeadTooLarge => {
                write!(f, "the head is over {} KiB or has over {MAX_HEADERS} headers", MAX_HEAD / 1024)
            }
            ReadError::BodyTooLarge => f.write_str("the body is over the size limit"),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Where an `&[u8]` (borrowed from `base`) sits in `base`.
fn range_in(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - base.as_ptr() as usize;
    start..start + part.len()
}

/// Read more bytes into `buf`; a closed connection is an error.
async fn fill<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Result<(), ReadError> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(8 * 1024);
    }
    if stream.read_buf(buf).await? == 0 {
        return Err(ReadError::Closed { clean: buf.is_empty() });
    }
    Ok(())
}

/// How a message's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
    /// A response with neither: the body runs until the connection closes.
    UntilClose,
}

/// The framing its headers give a message. `Transfer-Encoding` with `Content-Length`, or
/// Content-Lengths that disagree, are refused rather than guessed at: that ambiguity is how
/// requests are smuggled past a proxy.
fn framing<'h>(headers: impl Iterator<Item = (&'h str, &'h [u8])>, request: bool) -> Result<Framing, ReadError> {
    let (mut length, mut chunked, mut encoded) = (None, false, false);
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") {
            let text =
                std::str::from_utf8(value).map_err(|_| ReadError::Malformed("Content-Length is not a number"))?.trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReadError::Malformed("Content-Length is not a number"));
            }
            let n: u64 = text.parse().map_err(|_| ReadError::Malformed("Content-Length is too large"))?;
            if length.is_some_and(|l| l != n) {
                return Err(ReadError::Malformed("two different Content-Length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            encoded = true;
            // Only the last coding tells how the message ends.
            let last = value.rsplit(|b| *b == b',').next().unwrap_or_default();
            chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        }
    }
    match (encoded, length) {
        (true, Some(_)) => Err(ReadError::Malformed("both Transfer-Encoding and Content-Length")),
        (true, None) if chunked => Ok(Framing::Chunked),
        (true, None) if request => Err(ReadError::Malformed("a Transfer-Encoding other than chunked")),
        (true, None) => Ok(Framing::UntilClose),
        (false, Some(n)) => Ok(Framing::Length(n)),
        (false, None) if request => Ok(Framing::Length(0)),
        (false, None) => Ok(Framing::UntilClose),
    }
}

/// Read a body framed as `framing` from `buf` and then `stream`, refusing one over `limit`.
/// What follows the body stays in `buf` (a pipelined request, say).
pub async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    framing: Framing,
    limit: u64,
) -> Result<Bytes, ReadError> {
    match framing {
        Framing::Length(0) => Ok(Bytes::new()),
        Framing::Length(n) => {
            if n > limit {
                return Err(ReadError::BodyTooLarge);
            }
            let n = n as usize;
            // Room for what is announced, up to a point: a client that claims a large body and
            // sends nothing should not get that much memory set aside.
            if buf.len() < n {
                buf.reserve((n - buf.len()).min(256 * 1024));
            }
            while buf.len() < n {
                fill(stream, buf).await?;
            }
            Ok(buf.split_to(n).freeze())
        }
        Framing::Chunked => read_chunked(stream, buf, limit).await,
        Framing::UntilClose => {
            loop {
                if buf.len() as u64 > limit {
                    return Err(ReadError::BodyTooLarge);
                }
                match fill(stream, buf).await {
                    Ok(()) => {}
                    Err(ReadError::Closed { .. }) => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(buf.split().freeze())
        }
    }
}

/// The position of the next CRLF in `buf`, reading more as needed, for lines up to `max`.
async fn line<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut, max: usize) -> Result<usize, ReadError> {
    let mut searched = 0;
    loop {
        if let Some(at) = buf[searched..].windows(2).position(|w| w == b"\r\n") {
            return Ok(searched + at);
        }
        searched = buf.len().saturating_sub(1);
        if buf.len() > max {
            return Err(ReadError::Malformed("a chunk-size or trailer line is too long"));
        }
        fill(stream, buf).await?;
    }
}

/// A chunked body (RFC 9112 §7.1), decoded; extensions and trailers are read and dropped.
async fn read_chunked<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    limit: u64,
) -> Result<Bytes, ReadError> {
    let mut body = BytesMut::new();
    while let Some(size) = chunk_size(stream, buf).await? {
        if body.len() as u64 + size > limit {
            return Err(ReadError::BodyTooLarge);
        }
        let size = size as usize;
        while buf.len() < size {
            fill(stream, buf).await?;
        }
        body.extend_from_slice(&buf[..size]);
        buf.advance(size);
        chunk_end(stream, buf).await?;
    }
    Ok(body.freeze())
}

/// The next chunk's size line, read: the size of its data, or `None` for the last chunk (its
/// trailers read and dropped too).
async fn chunk_size<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Result<Option<u64>, ReadError> {
    let end = line(stream, buf, MAX_CHUNK_LINE).await?;
    let size_line = &buf[..end];
    let digits = size_line.split(|b| *b == b';').next().unwrap_or_default().trim_ascii();
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(ReadError::Malformed("a chunk size is not a hexadecimal number"));
    }
    let size = digits.iter().fold(0u64, |n, d| n * 16 + u64::from(char::from(*d).to_digit(16).unwrap_or(0)));
    buf.advance(end + 2);
    if size > 0 {
        return Ok(Some(size));
    }
    let mut trailers = 0;
    loop {
        let end = line(stream, buf, MAX_HEAD).await?;
        buf.advance(end + 2);
        trailers += end + 2;
        if end == 0 {
            return Ok(None);
        }
        if trailers > MAX_HEAD {
            return Err(ReadError::HeadTooLarge);
        }
    }
}

/// The CRLF that ends a chunk's data.
async fn chunk_end<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> Result<(), ReadError> {
    while buf.len() < 2 {
        fill(stream, buf).await?;
    }
    if &buf[..2] != b"\r\n" {
        return Err(ReadError::Malformed("a chunk does not end where its size says"));
    }
    buf.advance(2);
    Ok(())
}

/// Whether a chunked body is all in `buf` already, so reading it needs no wait. A body that is
/// not valid chunked coding counts as complete: reading it finds what is wrong at once.
pub fn chunked_complete(buf: &[u8]) -> bool {
    let crlf = |from: usize| buf.get(from..).and_then(|rest| rest.windows(2).position(|w| w == b"\r\n"));
    let mut at = 0;
    loop {
        let Some(end) = crlf(at) else { return false };
        let digits = buf[at..at + end].split(|b| *b == b';').next().unwrap_or_default().trim_ascii();
        let Some(size) = std::str::from_utf8(digits).ok().and_then(|d| usize::from_str_radix(d, 16).ok()) else {
            return true;
        };
        at += end + 2;
        if size == 0 {
            // Trailer lines, then the empty line that ends the body.
            loop {
                let Some(end) = crlf(at) else { return false };
                at += end + 2;
                if end == 0 {
                    return true;
                }
            }
        }
        at = match size.checked_add(2).and_then(|n| at.checked_add(n)) {
            Some(next) if next <= buf.len() => next,
            _ => return false,
        };
    }
}

/// Why a relayed body stopped short.
#[derive(Debug)]
pub enum RelayError {
    /// The backend's side: it closed, sent what is not the body it announced, or sent nothing
    /// for a whole wait.
    Source(ReadError),
    /// The caller's side: it closed its connection.
    Sink(std::io::Error),
}

/// `read`, given at most `wait`.
async fn within<T>(wait: Duration, read: impl Future<Output = Result<T, ReadError>>) -> Result<T, RelayError> {
    match tokio::time::timeout(wait, read).await {
        Ok(outcome) => outcome.map_err(RelayError::Source),
        Err(_) => Err(RelayError::Source(ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("nothing arrived for {} ms", wait.as_millis()),
        )))),
    }
}

/// The caller's end of a relay: its connection, which the body goes to, and the buffer of what
/// it sent, which keeps what it sends meanwhile (a pipelined request) for after the answer.
pub struct CallerEnd<'a, W> {
    stream: &'a mut W,
    buf: &'a mut BytesMut,
    /// Whether a close is still looked for: until the caller sends something.
    watching: bool,
}

impl<'a, W: AsyncRead + AsyncWrite + Unpin> CallerEnd<'a, W> {
    pub fn new(stream: &'a mut W, buf: &'a mut BytesMut) -> Self {
        let watching = buf.is_empty();
        CallerEnd { stream, buf, watching }
    }

    /// `read` from the backend, given at most `wait` — or the caller's close, should it come
    /// first. nginx checks for a broken connection in the same way: without it a gone caller is
    /// noticed only at the next write, and an event stream between events would hold its backend
    /// connection until then.
    async fn pull<T>(
        &mut self,
        wait: Duration,
        read: impl Future<Output = Result<T, ReadError>>,
    ) -> Result<T, RelayError> {
        let read = within(wait, read);
        let mut read = std::pin::pin!(read);
        loop {
            tokio::select! {
                biased;
                outcome = &mut read => return outcome,
                sent = self.stream.read_buf(self.buf), if self.watching => match sent {
                    Ok(0) => {
                        return Err(RelayError::Sink(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "the caller closed its connection",
                        )));
                    }
                    // Kept, and no more read: the next request waits for this answer.
                    Ok(_) => self.watching = false,
                    Err(e) => return Err(RelayError::Sink(e)),
                },
            }
        }
    }
}

/// Pass a body framed as `framing` from `buf` and then `source` on to the caller as it arrives —
/// re-chunked when `chunked` (a chunked or close-delimited body to an HTTP/1.1 caller), as it
/// is otherwise — waiting at most `wait` for each read and counting in `sent` the body's bytes
/// passed on. What follows a complete body stays in `buf`. A caller that closes its connection
/// stops the relay at once.
pub async fn relay<R: AsyncRead + Unpin, W: AsyncRead + AsyncWrite + Unpin>(
    source: &mut R,
    buf: &mut BytesMut,
    framing: Framing,
    caller: &mut CallerEnd<'_, W>,
    chunked: bool,
    wait: Duration,
    sent: &mut u64,
) -> Result<(), RelayError> {
    if caller.buf.capacity() - caller.buf.len() < 1024 {
        // read_buf reads nothing into a full buffer, which would look like a close.
        caller.buf.reserve(1024);
    }
    let mut out = Vec::new();
    // What is left of the current piece: the body for a length, a chunk for chunked coding.
    let mut left = match framing {
        Framing::Length(n) => n,
        Framing::Chunked | Framing::UntilClose => 0,
    };
    let mut in_chunk = false;
    loop {
        if left == 0 && framing == Framing::Chunked {
            if std::mem::take(&mut in_chunk) {
                caller.pull(wait, chunk_end(source, buf)).await?;
            }
            match caller.pull(wait, chunk_size(source, buf)).await? {
                Some(size) => (left, in_chunk) = (size, true),
                None => break,
            }
        } else if left == 0 && framing != Framing::UntilClose {
            break;
        }
        if buf.is_empty() {
            // A big read buffer keeps a download's system calls few.
            if buf.capacity() < RELAY_READ {
                buf.reserve(RELAY_READ);
            }
            match caller.pull(wait, fill(source, buf)).await {
                Err(RelayError::Source(ReadError::Closed { .. })) if framing == Framing::UntilClose => break,
                outcome => outcome?,
            }
        }
        let take = match framing {
            Framing::UntilClose => buf.len(),
            _ => left.min(buf.len() as u64) as usize,
        };
        write_piece(caller.stream, &mut out, &buf[..take], chunked).await?;
        buf.advance(take);
        left = left.saturating_sub(take as u64);
        *sent += take as u64;
    }
    if chunked {
        caller.stream.write_all(b"0\r\n\r\n").await.map_err(RelayError::Sink)?;
    }
    caller.stream.flush().await.map_err(RelayError::Sink)
}

/// Write one piece of a relayed body, as a chunk of its own when `chunked`, in one write.
async fn write_piece<W: AsyncWrite + Unpin>(
    sink: &mut W,
    out: &mut Vec<u8>,
    piece: &[u8],
    chunked: bool,
) -> Result<(), RelayError> {
    if !chunked {
        return sink.write_all(piece).await.map_err(RelayError::Sink);
    }
    out.clear();
    let _ = write!(out, "{:x}\r\n", piece.len());
    out.extend_from_slice(piece);
    out.extend_from_slice(b"\r\n");
    sink.write_all(out).await.map_err(RelayError::Sink)
}

/// A request head, kept as the bytes it arrived as; methods, target and headers are ranges in it.
pub struct Request {
    head: Bytes,
    method: Range<usize>,
    /// The target's path, and its query without the `?`.
    path: Range<usize>,
    query: Option<Range<usize>>,
    headers: Vec<(Range<usize>, Range<usize>)>,
    /// HTTP/1.0: no keep-alive unless asked for.
    http10: bool,
    framing: Framing,
    pub remote: SocketAddr,
    /// `remote`'s IP address as text, formatted once per connection.
    pub client_ip: Rc<str>,
}

/// Text that `httparse` has checked to be ASCII tokens (or, for values, visible bytes).
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

impl Request {
    pub fn method(&self) -> &str {
        text(&self.head[self.method.clone()])
    }

    pub fn path(&self) -> &str {
        text(&self.head[self.path.clone()])
    }

    pub fn query(&self) -> Option<&str> {
        self.query.clone().map(|query| text(&self.head[query]))
    }

    /// Every header line's name and value, in order, as they arrived.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.headers.iter().map(|(name, value)| (&self.head[name.clone()], &self.head[value.clone()]))
    }

    /// The first value of a header, as sent.
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }

    /// The first value of a header, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    fn keep_alive(&self) -> bool {
        let connection = |token: &str| {
            self.headers().any(|(n, v)| {
                n.eq_ignore_ascii_case(b"connection")
                    && v.split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
        };
        if self.http10 { connection("keep-alive") } else { !connection("close") }
    }

    /// The protocol an HTTP/1.1 request asks to switch to (`Upgrade: websocket` with
    /// `Connection: upgrade`), if it asks.
    pub fn upgrade(&self) -> Option<&[u8]> {
        let asks = self.headers().any(|(n, v)| {
            n.eq_ignore_ascii_case(b"connection")
                && v.split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
        });
        if self.http10 || !asks {
            return None;
        }
        self.header_bytes("upgrade").filter(|v| !v.is_empty())
    }

    fn expects_continue(&self) -> bool {
        !self.http10 && self.header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    }
}

/// Parse a complete request head at the start of `buf`, or say how it falls short.
fn parse_request(buf: &[u8], remote: SocketAddr, client_ip: &Rc<str>) -> Result<Option<(usize, Request)>, ReadError> {
    // Uninitialised slots: filling 100 empty headers before every parse showed in profiles.
    let mut slots = [const { std::mem::MaybeUninit::<httparse::Header>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut []);
    let length = match parsed.parse_with_uninit_headers(buf, &mut slots) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
        Err(_) => return Err(ReadError::Malformed("the request line or a header is not valid HTTP/1.1")),
    };
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version) else {
        return Err(ReadError::Malformed("the request line is incomplete"));
    };
    if !target.starts_with('/') {
        return Err(ReadError::Malformed("the request target must be a path (origin form)"));
    }
    let framing = framing(parsed.headers.iter().map(|h| (h.name, h.value)), true)?;
    let target = range_in(buf, target.as_bytes());
    let (path, query) = match buf[target.clone()].iter().position(|b| *b == b'?') {
        Some(at) => (target.start..target.start + at, Some(target.start + at + 1..target.end)),
        None => (target, None),
    };
    let request = Request {
        method: range_in(buf, method.as_bytes()),
        path,
        query,
        headers: parsed.headers.iter().map(|h| (range_in(buf, h.name.as_bytes()), range_in(buf, h.value))).collect(),
        http10: version == 0,
        framing,
        remote,
        client_ip: client_ip.clone(),
        head: Bytes::new(),
    };
    Ok(Some((length, request)))
}

/// A backend's answer head parsed from `bytes` (a complete head), for tests elsewhere in the
/// crate.
#[cfg(test)]
pub fn response_head_for_test(bytes: &[u8]) -> ResponseHead {
    match parse_response(bytes) {
        Ok(Some((length, mut head))) => {
            head.head = Bytes::copy_from_slice(&bytes[..length]);
            head
        }
        _ => panic!("not a complete answer head: {}", String::from_utf8_lossy(bytes)),
    }
}

/// A request parsed from `bytes` (a complete head), for tests elsewhere in the crate.
#[cfg(test)]
pub fn request_for_test(bytes: &[u8], remote: SocketAddr) -> Request {
    let client_ip: Rc<str> = remote.ip().to_string().into();
    match parse_request(bytes, remote, &client_ip) {
        Ok(Some((length, mut request))) => {
            request.head = Bytes::copy_from_slice(&bytes[..length]);
            request
        }
        _ => panic!("not a complete request head: {}", String::from_utf8_lossy(bytes)),
    }
}

/// Read the next request head from the connection.
async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    remote: SocketAddr,
    client_ip: &Rc<str>,
) -> Result<Request, ReadError> {
    loop {
        if !buf.is_empty() {
            if let Some((length, mut request)) = parse_request(buf, remote, client_ip)? {
                request.head = buf.split_to(length).freeze();
                return Ok(request);
            }
            if buf.len() >= MAX_HEAD {
                return Err(ReadError::HeadTooLarge);
            }
        }
        fill(stream, buf).await?;
    }
}

/// An answer: status, header lines as they will be written, and the body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// `name: value\r\n` lines.
    headers: Vec<u8>,
    pub body: Bytes,
    /// A backend's Content-Length for a HEAD request, whose answer has no body.
    declared_length: Option<u64>,
}

/// A header value that could end the line it is written on is refused.
fn is_value(value: &[u8]) -> bool {
    !value.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

impl Response {
    /// An answer with its content type; an empty one sends none (a prototype's 204, say).
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response {
        let mut response =
            Response { status, headers: Vec::with_capacity(256), body: body.into(), declared_length: None };
        if !content_type.is_empty() {
            response.header("content-type", content_type.as_bytes());
        }
        response
    }

    /// An answer with no headers yet (a backend's, before its headers are copied).
    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::with_capacity(512), body: Bytes::new(), declared_length: None }
    }

    /// Add a header line. A value with CR, LF or NUL is dropped: it would split the line.
    pub fn header(&mut self, name: &str, value: &[u8]) {
        if is_value(value) && !name.is_empty() {
            self.headers.extend_from_slice(name.as_bytes());
            self.headers.extend_from_slice(b": ");
            self.headers.extend_from_slice(value);
            self.headers.extend_from_slice(b"\r\n");
        }
    }

    /// The values of header `name`, in order (for tests).
    #[cfg(test)]
    pub fn header_values(&self, name: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.headers)
            .lines()
            .filter_map(|line| line.split_once(": "))
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
            .collect()
    }

    pub fn header_number(&mut self, name: &str, value: u64) {
        self.header(name, itoa::Buffer::new().format(value).as_bytes());
    }

    pub fn set_declared_length(&mut self, length: u64) {
        self.declared_length = Some(length);
    }

    /// Whether a status never has a body (RFC 9110 §6.4.1).
    fn bodiless(status: u16) -> bool {
        status < 200 || status == 204 || status == 304
    }
}

/// Write `response` to `out`: status line, headers, framing and (up to [`COALESCE`]) the body.
/// Returns whether the body still has to be written after `out`.
fn encode(out: &mut Vec<u8>, response: &Response, head_request: bool, close: bool) -> bool {
    let bodiless = Response::bodiless(response.status);
    let length = match response.declared_length {
        _ if bodiless => None,
        Some(length) if head_request => Some(length),
        _ => Some(response.body.len() as u64),
    };
    encode_head(out, response, length, false, close);
    let with_body = !bodiless && !head_request;
    if with_body && response.body.len() <= COALESCE {
        out.extend_from_slice(&response.body);
        return false;
    }
    with_body
}

/// Write `response`'s head to `out`, its body framed by `length`, or by chunked coding when
/// `chunked`, or by the connection's close when neither.
fn encode_head(out: &mut Vec<u8>, response: &Response, length: Option<u64>, chunked: bool, close: bool) {
    let reason = http::StatusCode::from_u16(response.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(response.status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\ndate: ");
    out.extend_from_slice(crate::clock::http_date().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&response.headers);
    if let Some(length) = length {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(itoa::Buffer::new().format(length).as_bytes());
        out.extend_from_slice(b"\r\n");
    } else if chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    response: &Response,
    head_request: bool,
    close: bool,
) -> std::io::Result<()> {
    out.clear();
    let body_after = encode(out, response, head_request, close);
    stream.write_all(out).await?;
    if body_after {
        stream.write_all(&response.body).await?;
    }
    Ok(())
}

/// The request body, read when (and if) the service asks for it — a request refused before then
/// (no credential, say) costs no body read. Reading it sends `100 Continue` first when the
/// client asked for that.
pub struct Body<'c, S> {
    stream: &'c mut S,
    buf: &'c mut BytesMut,
    request: &'c Request,
    state: &'c mut BodyState,
}

/// Whether the service read the body; after a failed read the connection cannot go on. Once the
/// service has answered through [`Body::relay`], whether the connection can go on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyState {
    Unread,
    Read,
    Failed,
    Answered { close: bool },
}

impl<S: AsyncRead + AsyncWrite + Unpin> Body<'_, S> {
    pub async fn read(&mut self, limit: u64) -> Result<Bytes, ReadError> {
        *self.state = BodyState::Failed;
        if self.request.framing == Framing::Length(0) {
            *self.state = BodyState::Read;
            return Ok(Bytes::new());
        }
        if self.request.expects_continue() && self.buf.is_empty() {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let body = read_body(self.stream, self.buf, self.request.framing, limit).await?;
        *self.state = BodyState::Read;
        Ok(body)
    }

    /// Answer with `response`'s head at once, then its body as `source` delivers it (from
    /// `source_buf` first), waiting at most `wait` for each read: for a backend's answer too
    /// large or too slow to wait for (downloads, server-sent events). The body is framed for the
    /// caller as the backend framed it — a length as is; chunked or close-delimited coding as
    /// chunked coding, or by closing the connection for an HTTP/1.0 caller. Counts the body's
    /// bytes passed on in `sent`; the connection goes on only after a whole body.
    pub async fn relay<R: AsyncRead + Unpin>(
        &mut self,
        response: &Response,
        source: &mut R,
        source_buf: &mut BytesMut,
        framing: Framing,
        wait: Duration,
        sent: &mut u64,
    ) -> Result<(), RelayError> {
        let request_read = match *self.state {
            BodyState::Read => true,
            BodyState::Unread => self.request.framing == Framing::Length(0),
            BodyState::Failed | BodyState::Answered { .. } => false,
        };
        let length = match framing {
            Framing::Length(n) => Some(n),
            Framing::Chunked | Framing::UntilClose => None,
        };
        let chunked = length.is_none() && !self.request.http10;
        let close = !request_read || !self.request.keep_alive() || (length.is_none() && !chunked);
        let mut head = Vec::with_capacity(1024);
        encode_head(&mut head, response, length, chunked, close);
        // Cut short, the answer cannot be followed by another on this connection.
        *self.state = BodyState::Answered { close: true };
        self.stream.write_all(&head).await.map_err(RelayError::Sink)?;
        relay(source, source_buf, framing, &mut CallerEnd::new(self.stream, self.buf), chunked, wait, sent).await?;
        *self.state = BodyState::Answered { close };
        Ok(())
    }

    /// Answer with `response` (a backend's `101 Switching Protocols`), then pass bytes both
    /// ways between the caller and `backend` until one side closes — a WebSocket, whose frames
    /// the gateway does not read. What either side sent behind its head goes first. Counts in
    /// `sent` the bytes passed to the backend and to the caller; the connection ends with it.
    pub async fn tunnel<B: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        response: &Response,
        backend: &mut B,
        backend_buf: &mut BytesMut,
        sent: &mut (u64, u64),
    ) -> std::io::Result<()> {
        *self.state = BodyState::Answered { close: true };
        let mut head = Vec::with_capacity(1024);
        encode_head(&mut head, response, None, false, false);
        head.extend_from_slice(backend_buf);
        sent.1 += backend_buf.len() as u64;
        backend_buf.clear();
        self.stream.write_all(&head).await?;
        if !self.buf.is_empty() {
            backend.write_all(self.buf).await?;
            sent.0 += self.buf.len() as u64;
            self.buf.clear();
        }
        let (up, down) = tokio::io::copy_bidirectional(self.stream, backend).await?;
        sent.0 += up;
        sent.1 += down;
        Ok(())
    }
}

/// What serves the requests of a connection.
pub trait Service {
    /// Answer `request`; its body is read through `body`, if needed.
    async fn call<S: AsyncRead + AsyncWrite + Unpin>(&self, request: &Request, body: Body<'_, S>) -> Response;

    /// Whether the server is stopping: answers then close their connection.
    fn stopping(&self) -> bool {
        false
    }
}

/// An error answered by the gateway itself: `{"error": {"code", "message"}}`, as the
/// management API answers its errors.
pub fn json_error(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    Response::new(status, "application/json", body)
}

/// Serve the requests of one connection until it closes, fails or idles out. The task serving it
/// is dropped (and the connection closed) to stop between requests; once the service says it is
/// stopping, each answer closes its connection.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin, H: Service>(stream: S, remote: SocketAddr, service: &H) {
    serve_from(stream, remote, BytesMut::with_capacity(8 * 1024), service).await
}

/// `serve`, with the first bytes of the connection already read into `buf` (what followed a
/// PROXY protocol header).
pub async fn serve_from<S: AsyncRead + AsyncWrite + Unpin, H: Service>(
    mut stream: S,
    remote: SocketAddr,
    mut buf: BytesMut,
    service: &H,
) {
    let client_ip: Rc<str> = remote.ip().to_string().into();
    let mut out = Vec::with_capacity(4 * 1024);
    // One timer per connection: when it fires, a connection that has served a request since it
    // was set gets another period, one that has not is closed. (A timer per request, or a clock
    // read per request to push it back, showed in profiles.)
    let idle = tokio::time::sleep(IDLE);
    tokio::pin!(idle);
    let mut served = false;
    loop {
        let next = tokio::select! {
            biased;
            next = read_request(&mut stream, &mut buf, remote, &client_ip) => Some(next),
            _ = &mut idle => None,
        };
        let request = match next {
            // Reading resumes where it stopped: what arrived is in `buf`.
            None if std::mem::take(&mut served) => {
                idle.as_mut().reset(tokio::time::Instant::now() + IDLE);
                continue;
            }
            None => return,
            Some(Ok(request)) => request,
            Some(Err(ReadError::Closed { clean: true })) => return,
            Some(Err(error)) => {
                let status = match error {
                    ReadError::HeadTooLarge => 431,
                    ReadError::Malformed(_) => 400,
                    _ => return,
                };
                let _ = write_response(
                    &mut stream,
                    &mut out,
                    &json_error(status, "bad_request", &error.to_string()),
                    false,
                    true,
                )
                .await;
                return;
            }
        };
        let mut state = BodyState::Unread;
        let response = service
            .call(&request, Body { stream: &mut stream, buf: &mut buf, request: &request, state: &mut state })
            .await;
        if let BodyState::Answered { close } = state {
            if close || service.stopping() {
                return;
            }
            served = true;
            continue;
        }
        // The next request starts after this one's body: an unread small one is dropped; a
        // larger one, or one that could not be read, closes the connection.
        let unusable = match (state, request.framing) {
            (BodyState::Read, _) | (BodyState::Unread, Framing::Length(0)) => false,
            (BodyState::Unread, Framing::Length(n)) if n <= DRAIN && !request.expects_continue() => {
                read_body(&mut stream, &mut buf, request.framing, DRAIN).await.is_err()
            }
            _ => true,
        };
        let close = unusable || !request.keep_alive() || service.stopping();
        let head_request = request.method() == "HEAD";
        if write_response(&mut stream, &mut out, &response, head_request, close).await.is_err() || close {
            return;
        }
        served = true;
    }
}

/// A backend's answer head: status, its header lines (name, value) and how its body is framed.
pub struct ResponseHead {
    pub status: u16,
    head: Bytes,
    headers: Vec<(Range<usize>, Range<usize>)>,
    pub framing: Framing,
    /// The backend will close the connection after this answer.
    pub close: bool,
}

impl ResponseHead {
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(name, value)| (text(&self.head[name.clone()]), &self.head[value.clone()]))
    }
}

fn parse_response(buf: &[u8]) -> Result<Option<(usize, ResponseHead)>, ReadError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    let length = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
        Err(_) => return Err(ReadError::Malformed("the backend's answer is not valid HTTP/1.1")),
    };
    let (Some(status), Some(version)) = (parsed.code, parsed.version) else {
        return Err(ReadError::Malformed("the backend's status line is incomplete"));
    };
    let headers = || parsed.headers.iter().map(|h| (h.name, h.value));
    let token = |token: &[u8]| {
        headers().any(|(n, v)| {
            n.eq_ignore_ascii_case("connection")
                && v.split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
        })
    };
    let framing = if Response::bodiless(status) { Framing::Length(0) } else { framing(headers(), false)? };
    let close = framing == Framing::UntilClose || if version == 0 { !token(b"keep-alive") } else { token(b"close") };
    let head = ResponseHead {
        status,
        headers: parsed.headers.iter().map(|h| (range_in(buf, h.name.as_bytes()), range_in(buf, h.value))).collect(),
        framing,
        close,
        head: Bytes::new(),
    };
    Ok(Some((length, head)))
}

/// Read a backend's answer head, skipping interim (1xx) answers; `101 Switching Protocols` is
/// the answer when the request asked to `upgrade`, refused otherwise. `Err(Closed { clean:
/// true })` means no byte of an answer arrived.
pub async fn read_response_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    upgrade: bool,
) -> Result<ResponseHead, ReadError> {
    loop {
        if !buf.is_empty() {
            if let Some((length, mut head)) = parse_response(buf)? {
                let bytes = buf.split_to(length).freeze();
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                if head.status == 101 && !upgrade {
                    return Err(ReadError::Malformed("the backend switched protocols unasked"));
                }
                head.head = bytes;
                return Ok(head);
            }
            if buf.len() >= MAX_HEAD {
                return Err(ReadError::HeadTooLarge);
            }
        }
        fill(stream, buf).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    /// Answers with the method, path, body and a header it was sent.
    struct Echo;

    impl Service for Echo {
        async fn call<S: AsyncRead + AsyncWrite + Unpin>(&self, request: &Request, mut body: Body<'_, S>) -> Response {
            if request.path() == "/unread" {
                return Response::new(401, "text/plain", "no");
            }
            if request.path() == "/tunnel" && request.upgrade() == Some(b"echo".as_ref()) {
                // A backend that echoes, and sent "hi " behind its 101.
                let (mut near, far) = duplex(1024);
                tokio::spawn(async move {
                    let (mut from, mut to) = tokio::io::split(far);
                    let _ = tokio::io::copy(&mut from, &mut to).await;
                });
                let mut response = Response::empty(101);
                response.header("upgrade", b"echo");
                let (mut early, mut sent) = (BytesMut::from(&b"hi "[..]), (0, 0));
                let _ = body.tunnel(&response, &mut near, &mut early, &mut sent).await;
                return response;
            }
            if let Some(kind) = request.path().strip_prefix("/relay/") {
                let (framing, mut source): (Framing, &[u8]) = match kind {
                    "length" => (Framing::Length(5), b"hello"),
                    "chunked" => (Framing::Chunked, b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n"),
                    "short" => (Framing::Length(50), b"cut"),
                    _ => (Framing::UntilClose, b"to the end"),
                };
                let response = Response::new(200, "text/plain", Bytes::new());
                let (mut buf, mut sent) = (BytesMut::new(), 0);
                let wait = Duration::from_secs(1);
                let _ = body.relay(&response, &mut source, &mut buf, framing, wait, &mut sent).await;
                return response;
            }
            let body = match body.read(16).await {
                Ok(body) => body,
                Err(ReadError::BodyTooLarge) => return Response::new(413, "text/plain", "too large"),
                Err(e) => return Response::new(400, "text/plain", e.to_string()),
            };
            let text = format!(
                "{} {} {:?} [{}] x={}",
                request.method(),
                request.path(),
                request.query(),
                String::from_utf8_lossy(&body),
                request.header("X-Test").unwrap_or("-")
            );
            let mut response = Response::new(200, "text/plain", text);
            response.header("x-bad", b"a\r\nb");
            response
        }
    }

    fn remote() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9))
    }

    /// Send `input` (then close our writing side) and collect everything the server answers.
    async fn exchange(input: &[u8]) -> String {
        let (mut client, server) = duplex(1 << 20);
        let talk = async move {
            client.write_all(input).await.expect("write");
            client.shutdown().await.expect("shutdown");
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.expect("read");
            answer
        };
        let ((), answer) = tokio::join!(serve(server, remote(), &Echo), talk);
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn bodies(answer: &str) -> Vec<&str> {
        answer.split("HTTP/1.1 ").skip(1).map(|a| a.split_once("\r\n\r\n").map_or("", |(_, b)| b)).collect()
    }

    #[tokio::test]
    async fn pipelined_requests_keep_alive_and_are_answered_in_order() {
        let answer = exchange(b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Test: one\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert_eq!(
            bodies(&answer),
            [r#"GET /a Some("x=1") [] x=one"#, "POST /b None [hello] x=-", "GET /c None [] x=-"],
            "{answer}"
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\ndate: "), "{answer}");
        assert!(!answer.contains("x-bad"), "a value with CR LF is dropped: {answer}");
        assert!(!answer.contains("connection: close"));
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded_with_extensions_and_trailers() {
        let answer = exchange(b"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\nGET /next HTTP/1.1\r\n\r\n").await;
        assert_eq!(bodies(&answer), ["PUT /c None [abcde] x=-", "GET /next None [] x=-"], "{answer}");
    }

    #[tokio::test]
    async fn http10_closes_unless_asked_to_keep_alive() {
        let answer = exchange(b"GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n").await;
        assert_eq!(bodies(&answer).len(), 1, "{answer}");
        assert!(answer.contains("connection: close\r\n"));
        let answer = exchange(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\nGET /c HTTP/1.1\r\n\r\n").await;
        assert_eq!(bodies(&answer).len(), 2, "{answer}");
    }

    #[tokio::test]
    async fn bad_requests_are_refused_and_the_connection_closed() {
        let answer = exchange(b"GET /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc").await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n")
                && answer.contains("both Transfer-Encoding and Content-Length")
                && answer.contains("connection: close"),
            "{answer}"
        );
        let answer = exchange(b"GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").await;
        assert!(answer.contains("two different Content-Length"), "{answer}");
        let answer = exchange(b"NOT HTTP\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        let answer = exchange(format!("GET /a HTTP/1.1\r\nX-Big: {}\r\n\r\n", "x".repeat(MAX_HEAD)).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        let answer = exchange(b"POST /a HTTP/1.1\r\nContent-Length: 17\r\n\r\n01234567890123456").await;
        assert!(
            answer.starts_with("HTTP/1.1 413 ") && answer.contains("connection: close"),
            "a body not read leaves the connection unusable: {answer}"
        );
        let answer = exchange(b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").await;
        assert!(answer.contains("not a hexadecimal number"), "{answer}");
    }

    #[tokio::test]
    async fn an_unread_body_is_skipped_when_small_and_closes_the_connection_when_not() {
        let answer = exchange(b"POST /unread HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET /b HTTP/1.1\r\n\r\n").await;
        assert_eq!(bodies(&answer), ["no", "GET /b None [] x=-"], "{answer}");
        let answer = exchange(
            b"POST /unread HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
        )
        .await;
        assert_eq!(bodies(&answer), ["no"], "{answer}");
        assert!(answer.contains("connection: close"));
    }

    #[tokio::test]
    async fn expect_continue_is_answered_when_the_body_is_read() {
        let (mut client, server) = duplex(1 << 16);
        let talk = async move {
            client
                .write_all(b"POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
                .await
                .expect("write");
            let mut interim = [0u8; 25];
            client.read_exact(&mut interim).await.expect("100 Continue");
            assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
            client.write_all(b"hi").await.expect("body");
            client.shutdown().await.expect("shutdown");
            let mut answer = String::new();
            client.read_to_string(&mut answer).await.expect("read");
            answer
        };
        let ((), answer) = tokio::join!(serve(server, remote(), &Echo), talk);
        assert_eq!(bodies(&answer), ["POST /a None [hi] x=-"], "{answer}");
        let answer = exchange(b"POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "a body sent without waiting needs no 100: {answer}");
        let answer = exchange(b"POST /unread HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").await;
        assert!(
            answer.starts_with("HTTP/1.1 401 ") && answer.contains("connection: close"),
            "refused without reading: {answer}"
        );
    }

    #[tokio::test]
    async fn head_answers_have_a_length_and_no_body() {
        let answer = exchange(b"HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        let first = answer.split("HTTP/1.1 ").nth(1).unwrap_or("");
        assert!(first.contains("content-length: 19\r\n") && first.ends_with("\r\n\r\n"), "{first}");
        assert_eq!(bodies(&answer)[1], "GET /b None [] x=-");
    }

    #[tokio::test]
    async fn relayed_answers_keep_their_framing_and_the_connection() {
        let answer = exchange(b"GET /relay/length HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n").await;
        assert!(answer.contains("content-length: 5\r\n"), "{answer}");
        assert_eq!(bodies(&answer), ["hello", "GET /b None [] x=-"]);
        // Chunked coding passes on re-chunked as it is decoded, extensions and trailers dropped;
        // a close-delimited body goes to an HTTP/1.1 caller chunked, and the connection goes on.
        let answer =
            exchange(b"GET /relay/chunked HTTP/1.1\r\n\r\nGET /relay/close HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
                .await;
        assert_eq!(answer.matches("transfer-encoding: chunked\r\n").count(), 2, "{answer}");
        assert_eq!(
            bodies(&answer),
            ["3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "a\r\nto the end\r\n0\r\n\r\n", "GET /b None [] x=-"]
        );
    }

    #[tokio::test]
    async fn relayed_answers_cut_short_or_without_a_length_for_http10_close_the_connection() {
        let answer =
            exchange(b"GET /relay/chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\n\r\n").await;
        assert!(answer.contains("connection: close\r\n") && !answer.contains("transfer-encoding"), "{answer}");
        assert_eq!(bodies(&answer), ["abcde"], "an HTTP/1.0 caller reads to the close");
        let answer = exchange(b"GET /relay/short HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n").await;
        assert!(answer.contains("content-length: 50\r\n"), "{answer}");
        assert_eq!(bodies(&answer), ["cut"], "a body the backend cut short ends the connection");
    }

    #[tokio::test]
    async fn a_relay_stops_when_the_caller_closes() {
        // An event stream whose backend sent one event and then nothing, its connection open.
        let (mut source, _backend) = duplex(1024);
        let mut buf = BytesMut::from(&b"5\r\nhello\r\n"[..]);
        let (mut caller, mut far) = duplex(1 << 16);
        let mut caller_buf = BytesMut::new();
        let mut end = CallerEnd::new(&mut caller, &mut caller_buf);
        let mut sent = 0;
        let an_hour = Duration::from_secs(3600);
        let relayed = relay(&mut source, &mut buf, Framing::Chunked, &mut end, true, an_hour, &mut sent);
        let reader = async move {
            let mut first = [0u8; 10];
            far.read_exact(&mut first).await.expect("the first event");
            first
        };
        let (relayed, first) = tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(relayed, reader) })
            .await
            .expect("the relay ends as the caller closes, not when the hour's wait is over");
        assert_eq!(&first, b"5\r\nhello\r\n");
        assert!(matches!(relayed, Err(RelayError::Sink(_))), "{relayed:?}");
        assert_eq!(sent, 5);
    }

    #[tokio::test]
    async fn what_the_caller_sends_during_a_relay_is_kept_for_after_it() {
        let (mut source, mut backend) = duplex(1024);
        // Room for 16 bytes each way: the caller's 22-byte request is sent whole only once the
        // relay has read from it.
        let (mut caller, mut far) = duplex(16);
        let mut caller_buf = BytesMut::new();
        let mut end = CallerEnd::new(&mut caller, &mut caller_buf);
        let (mut buf, mut sent) = (BytesMut::new(), 0);
        let wait = Duration::from_secs(10);
        let relayed = relay(&mut source, &mut buf, Framing::Length(5), &mut end, false, wait, &mut sent);
        let talk = async {
            far.write_all(b"GET /next HTTP/1.1\r\n\r\n").await.expect("a pipelined request");
            backend.write_all(b"hello").await.expect("the backend answers");
        };
        let (relayed, ()) = tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(relayed, talk) })
            .await
            .expect("the relay reads what the caller sends");
        assert!(relayed.is_ok(), "{relayed:?}");
        assert_eq!(&caller_buf[..], b"GET /next HTTP/1", "what was read is kept");
        let mut rest = [0u8; 6];
        caller.read_exact(&mut rest).await.expect("and no more was read");
        assert_eq!(&rest, b".1\r\n\r\n");
        drop(caller);
        let mut answer = String::new();
        far.read_to_string(&mut answer).await.expect("read");
        assert_eq!(answer, "hello");
    }

    #[tokio::test]
    async fn a_switched_protocol_passes_bytes_both_ways_until_one_side_closes() {
        let answer =
            exchange(b"GET /tunnel HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping, and more").await;
        assert!(answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{answer}");
        assert!(!answer.contains("content-length") && answer.contains("upgrade: echo\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhi ping, and more"), "the backend's early bytes, then the echo: {answer}");
    }

    #[test]
    fn a_chunked_body_is_complete_once_its_last_chunk_and_trailers_are_there() {
        let whole = b"3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n";
        assert!(chunked_complete(whole));
        for cut in 0..whole.len() {
            assert!(!chunked_complete(&whole[..cut]), "{:?}", String::from_utf8_lossy(&whole[..cut]));
        }
        assert!(chunked_complete(b"zz\r\n"), "not chunked coding: reading it fails at once");
        assert!(!chunked_complete(b"ffffffffffffffff\r\n"), "a size past the end waits (and overflows nothing)");
    }

    #[test]
    fn an_answer_without_a_content_type_sends_none() {
        let mut out = Vec::new();
        encode(&mut out, &Response::new(204, "", Bytes::new()), false, false);
        let head = String::from_utf8_lossy(&out).into_owned();
        assert!(head.starts_with("HTTP/1.1 204 No Content\r\n") && !head.contains("content-type"), "{head}");
        out.clear();
        encode(&mut out, &Response::new(200, "application/json", "{}"), false, false);
        assert!(String::from_utf8_lossy(&out).contains("content-type: application/json\r\n"));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_closed_and_busy_ones_kept() {
        let (mut client, server) = duplex(1 << 16);
        let talk = async move {
            let mut answer = [0u8; 512];
            // Busy: a request every 20 s keeps the connection past several idle periods.
            for _ in 0..8 {
                client.write_all(b"GET /a HTTP/1.1\r\n\r\n").await.expect("write");
                let n = client.read(&mut answer).await.expect("read");
                assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK"));
                tokio::time::sleep(Duration::from_secs(20)).await;
            }
            // Then idle: closed within two periods.
            let started = tokio::time::Instant::now();
            let n = client.read(&mut answer).await.expect("read");
            (n, started.elapsed())
        };
        let ((), (n, waited)) = tokio::join!(serve(server, remote(), &Echo), talk);
        assert_eq!(n, 0, "closed by the server");
        assert!(waited <= IDLE * 2, "closed after {waited:?}");
    }

    #[tokio::test]
    async fn backend_answers_skip_interim_ones_and_find_their_framing() {
        let (mut backend, mut gateway) = duplex(1 << 16);
        backend
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.0 404 Not Found\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest")
            .await
            .expect("write");
        drop(backend);
        let mut buf = BytesMut::new();
        let head = read_response_head(&mut gateway, &mut buf, false).await.expect("head");
        assert_eq!((head.status, head.framing, head.close), (200, Framing::Chunked, false));
        assert!(head.headers().any(|(n, v)| n == "X-A" && v == b"1"));
        assert_eq!(read_body(&mut gateway, &mut buf, head.framing, 100).await.expect("body"), "hello");
        let head = read_response_head(&mut gateway, &mut buf, false).await.expect("head");
        assert_eq!((head.status, head.framing, head.close), (404, Framing::Length(2), true), "HTTP/1.0 closes");
        assert_eq!(read_body(&mut gateway, &mut buf, head.framing, 100).await.expect("body"), "no");
        let head = read_response_head(&mut gateway, &mut buf, false).await.expect("head");
        assert_eq!((head.status, head.framing), (204, Framing::Length(0)));
        let head = read_response_head(&mut gateway, &mut buf, false).await.expect("head");
        assert_eq!((head.framing, head.close), (Framing::UntilClose, true));
        assert_eq!(read_body(&mut gateway, &mut buf, head.framing, 100).await.expect("body"), "rest");
        assert!(matches!(
            read_response_head(&mut gateway, &mut buf, false).await,
            Err(ReadError::Closed { clean: true })
        ));
    }
}
