//! Test support: each test gets its own fresh, migrated database — a SQLite file in a temporary
//! directory, or a PostgreSQL database created for it and dropped afterwards.

use crate::Db;
use std::path::PathBuf;

/// Where the PostgreSQL suite connects to create its databases.
pub fn postgres_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A fresh SQLite database file in its own temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("gatehouse-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("create temp dir for test database");
    let url = Db::sqlite_url(&dir);
    let db = Db::connect(&url).await.expect("open sqlite test database");
    db.migrate().await.expect("migrate sqlite test database");
    TestDb { db, url, cleanup: Cleanup::Dir(dir) }
}

/// A fresh PostgreSQL database, or `None` when PostgreSQL is unreachable outside CI.
/// Under CI an unreachable PostgreSQL fails the test: a skipped suite must not pass.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = postgres_admin_url();
    let admin = match Db::connect(&admin_url).await {
        Ok(admin) => admin,
        Err(e) if !under_ci() => {
            eprintln!("skipping PostgreSQL test: {e}");
            return None;
        }
        Err(e) => panic!("PostgreSQL is required under CI but unreachable at {admin_url}: {e}"),
    };
    let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .expect("create PostgreSQL test database");
    admin.pool.close().await;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("GATEHOUSE_TEST_POSTGRES must end in /<database>"),
    };
    let db = Db::connect(&url).await.expect("open PostgreSQL test database");
    db.migrate().await.expect("migrate PostgreSQL test database");
    Some(TestDb { db, url, cleanup: Cleanup::Postgres { admin_url, name } })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs outside async; a short-lived runtime on its own thread does the work.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let pool = self.db.pool.clone();
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async move {
                        pool.close().await;
                        if let Ok(admin) = Db::connect(&admin_url).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&admin.pool)
                                .await;
                            admin.pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Declare async test functions taking a `Db`; each runs once on SQLite and once on PostgreSQL,
/// as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::testing::sqlite().await;
                    super::$name(t.db.clone()).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(t) = $crate::testing::postgres().await {
                        super::$name(t.db.clone()).await;
                    }
                }
            }
        )*
    };
}
