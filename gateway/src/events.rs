//! Events leave the request path serialized: each worker appends its requests' events, as
//! JSON, to a batch of its own and hands full batches (or every half second, what it has) to
//! one sender. The sender delivers them to the management plane's ingest endpoint; when that is
//! unreachable each batch goes to a bounded on-disk spool and is sent later, oldest first.
//! Every event keeps its id, so a batch sent twice (the answer was lost) is counted once by the
//! idempotent ingest.

use crate::metrics::Metrics;
use gatehouse_contract::ErrorType;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// Batches waiting for the sender; beyond this, batches are dropped (and counted) rather than
/// slowing requests.
pub const QUEUE: usize = 64;
const BATCH: usize = 1_000;
pub const FLUSH: Duration = Duration::from_millis(500);
/// The spool keeps at most this many batch files; the oldest go first when it is full.
const SPOOL_FILES: usize = 2_000;

/// Event fields that many events share, rendered once as JSON values (`"value",` each): an
/// API's (id, name, version, context) when the bundle is compiled, the gateway's (group,
/// instance, region) when a worker takes up a bundle.
pub struct Fields(String);

impl Fields {
    pub fn new(values: &[&str]) -> Fields {
        let mut json = Vec::new();
        for value in values {
            json_string(&mut json, value);
            json.push(b',');
        }
        Fields(String::from_utf8(json).unwrap_or_default())
    }

    /// The API fields of an event that matched no API.
    pub fn no_api() -> &'static Fields {
        static NONE: std::sync::LazyLock<Fields> = std::sync::LazyLock::new(|| Fields::new(&["", "", "", ""]));
        &NONE
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One request's event as the request path has it, borrowed: the fields and names of
/// `gatehouse_contract::GatewayEvent`, which the ingest endpoint reads (tests read it back as one).
pub struct Event<'a> {
    pub event_id: &'a str,
    pub timestamp: i64,
    pub correlation_id: &'a str,
    /// `api_id`, `api_name`, `api_version`, `api_context`.
    pub api: &'a Fields,
    pub method: &'a str,
    pub resource: &'a str,
    pub application_id: &'a str,
    pub application_name: &'a str,
    pub consumer: &'a str,
    pub key_type: &'a str,
    pub tier: &'a str,
    /// `group`, `instance`, `region`.
    pub place: &'a Fields,
    pub status: u16,
    pub backend_status: Option<u16>,
    pub latency_ms: f64,
    pub backend_latency_ms: Option<f64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub user_agent: &'a str,
    pub error: Option<ErrorType>,
}

