//! `gatehouse-bench`: speed figures for people to compare with the goals. Not tests: each
//! prints numbers, measured side by side with its baseline in one run.
//!
//!   gatehouse-bench publisher [--apis 10000]   publisher list, SQLite and PostgreSQL
//!   gatehouse-bench portal [--apis 10000]      portal catalog, SQLite and PostgreSQL
//!   gatehouse-bench gateway [--seconds 6] [--rounds 5]
//!                                              wrk against the backend, nginx and the gateway
//!   gatehouse-bench analytics [--events 10000000] [--ingest 1000000] [--rounds 3]
//!                                              ingest, polars overview, DuckDB baseline
//!
//! `make bench` builds in release and runs them all.

mod analytics;
mod catalog;
mod gateway;

fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// The middle value; with an even count, the mean of the two middle ones (taking either alone
/// would lean the figure one way). NaN for no values.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 0 => (values[middle - 1] + values[middle]) / 2.0,
        _ => values[middle],
    }
}

// The allocator: see mimalloc in the workspace Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let outcome = match args.get(1).map(String::as_str) {
        Some("publisher") => {
            catalog::run("Publisher list", &catalog::PUBLISHER, flag(&args, "--apis", 10_000), false).await;
            Ok(())
        }
        Some("portal") => {
            catalog::run("Portal catalog", &catalog::PORTAL, flag(&args, "--apis", 10_000), true).await;
            Ok(())
        }
        Some("gateway") => gateway::run(flag(&args, "--seconds", 6), flag(&args, "--rounds", 5)).await,
        Some("analytics") => analytics::run(flag(&args, "--events", 10_000_000), flag(&args, "--ingest", 1_000_000), flag(&args, "--rounds", 3)).await,
        _ => Err("usage: gatehouse-bench publisher|portal [--apis N] | gateway [--seconds S] [--rounds R] | analytics [--events N] [--ingest N] [--rounds R]".to_string()),
    };
    if let Err(e) = outcome {
        eprintln!("gatehouse-bench: {e}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(super::median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(super::median(vec![2.0, 1.0]), 1.5, "the mean of the middle two, not the upper one");
        assert!(super::median(Vec::new()).is_nan());
    }
}
