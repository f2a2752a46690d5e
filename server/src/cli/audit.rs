//! `gatehouse audit`: the audit log of a running server (admins), for an investigation or a
//! compliance export.

use crate::remote::{Remote, RemoteError};
use gatehouse_contract::{AuditEntry, Page};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most entries the server answers at once.
const PAGE: i64 = 500;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Only entries by this actor (part of an email, or `system`).
    #[arg(long)]
    actor: Option<String>,
    /// Only this action, or actions starting so: `api.` for everything done to APIs.
    #[arg(long)]
    action: Option<String>,
    /// Only entries whose target contains this (an email, "Name version", a group).
    #[arg(long)]
    target: Option<String>,
    /// Only the last so long: a number with m, h or d (`90m`, `24h`, `7d`).
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// At most this many entries, newest first.
    #[arg(long, default_value_t = 50, conflicts_with = "all")]
    limit: i64,
    /// Every matching entry, read a page at a time.
    #[arg(long)]
    all: bool,
    /// One JSON object per line (as `GET /api/v1/audit` answers them), for jq or an archive.
    #[arg(long)]
    json: bool,
}

pub async fn run(remote: &Remote, args: AuditArgs) -> Result<(), RemoteError> {
    let from = args.since.as_deref().map(since).transpose()?.map(|ms| ms.to_string());
    let mut query: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [("actor", &args.actor), ("action", &args.action), ("target", &args.target), ("from", &from)] {
        query.extend(value.as_deref().map(|v| (name, v)));
    }
    let wanted = if args.all { i64::MAX } else { args.limit.max(1) };
    let mut printed = 0;
    // Pages are read newest first; an entry written meanwhile shifts later pages by one, which
    // an export tolerates (it may repeat an entry, never skip one: ids tell repeats apart).
    loop {
        let limit = (wanted - printed).min(PAGE).to_string();
        let offset = printed.to_string();
        let mut page_query = query.clone();
        page_query.extend([("limit", limit.as_str()), ("offset", offset.as_str())]);
        let page: Page<AuditEntry> = remote.get_with("/audit", &page_query).await?;
        for entry in &page.items {
            print_entry(entry, args.json)?;
        }
        printed += page.items.len() as i64;
        if page.items.is_empty() || printed >= wanted || printed >= page.total {
            if !args.json {
                eprintln!("{printed} of {} matching entries", page.total);
            }
            return Ok(());
        }
    }
}

fn print_entry(entry: &AuditEntry, json: bool) -> Result<(), RemoteError> {
    if json {
        let line = serde_json::to_string(entry).map_err(|e| RemoteError::Usage(e.to_string()))?;
        println!("{line}");
        return Ok(());
    }
    let at = rfc3339(entry.at);
    println!("{at:<29} {:<32} {:<26} {:<30} {}", entry.actor, entry.action, entry.target, entry.detail);
    Ok(())
}

/// A Unix ms time as RFC 3339 (UTC), or the number itself if out of range.
pub(super) fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// Unix ms of `duration` ago: `90m`, `24h` or `7d`.
fn since(duration: &str) -> Result<i64, RemoteError> {
    let wrong = || RemoteError::Usage(format!("--since {duration}: expected a number with m, h or d, such as 24h"));
    let (number, unit) = duration.trim().split_at_checked(duration.trim().len().saturating_sub(1)).ok_or_else(wrong)?;
    let minutes_per: i64 = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 1440,
        _ => return Err(wrong()),
    };
    let amount: i64 = number.parse().map_err(|_| wrong())?;
    let ms = amount.checked_mul(minutes_per * 60_000).filter(|ms| *ms >= 0).ok_or_else(wrong)?;
    Ok(gatehouse_domain::store::now_ms() - ms)
}

#[cfg(test)]
mod tests {
    use super::since;

    #[test]
    fn durations_read_back_to_instants() {
        let now = gatehouse_domain::store::now_ms();
        let day_ago = since("1d").expect("a day");
        assert!((now - 86_400_000 - day_ago).abs() < 5_000, "{day_ago} vs {now}");
        assert!(since("90m").expect("minutes") > day_ago);
        for wrong in ["", "h", "24", "24w", "-1h", "1.5h", "99999999999999999d"] {
            assert!(since(wrong).is_err(), "{wrong:?}");
        }
    }
}
