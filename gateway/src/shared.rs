//! The shared store for tier counts: Redis (or anything that speaks its protocol, RESP), named
//! by `--rate-limit-store redis://[[user]:password@]host[:port][/db]`. Every [`SYNC`] the
//! gateway adds what it admitted since the last sync to the count of the minute of each
//! subscription it has served in the minute (`INCRBY`, by 0 when it admitted nothing; the key
//! expires after two minutes) and learns the total, which includes the other instances'
//! requests. One pipelined round trip per sync, none per request.
//!
//! When the store cannot be reached the gateway keeps deciding with what it has — its own
//! counts and the last totals it saw — so a store outage loosens the limit to per instance
//! rather than stopping traffic; the counts not sent are sent once the store is back.

use crate::limiter::{Limiter, Unsent};
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How often counts are added up.
pub const SYNC: Duration = Duration::from_millis(100);
/// A sync that takes longer than this is given up (and the connection with it).
const TIMEOUT: Duration = Duration::from_secs(1);
/// The longest reply line (or skipped string) read from the store: the replies expected are short.
const MAX_LINE: u64 = 4096;
/// Syncs skipped with nothing to add before the store is asked anyway (`PING`).
const QUIET_TICKS: u32 = 10;
/// A minute's key outlives the minute, for instances whose clocks are a little behind.
const KEY_SECONDS: &str = "120";

/// Where the store is, from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub address: String,
    /// An ACL user (Redis 6 and later); without one, the password is the default user's.
    pub user: Option<String>,
    pub password: Option<String>,
    pub db: Option<u32>,
}

impl Store {
    /// `redis://[[user]:password@]host[:port][/db]`; the error says what is wrong with it.
    pub fn parse(url: &str) -> Result<Store, String> {
        // Errors show the URL without its password.
        let url_shown = match url.rsplit_once('@') {
            Some((before, host)) => {
                format!("{}://***@{host}", before.split_once("://").map_or("", |(scheme, _)| scheme))
            }
            None => url.to_string(),
        };
        let url = url.trim();
        let rest = url
            .strip_prefix("redis://")
            .ok_or(format!("--rate-limit-store `{url_shown}`: only redis:// URLs are supported"))?;
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((credentials, rest)) => (Some(credentials), rest),
            None => (None, rest),
        };
        let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or(("", c))) {
            Some((user, password)) => {
                ((!user.is_empty()).then(|| user.to_string()), (!password.is_empty()).then(|| password.to_string()))
            }
            None => (None, None),
        };
        let (host, db) =
            match rest.split_once('/') {
                Some((host, "")) => (host, None),
                Some((host, db)) => (
                    host,
                    Some(db.parse::<u32>().map_err(|_| {
                        format!("--rate-limit-store `{url_shown}`: the database `{db}` is not a number")
                    })?),
                ),
                None => (rest, None),
            };
        if host.is_empty() {
            return Err(format!("--rate-limit-store `{url_shown}`: no host"));
        }
        let address = if host.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) {
            host.to_string()
        } else {
            format!("{host}:6379")
        };
        Ok(Store { address, user, password, db })
    }
}

/// One command in RESP: an array of bulk strings.
fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// A reply the gateway expects: a status, an integer or a bulk string (skipped).
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Status,
    Integer(i64),
}