impl Event<'_> {
    /// Append the event as a JSON array of its fields in the contract's order (which the ingest
    /// endpoint reads as a `GatewayEvent`): half the bytes of an object, and written by hand —
    /// serde's serializer was the largest user-space cost of a request. Tests read it back.
    fn write_json(&self, out: &mut Vec<u8>) {
        let text = |out: &mut Vec<u8>, value: &str| {
            json_string(out, value);
            out.push(b',');
        };
        let number = |out: &mut Vec<u8>, value: Option<u64>| {
            match value {
                Some(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
        };
        out.push(b'[');
        text(out, self.event_id);
        out.extend_from_slice(itoa::Buffer::new().format(self.timestamp).as_bytes());
        out.push(b',');
        text(out, self.correlation_id);
        out.extend_from_slice(self.api.0.as_bytes());
        for value in [
            self.method,
            self.resource,
            self.application_id,
            self.application_name,
            self.consumer,
            self.key_type,
            self.tier,
        ] {
            text(out, value);
        }
        out.extend_from_slice(self.place.0.as_bytes());
        number(out, Some(u64::from(self.status)));
        number(out, self.backend_status.map(u64::from));
        milliseconds(out, Some(self.latency_ms));
        out.push(b',');
        milliseconds(out, self.backend_latency_ms);
        out.push(b',');
        number(out, Some(self.request_bytes));
        number(out, Some(self.response_bytes));
        text(out, self.user_agent);
        match self.error {
            Some(error) => json_string(out, error.as_str()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b']');
    }
}

/// Whether any of eight bytes must be escaped in a JSON string: a control character, `"` or
/// `\\` (the "has less than" and "has zero" word tricks: eight bytes per step, not one).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH != 0;
    below(word, 0x20) || below(word ^ (ONES * u64::from(b'"')), 1) || below(word ^ (ONES * u64::from(b'\\')), 1)
}

/// A JSON string: `"`, `\\` and control characters escaped, the rest (valid UTF-8) as it is.
fn json_string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    let bytes = value.as_bytes();
    // Most values need no escape: skip over them a word at a time.
    let mut clean = 0;
    while let Some(word) = bytes.get(clean..clean + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        if needs_escape(u64::from_le_bytes(word)) {
            break;
        }
        clean += 8;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Milliseconds to the microsecond, or `null`.
fn milliseconds(out: &mut Vec<u8>, value: Option<f64>) {
    match value.filter(|ms| ms.is_finite() && *ms >= 0.0) {
        Some(ms) => {
            let micros = (ms * 1000.0).round() as u64;
            out.extend_from_slice(itoa::Buffer::new().format(micros / 1000).as_bytes());
            let fraction = micros % 1000;
            out.extend_from_slice(&[
                b'.',
                b'0' + (fraction / 100) as u8,
                b'0' + (fraction / 10 % 10) as u8,
                b'0' + (fraction % 10) as u8,
            ]);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON array of events, ready to send.
pub struct Batch {
    json: Vec<u8>,
    events: u64,
}

/// A worker's batch in the making: `[` and the events so far, comma-separated. Each worker
/// thread has its own, so filling it takes no lock.
pub struct Batcher {
    pending: RefCell<Batch>,
    sender: mpsc::Sender<Batch>,
    metrics: Arc<Metrics>,
}

impl Batcher {
    pub fn new(sender: mpsc::Sender<Batch>, metrics: Arc<Metrics>) -> Batcher {
        Batcher { pending: RefCell::new(Batch { json: Vec::new(), events: 0 }), sender, metrics }
    }

    pub fn push(&self, event: &Event<'_>) {
        let mut guard = self.pending.borrow_mut();
        let pending = &mut *guard;
        pending.json.push(if pending.events == 0 { b'[' } else { b',' });
        event.write_json(&mut pending.json);
        pending.events += 1;
        if pending.events as usize >= BATCH {
            self.hand_over(pending);
        }
    }

    /// Hand over what there is, however little.
    pub fn flush(&self) {
        let mut pending = self.pending.borrow_mut();
        if pending.events > 0 {
            self.hand_over(&mut pending);
        }
    }

    fn hand_over(&self, pending: &mut Batch) {
        let mut batch =
            std::mem::replace(pending, Batch { json: Vec::with_capacity(pending.json.capacity()), events: 0 });
        batch.json.push(b']');
        if let Err(refused) = self.sender.try_send(batch) {
            let lost = match refused {
                mpsc::error::TrySendError::Full(b) | mpsc::error::TrySendError::Closed(b) => b.events,
            };
            self.metrics.events_dropped.fetch_add(lost, Ordering::Relaxed);
        }
    }
}

pub struct Sink {
    pub ingest_url: Option<String>,
    pub token: Option<String>,
    pub spool: PathBuf,
    pub http: reqwest::Client,
    pub metrics: Arc<Metrics>,
}

impl Sink {
    /// `body` is shared, not copied: a batch is half a megabyte.
    async fn send(&self, body: bytes::Bytes) -> Result<(), String> {
        let (Some(url), Some(token)) = (&self.ingest_url, &self.token) else {
            return Err("no management plane configured".into());
        };
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else if response.status().is_client_error() {
            // Refused as invalid: retrying would be refused again. Logged and dropped.
            tracing::error!(status = %response.status(), "the management plane refused an event batch");
            Ok(())
        } else {
            Err(format!("ingest answered {}", response.status()))
        }
    }

    fn spool_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.spool)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    fn spool_batch(&self, body: &[u8]) {
        let mut files = self.spool_files();
        while files.len() >= SPOOL_FILES {
            let oldest = files.remove(0);
            if std::fs::remove_file(&oldest).is_ok() {
                self.metrics.events_dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(file = %oldest.display(), "event spool full: dropped its oldest batch");
            }
        }
        // Names sort by time, then a random part; written then renamed so a crash never leaves half a file.
        let name = format!(
            "{:020}-{}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0),
            uuid::Uuid::new_v4()
        );
        let partial = self.spool.join(format!("{name}.part"));
        let done = self.spool.join(format!("{name}.json"));
        if let Err(e) = std::fs::write(&partial, body).and_then(|_| std::fs::rename(&partial, &done)) {
            tracing::error!(error = %e, "cannot write the event spool; a batch is lost");
        } else {
            self.metrics.spooled_batches.store(self.spool_files().len() as u64, Ordering::Relaxed);
        }
    }

    /// Send spooled batches, oldest first, until one fails.
    async fn drain_spool(&self) {
        for file in self.spool_files() {
            let Ok(body) = std::fs::read(&file) else { continue };
            if self.send(body.into()).await.is_err() {
                return;
            }
            let _ = std::fs::remove_file(&file);
        }
        self.metrics.spooled_batches.store(self.spool_files().len() as u64, Ordering::Relaxed);
    }
}

/// Deliver batches until every worker has gone.
pub async fn run(sink: Sink, mut batches: mpsc::Receiver<Batch>) {
    if let Err(e) = std::fs::create_dir_all(&sink.spool) {
        tracing::error!(error = %e, spool = %sink.spool.display(), "cannot create the event spool");
    }
    let mut retry = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            batch = batches.recv() => {
                let Some(batch) = batch else { return };
                let json = bytes::Bytes::from(batch.json);
                match sink.send(json.clone()).await {
                    Ok(()) => {
                        sink.metrics.events_sent.fetch_add(batch.events, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, events = batch.events, "event ingest unreachable; spooled");
                        sink.spool_batch(&json);
                    }
                }
            }
            _ = retry.tick() => sink.drain_spool().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_contract::GatewayEvent;

    #[test]
    fn batches_are_what_the_ingest_endpoint_reads() {
        let (sender, mut batches) = mpsc::channel(4);
        let batcher = Batcher::new(sender, Arc::new(Metrics::new(1)));
        let api = Fields::new(&["pets", "Pets <b>", "1.0.0", "/pets/v1"]);
        let place = Fields::new(&["eu", "gw-1", "eu-west"]);
        let event = |id: &'static str, error| Event {
            event_id: id,
            timestamp: 1_800_000_000_000,
            correlation_id: "c\"1",
            api: &api,
            method: "GET",
            resource: "/pets/{id}",
            application_id: "app",
            application_name: "Shop",
            consumer: "ann@example.com",
            key_type: "production",
            tier: "Gold",
            place: &place,
            status: 200,
            backend_status: Some(200),
            latency_ms: 1.25,
            backend_latency_ms: None,
            request_bytes: 0,
            response_bytes: 33,
            user_agent: "wrk",
            error,
        };
        batcher.push(&event("a", None));
        batcher.push(&event("b", Some(ErrorType::Throttled)));
        assert!(batches.try_recv().is_err(), "a batch waits until full or flushed");
        batcher.flush();
        let batch = batches.try_recv().expect("flushed");
        assert_eq!(batch.events, 2);
        let read: Vec<GatewayEvent> = serde_json::from_slice(&batch.json).expect("the contract's event");
        assert_eq!(
            read.iter().map(|e| (e.event_id.as_str(), e.error)).collect::<Vec<_>>(),
            [("a", None), ("b", Some(ErrorType::Throttled))]
        );
        assert_eq!(
            (read[0].correlation_id.as_str(), read[0].api_name.as_str(), read[0].backend_latency_ms),
            ("c\"1", "Pets <b>", None)
        );
        assert_eq!(
            (read[1].api_context.as_str(), read[1].group.as_str(), read[1].region.as_str()),
            ("/pets/v1", "eu", "eu-west")
        );
        let none: GatewayEvent = {
            let mut json = Vec::new();
            Event { api: Fields::no_api(), ..event("c", None) }.write_json(&mut json);
            serde_json::from_slice(&json).expect("event")
        };
        assert_eq!((none.api_id.as_str(), none.api_name.as_str()), ("", ""));
        batcher.flush();
        assert!(batches.try_recv().is_err(), "nothing to flush");
    }

    #[test]
    fn words_needing_escape_are_found_wherever_the_byte_is() {
        for position in 0..8 {
            for b in [b'"', b'\\', 0, b'\n', 0x1f] {
                let mut word = *b"abcdefgh";
                word[position] = b;
                assert!(needs_escape(u64::from_le_bytes(word)), "{b:#x} at {position}");
            }
        }
        for clean in [*b"abcdefgh", *b" !#[]~\x7f ", "ü😀ab".as_bytes().try_into().unwrap_or([b'a'; 8])] {
            assert!(!needs_escape(u64::from_le_bytes(clean)), "{clean:?}");
        }
        let mut out = Vec::new();
        json_string(&mut out, "0123456789abcdef\"tail\\x");
        assert_eq!(out, br#""0123456789abcdef\"tail\\x""#);
    }

    #[test]
    fn events_read_back_as_written_whatever_their_text() {
        let awkward = "q\"uote \\ back\nline\ttab\u{1}\u{1f} ünï 😀 </script>";
        let event = Event {
            event_id: "id",
            timestamp: -1,
            correlation_id: awkward,
            api: &Fields::new(&["", awkward, "1", "/"]),
            method: "PATCH",
            resource: "/x/{y}",
            application_id: "",
            application_name: "",
            consumer: "",
            key_type: "",
            tier: "",
            place: &Fields::new(&["", awkward, ""]),
            status: 502,
            backend_status: None,
            latency_ms: 12.3456,
            backend_latency_ms: Some(0.0004),
            request_bytes: u64::MAX,
            response_bytes: 0,
            user_agent: awkward,
            error: Some(ErrorType::BackendUnreachable),
        };
        let mut json = Vec::new();
        event.write_json(&mut json);
        let read: GatewayEvent =
            serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)));
        assert_eq!(
            (read.correlation_id.as_str(), read.api_name.as_str(), read.instance.as_str(), read.user_agent.as_str()),
            (awkward, awkward, awkward, awkward)
        );
        assert_eq!(
            (read.timestamp, read.status, read.backend_status, read.request_bytes, read.error),
            (-1, 502, None, u64::MAX, Some(ErrorType::BackendUnreachable))
        );
        assert_eq!((read.latency_ms, read.backend_latency_ms), (12.346, Some(0.0)), "milliseconds to the microsecond");
        assert_eq!(
            serde_json::from_slice::<Vec<serde_json::Value>>(&json).map(|fields| fields.len()).ok(),
            Some(25),
            "every field of the contract's event, once"
        );
    }
}
