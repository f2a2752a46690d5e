//! Events leave the request path through a bounded queue. A sender batches them to the
//! management plane's ingest endpoint; when that is unreachable each batch goes to a bounded
//! on-disk spool and is sent later, oldest first. Every event keeps its id, so a batch sent
//! twice (the answer was lost) is counted once by the idempotent ingest.

use crate::metrics::Metrics;
use gatehouse_contract::GatewayEvent;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// Events waiting in memory; beyond this they are dropped (and counted) rather than slowing requests.
pub const QUEUE: usize = 50_000;
const BATCH: usize = 1_000;
const FLUSH: Duration = Duration::from_millis(500);
/// The spool keeps at most this many batch files; the oldest go first when it is full.
const SPOOL_FILES: usize = 2_000;

pub struct Sink {
    pub ingest_url: Option<String>,
    pub token: Option<String>,
    pub spool: PathBuf,
    pub http: reqwest::Client,
    pub metrics: Arc<Metrics>,
}

impl Sink {
    async fn send(&self, body: &[u8]) -> Result<(), String> {
        let (Some(url), Some(token)) = (&self.ingest_url, &self.token) else {
            return Err("no management plane configured".into());
        };
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_vec())
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
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect())
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
        let name = format!("{:020}-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0), uuid::Uuid::new_v4());
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
            if self.send(&body).await.is_err() {
                return;
            }
            let _ = std::fs::remove_file(&file);
        }
        self.metrics.spooled_batches.store(self.spool_files().len() as u64, Ordering::Relaxed);
    }
}

/// Batch and deliver events until the queue closes.
pub async fn run(sink: Sink, mut queue: mpsc::Receiver<GatewayEvent>) {
    if let Err(e) = std::fs::create_dir_all(&sink.spool) {
        tracing::error!(error = %e, spool = %sink.spool.display(), "cannot create the event spool");
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut retry = tokio::time::interval(Duration::from_secs(2));
    loop {
        let closed = tokio::select! {
            event = queue.recv() => match event {
                Some(e) => { batch.push(e); false }
                None => true,
            },
            _ = tokio::time::sleep(FLUSH), if !batch.is_empty() => false,
            _ = retry.tick() => { sink.drain_spool().await; continue; }
        };
        // Take what else is waiting, up to a batch.
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        if !batch.is_empty() && (batch.len() >= BATCH || closed || queue.is_empty()) {
            let body = serde_json::to_vec(&batch).unwrap_or_default();
            let count = batch.len() as u64;
            batch.clear();
            match sink.send(&body).await {
                Ok(()) => {
                    sink.metrics.events_sent.fetch_add(count, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(error = %e, events = count, "event ingest unreachable; spooled");
                    sink.spool_batch(&body);
                }
            }
        }
        if closed {
            return;
        }
    }
}
