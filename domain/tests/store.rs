//! The database layer every domain function relies on, run on SQLite and PostgreSQL.

use gatehouse_domain::{Db, db_tests};
use std::time::Duration;

db_tests!(a_transaction_that_reads_first_still_writes_when_another_connection_writes_meanwhile);

/// What SQLite's deferred transaction gets wrong: it reads, another connection writes, and
/// its own write is then refused at once. `Db::begin` makes the other writer wait its turn.
async fn a_transaction_that_reads_first_still_writes_when_another_connection_writes_meanwhile(db: Db) {
    let mut tx = db.begin().await.expect("begin");
    let before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&mut *tx).await.expect("the transaction reads");
    let other = tokio::spawn({
        let db = db.clone();
        async move {
            sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ('other', '{}', 0)").execute(&db.pool).await
        }
    });
    // Time for the other connection to write first, if the transaction let it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ('mine', '{}', 0)")
        .execute(&mut *tx)
        .await
        .expect("the transaction writes after it read");
    tx.commit().await.expect("commit");
    other.await.expect("join").expect("the other connection writes once the transaction is done");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&db.pool).await.expect("count");
    assert_eq!(after, before + 2);
}
