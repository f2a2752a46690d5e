//! Where events live for analytics: Parquet segments under `<data dir>/analytics/day=YYYY-MM-DD/`
//! plus the events the database holds that are not compacted yet.
//!
//! A compaction deletes ingested batches, writes their events' segment files beside their final
//! names and records the segments in one transaction, then renames the files into place. A
//! crash before the commit leaves the batches pending (the stray file is removed on start); a
//! crash after it leaves a finished file under its temporary name, which [`Store::recover`]
//! renames. Either way every event is counted exactly once. A segment's rollup
//! (`<id>.rollup.parquet`) is written and recorded with it, under the same protocol.

use crate::{frame, rollup};
use gatehouse_contract::GatewayEvent;
use gatehouse_domain::store::now_ms;
use gatehouse_domain::{Db, DomainError, Result};
use polars::prelude::*;
use sqlx::Row;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many ingested batches (of up to 5,000 events) go into one compaction.
const BATCHES: i64 = 250;
/// The server compacts once this many events are pending (or the oldest has waited 5 minutes).
pub const COMPACT_AT: i64 = 20_000;
const PENDING_SUFFIX: &str = ".parquet.pending";

/// A segment and its rollup, written under pending names and not recorded yet.
struct Segment {
    id: String,
    day: String,
    path: String,
    rollup: String,
    pending: [PathBuf; 2],
    min_ts: i64,
    max_ts: i64,
    events: i64,
}

impl Segment {
    fn discard(&self) {
        for file in &self.pending {
            let _ = std::fs::remove_file(file);
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pub db: Db,
    pub dir: PathBuf,
}

fn internal(what: &str) -> impl Fn(PolarsError) -> DomainError + '_ {
    move |e| DomainError::Internal(format!("{what}: {e}"))
}

fn io(what: String) -> impl Fn(std::io::Error) -> DomainError {
    move |e| DomainError::Internal(format!("{what}: {e}"))
}

/// `YYYY-MM-DD` (UTC) of a Unix ms time.
pub fn day_of(ts: i64) -> String {
    let date =
        time::OffsetDateTime::from_unix_timestamp(ts.div_euclid(1000)).map(|t| t.date()).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

impl Store {
    /// The store under `dir` (created when missing).
    pub async fn open(db: Db, dir: PathBuf) -> Result<Store> {
        tokio::fs::create_dir_all(&dir).await.map_err(io(format!("cannot create {}", dir.display())))?;
        let store = Store { db, dir };
        store.recover().await?;
        Ok(store)
    }

    /// Finish or undo compactions a crash interrupted (see the module comment).
    pub async fn recover(&self) -> Result<()> {
        let rows = sqlx::query("SELECT path, rollup FROM analytics_segments").fetch_all(&self.db.pool).await?;
        let mut recorded = std::collections::HashSet::new();
        for row in &rows {
            recorded.insert(row.try_get::<String, _>(0)?);
            recorded.extend(row.try_get::<Option<String>, _>(1)?);
        }
        for pending in self.files(PENDING_SUFFIX)? {
            let relative = self.relative(&pending).trim_end_matches(PENDING_SUFFIX).to_string() + ".parquet";
            if recorded.contains(&relative) {
                std::fs::rename(&pending, self.dir.join(&relative))
                    .map_err(io(format!("cannot finish {}", pending.display())))?;
                tracing::info!(segment = %relative, "finished a compaction interrupted after its commit");
            } else {
                let _ = std::fs::remove_file(&pending);
            }
        }
        Ok(())
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir).unwrap_or(path).to_string_lossy().replace('\\', "/")
    }

    fn files(&self, suffix: &str) -> Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        let Ok(days) = std::fs::read_dir(&self.dir) else { return Ok(found) };
        for day in days.flatten() {
            if let Ok(files) = std::fs::read_dir(day.path()) {
                found.extend(files.flatten().map(|f| f.path()).filter(|p| p.to_string_lossy().ends_with(suffix)));
            }
        }
        Ok(found)
    }