async fn reply<R: AsyncBufRead + Unpin>(conn: &mut R) -> Result<Reply, String> {
    let mut line = String::new();
    if (&mut *conn).take(MAX_LINE).read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
        return Err("the store closed the connection".into());
    }
    if !line.ends_with('\n') {
        return Err(format!("the store answered a line over {MAX_LINE} bytes"));
    }
    let line = line.trim_end_matches(['\r', '\n']);
    match line.split_at_checked(1) {
        Some(("+", _)) => Ok(Reply::Status),
        Some((":", n)) => {
            n.parse().map(Reply::Integer).map_err(|_| format!("the store answered `{line}` for a number"))
        }
        Some(("-", error)) => Err(format!("the store refused: {error}")),
        Some(("$", n)) => {
            // A bulk string (an older server's answer to SELECT, say): read and skip it.
            match n.parse::<u64>() {
                Ok(n) if n <= MAX_LINE => {
                    let mut skipped = vec![0; n as usize + 2];
                    conn.read_exact(&mut skipped).await.map_err(|e| e.to_string())?;
                    Ok(Reply::Status)
                }
                Ok(_) => Err(format!("the store answered a string over {MAX_LINE} bytes")),
                // `$-1`: no value.
                Err(_) => Ok(Reply::Status),
            }
        }
        _ => Err(format!("the store answered `{line}`, which is not RESP")),
    }
}

async fn connect(store: &Store) -> Result<BufReader<TcpStream>, String> {
    let stream =
        TcpStream::connect(&store.address).await.map_err(|e| format!("cannot reach {}: {e}", store.address))?;
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    let mut hello = Vec::new();
    let db = store.db.map(|db| db.to_string());
    match (&store.user, &store.password) {
        (Some(user), Some(password)) => command(&mut hello, &[b"AUTH", user.as_bytes(), password.as_bytes()]),
        (None, Some(password)) => command(&mut hello, &[b"AUTH", password.as_bytes()]),
        _ => {}
    }
    if let Some(db) = &db {
        command(&mut hello, &[b"SELECT", db.as_bytes()]);
    }
    if !hello.is_empty() {
        conn.get_mut().write_all(&hello).await.map_err(|e| e.to_string())?;
        for _ in 0..usize::from(store.password.is_some()) + usize::from(db.is_some()) {
            reply(&mut conn).await?;
        }
    }
    Ok(conn)
}

fn key(unsent: &Unsent) -> String {
    format!("gatehouse:ratelimit:{}:{}:{}", unsent.application, unsent.api, unsent.minute)
}

/// Add `batch` to the shared counts; the totals, in `batch`'s order. An empty batch asks
/// whether the store is there.
async fn add(conn: &mut BufReader<TcpStream>, batch: &[Unsent]) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    if batch.is_empty() {
        command(&mut out, &[b"PING"]);
        conn.get_mut().write_all(&out).await.map_err(|e| e.to_string())?;
        return reply(conn).await.map(|_| Vec::new());
    }
    for unsent in batch {
        let (key, n) = (key(unsent), unsent.requests.to_string());
        command(&mut out, &[b"INCRBY", key.as_bytes(), n.as_bytes()]);
        command(&mut out, &[b"EXPIRE", key.as_bytes(), KEY_SECONDS.as_bytes()]);
    }
    conn.get_mut().write_all(&out).await.map_err(|e| e.to_string())?;
    let mut totals = Vec::with_capacity(batch.len());
    for _ in batch {
        match (reply(conn).await?, reply(conn).await?) {
            (Reply::Integer(total), _) => totals.push(u32::try_from(total).unwrap_or(u32::MAX)),
            (other, _) => return Err(format!("the store answered {other:?} to INCRBY")),
        }
    }
    Ok(totals)
}

