//! Every definition of the shared OpenAPI corpus (read in place, never copied) that imports
//! gets a whole portal page once published, however large or deeply nested its schemas: a
//! page's rendering runs in the server, and DigitalOcean's reference once overflowed its stack,
//! which aborts the process and with it every other request.

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::*;
use gatehouse_contract::{LifecycleRequest, Role};
use gatehouse_domain::apis::{self, ImportRequest, lifecycle};
use gatehouse_domain::{accounts, openapi::files::DirFiles};
use std::path::PathBuf;

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/openapi");
    dir.join("MANIFEST.tsv").exists().then_some(dir)
}

/// Pages are rendered on a runtime worker of tokio's default 2 MiB stack: a quarter of what the
/// server gives its workers (`server/src/main.rs`), so a page that needs more shows here first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_definition_has_a_portal_page() {
    let Some(root) = corpus_dir() else {
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "the shared corpus is missing beside the checkout");
        eprintln!("skipping: ../shared/corpus/openapi not found beside the checkout");
        return;
    };
    let store = gatehouse_domain::testing::sqlite().await;
    let db = store.db.clone();
    let app = app(&db);
    accounts::create_user(&db, "system", "creator@example.com", PASSWORD, Role::Creator).await.expect("creator");
    accounts::create_user(&db, "system", "publisher@example.com", PASSWORD, Role::Publisher).await.expect("publisher");
    let creator = accounts::actor_by_email(&db, "creator@example.com").await.expect("actor");
    let publisher = accounts::actor_by_email(&db, "publisher@example.com").await.expect("actor");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("read manifest");
    let mut pages = 0;
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (dir, file) = (cols[0], cols[1]);
        let files = DirFiles { root: root.join(dir) };
        let request = ImportRequest { files: &files, entry: file, context: Some(format!("/corpus/{dir}")) };
        // Refusals are the importer's business (domain/tests/corpus.rs); this is about pages.
        let Ok(imported) = apis::import(&db, &creator, request).await else { continue };
        // Two petstores share a name and version: the second import updates the first API.
        if !imported.updated {
            let publish = LifecycleRequest { action: "publish".into(), ..Default::default() };
            lifecycle::change(&db, &publisher, &imported.id, &publish).await.expect("publish");
        }
        let started = std::time::Instant::now();
        let request = get(&format!("/portal/apis/{}", imported.id)).body(Body::empty()).expect("request");
        let router = app.clone();
        let page = tokio::spawn(async move { send(&router, request).await }).await.expect("rendered");
        println!("{dir:<36} {:>9} bytes {:>7.0} ms", page.body.len(), started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.status, StatusCode::OK, "{dir}");
        // Kubernetes' reference was 50 MB of HTML when every operation was rendered up front,
        // DigitalOcean's page 3 MB when its hydration data held the whole reference.
        assert!(page.body.len() < 1 << 20, "{dir}: a page of {} bytes", page.body.len());
        assert!(page.body.contains(r#"data-testid="reference""#), "{dir}: the reference renders");
        assert!(page.body.contains("</html>"), "{dir}: the page is whole");
        pages += 1;
    }
    assert!(pages >= 20, "only {pages} corpus definitions imported");
}