    /// Events ingested but not compacted yet.
    pub async fn pending(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT) FROM event_batches")
            .fetch_one(&self.db.pool)
            .await?
            .try_get(0)?)
    }

    /// Compact batches received before `received_before` (Unix ms) into segments, one file per
    /// day; returns how many events moved. Repeat until 0 to drain a backlog.
    ///
    /// The files are written before the transaction that claims the batches, so the database
    /// is locked only for the few statements that record them and ingest carries on meanwhile.
    pub async fn compact(&self, received_before: i64) -> Result<u64> {
        let rows =
            sqlx::query("SELECT id, payload FROM event_batches WHERE received_at < $1 ORDER BY received_at LIMIT $2")
                .bind(received_before)
                .bind(BATCHES)
                .fetch_all(&self.db.pool)
                .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut events = Vec::new();
        for row in &rows {
            ids.push(row.try_get::<String, _>(0)?);
            match serde_json::from_str::<Vec<GatewayEvent>>(&row.try_get::<String, _>(1)?) {
                Ok(batch) => events.extend(batch),
                // Stored by ingest from parsed events, so this means the row was altered by hand.
                Err(e) => tracing::error!(error = %e, "an event batch cannot be read; left out of analytics"),
            }
        }
        drop(rows);
        let moved = events.len() as u64;
        let written = self.write_segments(events).await?;
        let mut tx = self.db.begin().await?;
        // Deleting claims the batches. Another compactor (a second server on the same
        // PostgreSQL) that took any of them first leaves fewer to delete: then this one gives
        // its files up, and the batches it still holds wait for the next round.
        let placeholders = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("DELETE FROM event_batches WHERE id IN ({placeholders}) RETURNING id");
        let mut claim = sqlx::query_scalar::<_, String>(&sql);
        for id in &ids {
            claim = claim.bind(id);
        }
        let claimed = claim.fetch_all(&mut *tx).await;
        match claimed {
            Ok(claimed) if claimed.len() == ids.len() => {}
            other => {
                drop(tx);
                for segment in &written {
                    segment.discard();
                }
                return match other {
                    Err(e) => Err(e.into()),
                    Ok(_) => Ok(0),
                };
            }
        }
        Self::record(tx, written).await?;
        Ok(moved)
    }

    /// Write `events` straight into segments, bypassing the database: for bulk loads (the
    /// benchmark's 10 million events). They must not also be ingested, or they count twice.
    pub async fn load(&self, events: Vec<GatewayEvent>) -> Result<()> {
        let written = self.write_segments(events).await?;
        let tx = self.db.begin().await?;
        Self::record(tx, written).await
    }

    /// One segment per day of `events` and its rollup, written under pending names.
    async fn write_segments(&self, events: Vec<GatewayEvent>) -> Result<Vec<Segment>> {
        let id = format!("{:013}-{}", now_ms(), uuid::Uuid::new_v4().simple());
        let mut days: BTreeMap<String, Vec<GatewayEvent>> = BTreeMap::new();
        for event in events {
            days.entry(day_of(event.timestamp)).or_default().push(event);
        }
        let mut written: Vec<Segment> = Vec::new();
        for (day, mut events) in days {
            events.sort_by_key(|e| e.timestamp);
            let segment = Segment {
                id: format!("{id}-{day}"),
                path: format!("day={day}/{id}.parquet"),
                rollup: format!("day={day}/{id}.rollup.parquet"),
                pending: [
                    self.dir.join(format!("day={day}/{id}{PENDING_SUFFIX}")),
                    self.dir.join(format!("day={day}/{id}.rollup{PENDING_SUFFIX}")),
                ],
                day,
                min_ts: events.first().map_or(0, |e| e.timestamp),
                max_ts: events.last().map_or(0, |e| e.timestamp),
                events: events.len() as i64,
            };
            let targets = segment.pending.clone();
            let result = tokio::task::spawn_blocking(move || write_segment(&targets, &events))
                .await
                .map_err(|e| DomainError::Internal(format!("segment writer: {e}")));
            if let Err(e) = result.and_then(|r| r) {
                for segment in written.iter().chain([&segment]) {
                    segment.discard();
                }
                return Err(e);
            }
            written.push(segment);
        }
        Ok(written)
    }

    /// Record `segments` in `tx`, commit, then move their files into place.
    async fn record(mut tx: sqlx::Transaction<'_, sqlx::Any>, segments: Vec<Segment>) -> Result<()> {
        for s in &segments {
            let recorded = sqlx::query("INSERT INTO analytics_segments (id, day, path, rollup, min_ts, max_ts, events, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&s.id)
                .bind(&s.day)
                .bind(&s.path)
                .bind(&s.rollup)
                .bind(s.min_ts)
                .bind(s.max_ts)
                .bind(s.events)
                .bind(now_ms())
                .execute(&mut *tx)
                .await;
            if let Err(e) = recorded {
                segments.iter().for_each(Segment::discard);
                return Err(e.into());
            }
        }
        Self::commit(tx, segments.into_iter().flat_map(|s| s.pending).collect()).await
    }

    /// Commit, then move the files into place; on a failed commit the files go.
    async fn commit(tx: sqlx::Transaction<'_, sqlx::Any>, written: Vec<PathBuf>) -> Result<()> {
        if let Err(e) = tx.commit().await {
            for file in &written {
                let _ = std::fs::remove_file(file);
            }
            return Err(e.into());
        }
        for pending in written {
            let done =
                PathBuf::from(pending.to_string_lossy().trim_end_matches(PENDING_SUFFIX).to_string() + ".parquet");
            std::fs::rename(&pending, &done).map_err(io(format!("cannot finish {}", pending.display())))?;
        }
        Ok(())
    }

    /// Runs for the life of the server: compacts when enough events are pending or the oldest
    /// has waited five minutes (queries read pending events too, so this only bounds how much
    /// JSON a query parses), and drops what is older than `retention_days` once an hour.
    pub async fn maintain(self, retention_days: u32) {
        const OLDEST_MS: i64 = 5 * 60_000;
        match self.backfill_rollups().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(segments = n, "analytics: wrote the rollups of older segments"),
            // Until it succeeds, ranges over those segments read the events: slower, still right.
            Err(e) => tracing::warn!(error = %e, "analytics: cannot backfill rollups"),
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        let mut last_retention = 0;
        loop {
            tick.tick().await;
            let now = now_ms();
            let due = async {
                let row =
                    sqlx::query("SELECT CAST(COALESCE(SUM(events), 0) AS BIGINT), MIN(received_at) FROM event_batches")
                        .fetch_one(&self.db.pool)
                        .await?;
                let (count, oldest): (i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
                Ok::<bool, DomainError>(count >= COMPACT_AT || oldest.is_some_and(|t| now - t >= OLDEST_MS))
            };
            match due.await {
                Ok(true) => loop {
                    // Events of the last two seconds may still be arriving in a batch; they wait.
                    match self.compact(now - 2_000).await {
                        Ok(0) => break,
                        Ok(n) => tracing::debug!(events = n, "analytics compaction"),
                        Err(e) => {
                            tracing::warn!(error = %e, "analytics compaction failed; retrying later");
                            break;
                        }
                    }
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read pending analytics events"),
            }
            if now - last_retention >= 3_600_000 {
                last_retention = now;
                match self.retain(retention_days).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(segments = n, days = retention_days, "analytics retention removed old segments")
                    }
                    Err(e) => tracing::warn!(error = %e, "analytics retention failed"),
                }
            }
        }
    }

    /// Drop segments and the ids of events older than `days` days; returns the segments removed.
    pub async fn retain(&self, days: u32) -> Result<u64> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        let old = sqlx::query("SELECT id, path, rollup FROM analytics_segments WHERE max_ts < $1")
            .bind(cutoff)
            .fetch_all(&self.db.pool)
            .await?;
        for row in &old {
            // The record goes first: a crash between leaves a stray file, never a missing one.
            sqlx::query("DELETE FROM analytics_segments WHERE id = $1")
                .bind(row.try_get::<String, _>(0)?)
                .execute(&self.db.pool)
                .await?;
            for path in [Some(row.try_get::<String, _>(1)?), row.try_get::<Option<String>, _>(2)?].into_iter().flatten()
            {
                let _ = std::fs::remove_file(self.dir.join(&path));
            }
        }
        // An id forgotten here could be ingested again, but a gateway does not resend events
        // that old (its spool keeps days, not months), and one that did would fall outside retention.
        sqlx::query("DELETE FROM event_ids WHERE ts < $1").bind(cutoff).execute(&self.db.pool).await?;
        Ok(old.len() as u64)
    }

    /// The segment files that may hold events in [from, to).
    pub async fn segments(&self, from: i64, to: i64) -> Result<Vec<PathBuf>> {
        let rows =
            sqlx::query("SELECT path FROM analytics_segments WHERE max_ts >= $1 AND min_ts < $2 ORDER BY min_ts")
                .bind(from)
                .bind(to)
                .fetch_all(&self.db.pool)
                .await?;
        Ok(rows.iter().map(|r| self.dir.join(r.get::<String, _>(0))).collect())
    }

    /// The rollup files of the segments that may hold events in [from, to); `None` when one of
    /// them has none yet (written before rollups, not backfilled yet).
    pub async fn rollup_files(&self, from: i64, to: i64) -> Result<Option<Vec<PathBuf>>> {
        let rows =
            sqlx::query("SELECT rollup FROM analytics_segments WHERE max_ts >= $1 AND min_ts < $2 ORDER BY min_ts")
                .bind(from)
                .bind(to)
                .fetch_all(&self.db.pool)
                .await?;
        let mut files = Vec::with_capacity(rows.len());
        for row in &rows {
            match row.try_get::<Option<String>, _>(0)? {
                Some(path) => files.push(self.dir.join(path)),
                None => return Ok(None),
            }
        }
        Ok(Some(files))
    }

    /// The rollup rows of every hour (and minute) in [from, to) as one lazy frame: the
    /// segments' rollups plus the rollup of the events not compacted yet. A segment's rollup
    /// counts whole hours, so when `to` falls inside an hour (a past window that ends where
    /// the dashboard was drawn), that hour's segment events are rolled up here instead, up to
    /// `to`. `from` is on an hour. `None` when a segment in the range has no rollup yet; the
    /// caller reads the events instead.
    pub async fn rollups(&self, from: i64, to: i64) -> Result<Option<LazyFrame>> {
        let Some(files) = self.rollup_files(from, to).await? else { return Ok(None) };
        let cut = to - to.rem_euclid(rollup::HOUR);
        let recent = frame::of_events(&self.recent(from, to).await?).map_err(internal("recent events"))?;
        let cut_hour = if cut < to { self.segments(cut, to).await? } else { Vec::new() };
        let events = if cut_hour.is_empty() {
            recent
        } else {
            let in_cut_hour = scan(cut_hour)?.filter(col(frame::TS).gt_eq(lit(cut)).and(col(frame::TS).lt(lit(to))));
            concat([recent.lazy(), in_cut_hour], UnionArgs::default())
                .and_then(LazyFrame::collect)
                .map_err(internal("events of the last hour"))?
        };
        let mut parts = vec![rollup::build(&events).map_err(internal("rollup of recent events"))?.lazy()];
        if !files.is_empty() {
            parts.push(scan(files)?.filter(col(frame::TS).gt_eq(lit(from)).and(col(frame::TS).lt(lit(cut)))));
        }
        Ok(Some(concat(parts, UnionArgs::default()).map_err(internal("rollups"))?))
    }

    /// Write the rollups of segments compacted before rollups existed; returns how many.
    pub async fn backfill_rollups(&self) -> Result<u64> {
        let rows = sqlx::query("SELECT id, path FROM analytics_segments WHERE rollup IS NULL")
            .fetch_all(&self.db.pool)
            .await?;
        for row in &rows {
            let (id, path): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let relative = path.trim_end_matches(".parquet").to_string() + ".rollup.parquet";
            let pending = self.dir.join(relative.clone() + ".pending");
            let (segment, target) = (self.dir.join(&path), pending.clone());
            let written = tokio::task::spawn_blocking(move || {
                let file = std::fs::File::open(&segment).map_err(io(format!("cannot read {}", segment.display())))?;
                let events = ParquetReader::new(file).finish().map_err(internal("segment"))?;
                write_parquet(&target, &mut rollup::build(&events).map_err(internal("rollup"))?)
            })
            .await
            .map_err(|e| DomainError::Internal(format!("rollup writer: {e}")))?;
            if let Err(e) = written {
                let _ = std::fs::remove_file(&pending);
                return Err(e);
            }
            let mut tx = self.db.begin().await?;
            sqlx::query("UPDATE analytics_segments SET rollup = $1 WHERE id = $2 AND rollup IS NULL")
                .bind(&relative)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            Self::commit(tx, vec![pending]).await?;
        }
        Ok(rows.len() as u64)
    }

    /// Events in [from, to) not compacted yet.
    pub async fn recent(&self, from: i64, to: i64) -> Result<Vec<GatewayEvent>> {
        let rows = sqlx::query("SELECT payload FROM event_batches WHERE max_ts >= $1 AND min_ts < $2")
            .bind(from)
            .bind(to)
            .fetch_all(&self.db.pool)
            .await?;
        let mut events = Vec::new();
        for row in &rows {
            match serde_json::from_str::<Vec<GatewayEvent>>(&row.try_get::<String, _>(0)?) {
                Ok(batch) => events.extend(batch.into_iter().filter(|e| e.timestamp >= from && e.timestamp < to)),
                Err(e) => tracing::error!(error = %e, "an event batch cannot be read; left out of analytics"),
            }
        }
        Ok(events)
    }

    /// Every event of [from, to) as one lazy frame: segments scanned lazily (the time filter is
    /// pushed down to their row groups' statistics) after the recent events.
    pub async fn frame(&self, from: i64, to: i64) -> Result<LazyFrame> {
        let files = self.segments(from, to).await?;
        let recent = self.recent(from, to).await?;
        let mut parts = vec![frame::of_events(&recent).map_err(internal("recent events"))?.lazy()];
        if !files.is_empty() {
            parts.push(scan(files)?);
        }
        let all = concat(parts, UnionArgs::default()).map_err(internal("events"))?;
        Ok(all.filter(col(frame::TS).gt_eq(lit(from)).and(col(frame::TS).lt(lit(to)))))
    }
}