/// Add this instance's counts to the store's every [`SYNC`], for as long as the gateway runs.
pub async fn run(store: Store, limiter: Arc<Limiter>, metrics: Arc<Metrics>) {
    let mut tick = tokio::time::interval(SYNC);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = None;
    let (mut failing, mut quiet) = (false, 0);
    loop {
        tick.tick().await;
        let minute = crate::clock::unix_ms(std::time::Instant::now()).div_euclid(60_000);
        let batch = limiter.unsent(minute);
        // With nothing to add, the store is still asked after a second, and a missing
        // connection made, so the metric tells whether it can be reached before traffic needs
        // it. An unreachable store is tried once a second, not every sync.
        if (failing || batch.is_empty() && conn.is_some()) && quiet < QUIET_TICKS {
            quiet += 1;
            continue;
        }
        quiet = 0;
        let synced = tokio::time::timeout(TIMEOUT, async {
            if conn.is_none() {
                conn = Some(connect(&store).await?);
            }
            match conn.as_mut() {
                Some(c) => add(c, &batch).await,
                None => Err("no connection".to_string()),
            }
        })
        .await
        .unwrap_or_else(|_| Err(format!("{} did not answer within {} s", store.address, TIMEOUT.as_secs())));
        match synced {
            Ok(totals) => {
                limiter.settle(batch.iter().zip(totals));
                if failing {
                    tracing::info!(store = %store.address, "the rate-limit store answers again; tier counts are shared");
                    failing = false;
                }
                metrics.set_rate_limit_store_up(true);
            }
            Err(error) => {
                // Counts the store took before the failure are sent again: the group's total
                // errs on the strict side.
                conn = None;
                if !failing {
                    tracing::warn!(store = %store.address, %error, "the rate-limit store is unreachable; tiers are counted per instance until it answers");
                    failing = true;
                }
                metrics.set_rate_limit_store_up(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!(
            Store::parse("redis://cache").expect("url"),
            Store { address: "cache:6379".into(), user: None, password: None, db: None }
        );
        assert_eq!(
            Store::parse("redis://:s3cret@10.0.0.2:6380/2").expect("url"),
            Store { address: "10.0.0.2:6380".into(), user: None, password: Some("s3cret".into()), db: Some(2) }
        );
        let with_user = Store::parse("redis://gw:pw@cache/").expect("url");
        assert_eq!(
            (with_user.user.as_deref(), with_user.password.as_deref(), with_user.db),
            (Some("gw"), Some("pw"), None)
        );
        assert!(Store::parse("http://cache").is_err_and(|e| e.contains("redis://")));
        assert!(Store::parse("redis:///1").is_err_and(|e| e.contains("no host")));
        assert!(Store::parse("redis://cache/x").is_err_and(|e| e.contains("not a number")));
        for bad in ["rediss://:s3cret@cache", "redis://:s3cret@cache/x"] {
            assert!(
                Store::parse(bad).is_err_and(|e| !e.contains("s3cret") && e.contains("***@cache")),
                "{bad}: the password is not shown"
            );
        }
    }

    #[tokio::test]
    async fn replies_are_read_and_bad_ones_refused() {
        let mut replies: &[u8] = b":42\r\n+OK\r\n$3\r\nabc\r\n$-1\r\n-ERR wrong type\r\n";
        assert_eq!(reply(&mut replies).await, Ok(Reply::Integer(42)));
        assert_eq!(reply(&mut replies).await, Ok(Reply::Status));
        assert_eq!(reply(&mut replies).await, Ok(Reply::Status), "a string, skipped");
        assert_eq!(reply(&mut replies).await, Ok(Reply::Status), "no value");
        assert!(reply(&mut replies).await.is_err_and(|e| e.contains("wrong type")));
        assert!(reply(&mut replies).await.is_err_and(|e| e.contains("closed")));
        let long = [b"+".as_slice(), &[b'a'; 5000], b"\r\n"].concat();
        assert!(reply(&mut long.as_slice()).await.is_err_and(|e| e.contains("over 4096 bytes")));
        assert!(reply(&mut b"$99999999999\r\n".as_slice()).await.is_err_and(|e| e.contains("string over")));
        assert!(reply(&mut b":x\r\n".as_slice()).await.is_err_and(|e| e.contains("for a number")));
        assert!(reply(&mut b"hello\r\n".as_slice()).await.is_err_and(|e| e.contains("not RESP")));
    }

    #[test]
    fn commands_are_resp_arrays() {
        let mut out = Vec::new();
        command(&mut out, &[b"INCRBY", b"k", b"12"]);
        assert_eq!(out, b"*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n12\r\n");
    }
}