/// How many rows the Parquet `files` hold, from their footers.
pub fn rows(files: &[PathBuf]) -> Result<usize> {
    let mut rows = 0;
    for path in files {
        let file = std::fs::File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
        rows += ParquetReader::new(file).num_rows().map_err(internal("segment"))?;
    }
    Ok(rows)
}

/// `files` scanned lazily as one frame.
fn scan(files: Vec<PathBuf>) -> Result<LazyFrame> {
    let paths = files
        .into_iter()
        .map(PlRefPath::try_from_pathbuf)
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(internal("segment path"))?;
    // The day folders are for people and retention; the segments table already chose the files.
    let hive_options = HiveOptions { enabled: Some(false), ..Default::default() };
    let args = ScanArgsParquet { cache: false, glob: false, hive_options, ..Default::default() };
    LazyFrame::scan_parquet_files(paths.into_iter().collect(), args).map_err(internal("segments"))
}

/// The segment of `events` and its rollup, at `paths`.
fn write_segment(paths: &[PathBuf; 2], events: &[GatewayEvent]) -> Result<()> {
    let mut segment = frame::of_events(events).map_err(internal("segment"))?;
    write_parquet(&paths[1], &mut rollup::build(&segment).map_err(internal("rollup"))?)?;
    write_parquet(&paths[0], &mut segment)
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(format!("cannot create {}", parent.display())))?;
    }
    let file = std::fs::File::create(path).map_err(io(format!("cannot write {}", path.display())))?;
    ParquetWriter::new(&file)
        .with_compression(ParquetCompression::Snappy)
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(128 * 1024))
        .finish(df)
        .map_err(internal("segment"))?;
    // Durable before the commit that makes it count.
    file.sync_all().map_err(io(format!("cannot sync {}", path.display())))?;
    Ok(())
}
