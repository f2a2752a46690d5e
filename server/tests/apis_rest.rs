//! The publisher's REST surface on both databases: import (text and zip), located 422s,
//! rights, the lifecycle's confirmation, revisions and diff, export/import of projects.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use gatehouse_contract::Role;
use gatehouse_domain::{Db, db_tests, tokens};
use std::io::Write;

const PETS: &str = "openapi: 3.1.0\ninfo:\n  title: Review API\n  version: '1.0'\npaths:\n  /reviews:\n    get:\n      responses:\n        '200':\n          description: ok\n";

async fn import_list_and_lifecycle_over_rest(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let publisher = token_for(&db, "publisher@example.com", Role::Publisher).await;
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;

    let created =
        send(&app, call("POST", "/api/v1/apis/import?context=/review/v1.0", &creator, "application/yaml", PETS)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = created.json();
    assert_eq!(body["name"], "Review API");
    assert_eq!(body["context"], "/review/v1.0");
    let id = body["id"].as_str().expect("id").to_string();

    let again =
        send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", PETS.replace("ok", "fine"))).await;
    assert_eq!(again.status, StatusCode::OK, "re-import updates: {}", again.body);
    assert_eq!(again.json()["id"], id.as_str());

    let listed =
        send(&app, call("GET", "/api/v1/apis?q=reviews&state=CREATED", &creator, "application/json", Body::empty()))
            .await;
    assert_eq!(listed.json()["total"], 1);
    let refused = send(&app, call("GET", "/api/v1/apis", &consumer, "application/json", Body::empty())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Ownership moves to someone who can design APIs; consumers neither move nor receive it.
    let owner = format!("/api/v1/apis/{id}/owner");
    let by_consumer =
        send(&app, call("PUT", &owner, &consumer, "application/json", r#"{"owner":"publisher@example.com"}"#)).await;
    assert_eq!(by_consumer.status, StatusCode::FORBIDDEN, "{}", by_consumer.body);
    let to_consumer =
        send(&app, call("PUT", &owner, &creator, "application/json", r#"{"owner":"consumer@example.com"}"#)).await;
    assert_eq!(to_consumer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", to_consumer.body);
    assert_eq!(to_consumer.json()["error"]["details"]["field"], "owner");
    let moved =
        send(&app, call("PUT", &owner, &publisher, "application/json", r#"{"owner":"publisher@example.com"}"#)).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.json()["owner"], "publisher@example.com");
    send(&app, call("PUT", &owner, &publisher, "application/json", r#"{"owner":"creator@example.com"}"#)).await;
    // With `all_versions`, the versions its owner holds move together.
    let v2 = send(
        &app,
        call(
            "POST",
            &format!("/api/v1/apis/{id}/versions"),
            &creator,
            "application/json",
            r#"{"version":"2.0","context":"/review/v2"}"#,
        ),
    )
    .await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    let v2_id = v2.json()["id"].as_str().expect("id").to_string();
    let both = send(
        &app,
        call("PUT", &owner, &creator, "application/json", r#"{"owner":"publisher@example.com","all_versions":true}"#),
    )
    .await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.body);
    let v2_now =
        send(&app, call("GET", &format!("/api/v1/apis/{v2_id}"), &publisher, "application/json", Body::empty())).await;
    assert_eq!(v2_now.json()["owner"], "publisher@example.com");
    send(
        &app,
        call("PUT", &owner, &publisher, "application/json", r#"{"owner":"creator@example.com","all_versions":true}"#),
    )
    .await;

    let rev =
        send(&app, call("POST", &format!("/api/v1/apis/{id}/revisions"), &creator, "application/json", "{}")).await;
    assert_eq!(rev.status, StatusCode::CREATED);
    assert_eq!(rev.json()["number"], 1);
    // What a reviewer reads: the revision's definition as text, YAML by default.
    let definition =
        |query: &str| call("GET", &format!("/api/v1/apis/{id}/revisions/1/definition{query}"), &publisher, "", "");
    let yaml = send(&app, definition("")).await;
    assert_eq!(yaml.status, StatusCode::OK, "{}", yaml.body);
    assert_eq!(yaml.headers[header::CONTENT_TYPE], "application/yaml");
    assert!(yaml.body.starts_with("openapi: 3.1") && yaml.body.contains("/reviews:"), "{}", yaml.body);
    let json = send(&app, definition("?format=json")).await;
    let document: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert!(document["paths"]["/reviews"].is_object(), "{document}");
    let unknown = send(&app, definition("?format=xml")).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["error"]["details"]["field"], "format");
    let missing =
        send(&app, call("GET", &format!("/api/v1/apis/{id}/revisions/9/definition"), &publisher, "", "")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let by_consumer =
        send(&app, call("GET", &format!("/api/v1/apis/{id}/revisions/1/definition"), &consumer, "", "")).await;
    assert_eq!(by_consumer.status, StatusCode::FORBIDDEN);

    let publish = send(
        &app,
        call(
            "POST",
            &format!("/api/v1/apis/{id}/lifecycle"),
            &publisher,
            "application/json",
            r#"{"action":"publish"}"#,
        ),
    )
    .await;
    assert_eq!(publish.status, StatusCode::OK, "{}", publish.body);
    assert_eq!(publish.json()["state"], "PUBLISHED");
    let unconfirmed = send(
        &app,
        call("POST", &format!("/api/v1/apis/{id}/lifecycle"), &publisher, "application/json", r#"{"action":"retire"}"#),
    )
    .await;
    assert_eq!(unconfirmed.status, StatusCode::CONFLICT, "retire is not possible from PUBLISHED: {}", unconfirmed.body);
    let deprecate = send(
        &app,
        call(
            "POST",
            &format!("/api/v1/apis/{id}/lifecycle"),
            &publisher,
            "application/json",
            r#"{"action":"deprecate"}"#,
        ),
    )
    .await;
    assert_eq!(deprecate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(deprecate.json()["error"]["details"]["field"], "confirm");

    // Published, it cannot be deleted; a consumer cannot even ask. A draft can, by its owner.
    let delete = |id: &str, token: &str| call("DELETE", &format!("/api/v1/apis/{id}"), token, "", "");
    let published = send(&app, delete(&id, &creator)).await;
    assert_eq!(published.status, StatusCode::CONFLICT, "{}", published.body);
    assert!(published.json()["error"]["message"].as_str().expect("message").contains("deprecation and retirement"));
    assert_eq!(send(&app, delete(&id, &consumer)).await.status, StatusCode::FORBIDDEN);
    let draft = send(
        &app,
        call("POST", "/api/v1/apis/import", &creator, "application/yaml", PETS.replace("Review API", "Draft")),
    )
    .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let draft = draft.json()["id"].as_str().expect("id").to_string();
    assert_eq!(send(&app, delete(&draft, &creator)).await.status, StatusCode::NO_CONTENT);
    let gone = send(&app, call("GET", &format!("/api/v1/apis/{draft}"), &creator, "", "")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

async fn broken_definitions_are_refused_with_located_details(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let broken = "openapi: 3.0.0\ninfo: {title: X, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      responses:\n        '200':\n          $ref: '#/components/responses/Nope'\n";
    let reply = send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", broken)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let details = reply.json()["error"]["details"].as_array().expect("details").clone();
    assert!(
        details.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("Nope")) && d["line"] == 8),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("{id}"))), "{details:?}");
    let listed = send(&app, call("GET", "/api/v1/apis", &creator, "application/json", Body::empty())).await;
    assert_eq!(listed.json()["total"], 0, "nothing stored");
}

async fn zip_definitions_import_with_entry(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("spec/openapi.yaml", options).expect("file");
    zip.write_all(b"openapi: 3.0.0\ninfo: {title: Split, version: '1'}\npaths:\n  /things:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '../models/thing.yaml'\n").expect("write");
    zip.start_file("models/thing.yaml", options).expect("file");
    zip.write_all(b"type: object\nproperties:\n  name: {type: string}\n").expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    let reply =
        send(&app, call("POST", "/api/v1/apis/import?entry=spec/openapi.yaml", &creator, "application/zip", bytes))
            .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.json()["id"].as_str().expect("id").to_string();
    let definition =
        send(&app, call("GET", &format!("/api/v1/apis/{id}/definition"), &creator, "application/json", Body::empty()))
            .await
            .json();
    assert!(
        definition["source"].as_str().expect("source").contains("#/components/schemas/thing"),
        "bundled into one document"
    );
}

/// A pipeline edits the definition as text: read it with its edit, send it back changed; a
/// change made on an older edit is refused and the newer one kept.
async fn the_definition_is_edited_over_rest(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;
    let created = send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", PETS)).await.json();
    let path = format!("/api/v1/apis/{}/definition", created["id"].as_str().expect("id"));

    let read = send(&app, call("GET", &path, &creator, "application/json", Body::empty())).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let (source, format, edit) =
        (read.json()["source"].clone(), read.json()["source_format"].clone(), read.json()["edit_version"].clone());
    assert_eq!(source, PETS);
    assert_eq!(format, "yaml");

    let changed = PETS.replace("/reviews", "/ratings");
    let body = serde_json::json!({ "source": changed, "edit_version": edit }).to_string();
    let saved = send(&app, call("PUT", &path, &creator, "application/json", body.clone())).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["model"]["operations"][0]["path"], "/ratings");
    assert!(saved.json().get("source").is_none(), "the API's detail leaves the text to /definition");
    let stale = send(&app, call("PUT", &path, &creator, "application/json", body)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let now = send(&app, call("GET", &path, &creator, "application/json", Body::empty())).await.json();
    assert_eq!(now["source"], changed.as_str());
    assert!(now["edit_version"].as_i64() > edit.as_i64());

    let refused = send(&app, call("GET", &path, &consumer, "application/json", Body::empty())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn projects_export_and_import(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let created = send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", PETS)).await.json();
    let id = created["id"].as_str().expect("id");
    let export =
        send(&app, call("GET", &format!("/api/v1/apis/{id}/export"), &creator, "application/json", Body::empty()))
            .await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.headers[header::CONTENT_TYPE], "application/zip");
    let bytes: Vec<u8> = {
        let request = call("GET", &format!("/api/v1/apis/{id}/export"), &creator, "application/json", Body::empty());
        let response = tower::ServiceExt::oneshot(app.clone(), request).await.expect("answer");
        http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes().to_vec()
    };
    let reimport =
        send(&app, call("POST", "/api/v1/apis/import-project", &creator, "application/zip", bytes.clone())).await;
    assert_eq!(reimport.status, StatusCode::OK, "same name+version updates: {}", reimport.body);
    assert_eq!(reimport.json()["id"], id);
    // The import the browser and the CLI use knows a project from a split definition.
    let docs = format!("/api/v1/apis/{id}/docs");
    let page = r#"{"title": "Guide", "markdown": "Read me"}"#;
    let saved = send(&app, call("PUT", &format!("{docs}/guide"), &creator, "application/json", page)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let through_import =
        send(&app, call("POST", "/api/v1/apis/import", &creator, "application/zip", bytes.clone())).await;
    assert_eq!(through_import.status, StatusCode::OK, "{}", through_import.body);
    assert_eq!(through_import.json()["id"], id);
    let pages = send(&app, call("GET", &docs, &creator, "application/json", Body::empty())).await.json();
    assert_eq!(pages.as_array().map(Vec::len), Some(0), "the archive had no pages: {pages}");
    let elsewhere =
        send(&app, call("POST", "/api/v1/apis/import?context=/x", &creator, "application/zip", bytes)).await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.json()["error"]["details"]["field"], "context");
}

async fn nobody_approves_their_own_request_over_rest(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let publisher = token_for(&db, "publisher@example.com", Role::Publisher).await;
    let group = send(
        &app,
        call(
            "POST",
            "/api/v1/gateway-groups",
            &publisher,
            "application/json",
            r#"{"name":"food-apis","host":"food.example.com"}"#,
        ),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let denied = send(
        &app,
        call(
            "POST",
            "/api/v1/gateway-groups",
            &creator,
            "application/json",
            r#"{"name":"mine","host":"x.example.com"}"#,
        ),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    for (who, token) in [("creator", &creator), ("publisher", &publisher)] {
        let text = PETS.replace("Review API", &format!("Review API of {who}"));
        let id = send(&app, call("POST", "/api/v1/apis/import", token, "application/yaml", text)).await.json()["id"]
            .as_str()
            .expect("id")
            .to_string();
        send(&app, call("POST", &format!("/api/v1/apis/{id}/revisions"), token, "application/json", "{}")).await;
        let assigned = send(
            &app,
            call("PUT", &format!("/api/v1/apis/{id}/group"), token, "application/json", r#"{"group":"food-apis"}"#),
        )
        .await;
        assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{}", assigned.body);
        let submitted = send(
            &app,
            call(
                "POST",
                "/api/v1/approvals",
                token,
                "application/json",
                format!(r#"{{"api_id":"{id}","revision":1}}"#),
            ),
        )
        .await;
        assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.body);
        let approval = submitted.json()["id"].as_str().expect("id").to_string();
        let own =
            send(&app, call("POST", &format!("/api/v1/approvals/{approval}/approve"), token, "application/json", "{}"))
                .await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{who} approving their own request: {}", own.body);
        assert_eq!(own.json()["error"]["code"], "forbidden");
    }
    let deployments =
        send(&app, call("GET", "/api/v1/deployments", &publisher, "application/json", Body::empty())).await;
    assert_eq!(deployments.json()["items"].as_array().map(Vec::len), Some(0), "nothing was deployed");
}

async fn the_portal_lists_what_each_viewer_may_see(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let publisher = token_for(&db, "publisher@example.com", Role::Publisher).await;
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;
    let mut ids = Vec::new();
    // Descriptions are CommonMark: the portal renders them, raw HTML shown as text.
    let described = PETS
        .replace("version: '1.0'\n", "version: '1.0'\n  description: 'Send `Authorization`. <script>x()</script>'\n")
        .replace("    get:\n", "    get:\n      description: '**All** reviews'\n");
    for name in ["Open API", "Members API", "Draft API"] {
        let id = send(
            &app,
            call("POST", "/api/v1/apis/import", &creator, "application/yaml", described.replace("Review API", name)),
        )
        .await
        .json()["id"]
            .as_str()
            .expect("id")
            .to_string();
        ids.push(id);
    }
    for id in &ids[..2] {
        let published = send(
            &app,
            call(
                "POST",
                &format!("/api/v1/apis/{id}/lifecycle"),
                &publisher,
                "application/json",
                r#"{"action":"publish"}"#,
            ),
        )
        .await;
        assert_eq!(published.status, StatusCode::OK);
    }
    let detail =
        send(&app, call("GET", &format!("/api/v1/apis/{}", ids[1]), &creator, "application/json", Body::empty()))
            .await
            .json();
    let settings = serde_json::json!({
        "context": detail["context"], "description": "for members", "tags": [], "visibility": "signed_in",
        "endpoints": detail["endpoints"], "policies": detail["policies"], "edit_version": detail["edit_version"],
    });
    let saved = send(
        &app,
        call("PUT", &format!("/api/v1/apis/{}/settings", ids[1]), &creator, "application/json", settings.to_string()),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let anonymous = send(&app, get("/api/v1/portal/apis").body(Body::empty()).expect("request")).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    let names: Vec<String> = anonymous.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["Open API".to_string()], "anonymous visitors see public, published APIs only");
    let signed_in =
        send(&app, call("GET", "/api/v1/portal/apis", &consumer, "application/json", Body::empty())).await.json();
    assert_eq!(signed_in["total"], 2, "signed-in users also see signed-in-only APIs; drafts stay hidden");
    let hidden =
        send(&app, get(&format!("/api/v1/portal/apis/{}", ids[1])).body(Body::empty()).expect("request")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let draft = send(
        &app,
        call("GET", &format!("/api/v1/portal/apis/{}", ids[2]), &consumer, "application/json", Body::empty()),
    )
    .await;
    assert_eq!(draft.status, StatusCode::NOT_FOUND);
    let page =
        send(&app, get(&format!("/api/v1/portal/apis/{}", ids[0])).body(Body::empty()).expect("request")).await.json();
    assert_eq!(page["model"]["operations"][0]["path"], "/reviews");
    assert_eq!(
        page["description_html"], "<p>Send <code>Authorization</code>. &lt;script&gt;x()&lt;/script&gt;</p>\n",
        "{page}"
    );
    assert_eq!(page["operation_descriptions_html"]["GET /reviews"], "<p><strong>All</strong> reviews</p>\n");
    let operation = |query: &str| get(&format!("/api/v1/portal/apis/{}/operation?{query}", ids[0]));
    let one = send(&app, operation("method=get&path=/reviews").body(Body::empty()).expect("request")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.json()["description_html"], "<p><strong>All</strong> reviews</p>\n");
    let missing = send(&app, operation("method=PUT&path=/reviews").body(Body::empty()).expect("request")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let hidden = get(&format!("/api/v1/portal/apis/{}/operation?method=GET&path=/reviews", ids[1]));
    assert_eq!(send(&app, hidden.body(Body::empty()).expect("request")).await.status, StatusCode::NOT_FOUND);
    let definition = send(
        &app,
        get(&format!("/api/v1/portal/apis/{}/definition?format=json", ids[0])).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(definition.json()["info"]["title"], "Open API");
    let html = send(&app, get(&format!("/portal/apis/{}", ids[0])).body(Body::empty()).expect("request")).await;
    assert!(html.body.contains("Open API") && html.body.contains("/reviews"), "server-rendered before hydration");
    assert!(html.body.contains("Send <code>Authorization</code>"), "the description rendered");
    assert!(!html.body.contains("<script>x()"), "raw HTML in a description stays text");
}

async fn the_management_api_page_offers_tokens_not_subscriptions(db: Db) {
    let app = app(&db);
    let document = send(&app, get("/api/v1/openapi.json").body(Body::empty()).expect("request")).await.body;
    let id = gatehouse_domain::portal::publish_management_api(&db, &document).await.expect("listed");
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;
    let page = send(&app, get(&format!("/portal/apis/{id}")).body(Body::empty()).expect("request")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"data-testid="access""#) && page.body.contains("/account/tokens"), "{}", page.body);
    assert!(!page.body.contains(r#"data-testid="subscribe""#), "no tiers to subscribe with");
    // Over a hundred operations: the page is an outline, each operation loaded when opened
    // (the browser suite opens one and reads the credential it takes).
    assert!(page.body.contains("/api/v1/me/password"), "the outline lists the operations");
    let opened = get(&format!("/api/v1/portal/apis/{id}/operation?method=GET&path=/api/v1/me"))
        .body(Body::empty())
        .expect("request");
    let opened = send(&app, opened).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(!page.body.contains(r#"data-testid="try-open""#), "no gateway to try it through");

    let created =
        send(&app, call("POST", "/api/v1/applications", &consumer, "application/json", r#"{"name":"Shop"}"#)).await;
    let application = created.json()["id"].as_str().expect("id").to_string();
    let body = serde_json::json!({ "application_id": application, "api_id": id, "tier": "Bronze" }).to_string();
    let refused = send(&app, call("POST", "/api/v1/subscriptions", &consumer, "application/json", body)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.json()["error"]["message"].as_str().is_some_and(|m| m.contains("personal access token")));
}

/// The demo's sample API as a visitor finds it on a fresh `serve --demo`: listed, documented,
/// and honest that a prototype asks for no credential yet.
async fn the_demo_api_page_says_a_prototype_asks_for_no_credential(db: Db) {
    let app = app(&db);
    let repo = std::env::temp_dir().join(format!("gatehouse-gitops-{}", uuid::Uuid::new_v4())).join("gitops.git");
    let deployer = gatehouse_domain::deploy::Deployer::new(db.clone(), repo);
    gatehouse_domain::seed::seed_demo_users(&db).await.expect("users");
    let group = gatehouse_domain::seed::seed_demo_group(&db).await.expect("group").expect("created");
    gatehouse_domain::seed::seed_demo_api(&db, &deployer).await.expect("seeded").expect("deployed");
    let catalog = send(&app, get("/api/v1/portal/apis?q=pizza").body(Body::empty()).expect("request")).await.json();
    let id = catalog["items"][0]["id"].as_str().expect("listed").to_string();
    let page = send(&app, get(&format!("/portal/apis/{id}")).body(Body::empty()).expect("request")).await;
    let endpoint = format!("http://127.0.0.1:{}/pizzashack/v1", group.port.expect("a local port"));
    assert!(page.body.contains("Getting started") && page.body.contains(&endpoint));
    assert!(page.body.contains(r#"data-testid="try-open""#), "a prototype can be tried");
    assert!(
        page.body.contains("none while this API is a prototype; once published, OAuth2 access token"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-testid="prototype-subscription""#), "subscribing says it waits for publishing");
    assert!(
        page.body.contains(&format!(r#"href="/signin?next=/portal/apis/{id}""#)),
        "sign-in comes back to this page"
    );
}

/// A definition with many warnings: the API's page lists the first ten and folds the rest
/// away under a count, so hundreds (DigitalOcean's 201) do not bury the page.
async fn many_warnings_fold_away_on_the_api_page(db: Db) {
    let app = app(&db);
    let cookie = signed_in(&app, &db, "creator@example.com", Role::Creator).await;
    let creator = tokens::create_for_email(&db, "creator@example.com", "ci").await.expect("token").token;
    let schemas: String = (0..13)
        .map(|n| format!("    Count{n:02}:\n      type: integer\n      minimum: 0\n      exclusiveMinimum: true\n"))
        .collect();
    let definition = format!("{PETS}components:\n  schemas:\n{schemas}");
    let created = send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", definition)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.json()["warnings"].as_array().map(Vec::len), Some(13), "{}", created.body);
    let id = created.json()["id"].as_str().expect("id").to_string();

    let page = send(
        &app,
        get(&format!("/publisher/apis/{id}")).header(header::COOKIE, &cookie).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Warnings (13)"), "{}", page.body);
    let (shown, folded) = page.body.split_once("<summary>3 more</summary>").expect("the rest folded under a count");
    assert!(shown.contains("/components/schemas/Count09/exclusiveMinimum"), "the first ten show");
    assert!(!shown.contains("/components/schemas/Count10/"), "the eleventh is folded");
    assert!(folded.contains("/components/schemas/Count12/exclusiveMinimum"), "the rest are in the fold");
}

async fn applications_and_credentials_over_rest(db: Db) {
    let app = app(&db);
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;
    let other = token_for(&db, "other@example.com", Role::Consumer).await;
    let created =
        send(&app, call("POST", "/api/v1/applications", &consumer, "application/json", r#"{"name":"Shop"}"#)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_str().expect("id").to_string();
    let secret = send(
        &app,
        call(
            "POST",
            &format!("/api/v1/applications/{id}/credentials"),
            &consumer,
            "application/json",
            r#"{"key_type":"production"}"#,
        ),
    )
    .await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.body);
    let body = secret.json();
    assert!(body["client_id"].as_str().is_some_and(|c| c.starts_with("ghc_")));
    assert!(body["client_secret"].as_str().is_some_and(|s| s.starts_with("ghs_")));
    let listed =
        send(&app, call("GET", &format!("/api/v1/applications/{id}"), &consumer, "application/json", Body::empty()))
            .await;
    assert!(!listed.body.contains(body["client_secret"].as_str().expect("secret")), "the secret is never shown again");
    let foreign =
        send(&app, call("GET", &format!("/api/v1/applications/{id}"), &other, "application/json", Body::empty())).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let bad = send(
        &app,
        call(
            "POST",
            &format!("/api/v1/applications/{id}/credentials"),
            &consumer,
            "application/json",
            r#"{"key_type":"staging"}"#,
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["details"]["field"], "key_type");
}

async fn subscriptions_and_tiers_over_rest(db: Db) {
    let app = app(&db);
    let creator = token_for(&db, "creator@example.com", Role::Creator).await;
    let publisher = token_for(&db, "publisher@example.com", Role::Publisher).await;
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;

    let tiers = send(&app, get("/api/v1/tiers").body(Body::empty()).expect("request")).await;
    assert_eq!(tiers.status, StatusCode::OK, "tiers are public: {}", tiers.body);
    assert_eq!(tiers.json().as_array().map(Vec::len), Some(4));
    let platinum = r#"{"name":"Platinum","requests_per_minute":20000,"description":"partners","needs_approval":true}"#;
    let refused = send(&app, call("POST", "/api/v1/tiers", &consumer, "application/json", platinum)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = send(&app, call("POST", "/api/v1/tiers", &publisher, "application/json", platinum)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let id = send(&app, call("POST", "/api/v1/apis/import", &creator, "application/yaml", PETS)).await.json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let detail = send(&app, call("GET", &format!("/api/v1/apis/{id}"), &creator, "application/json", Body::empty()))
        .await
        .json();
    let mut policies = detail["policies"].clone();
    policies["tiers"] = serde_json::json!(["Gold", "Platinum"]);
    let settings = serde_json::json!({
        "context": detail["context"], "description": "", "tags": [], "visibility": "public",
        "endpoints": detail["endpoints"], "policies": policies, "edit_version": detail["edit_version"],
    });
    let saved = send(
        &app,
        call("PUT", &format!("/api/v1/apis/{id}/settings"), &creator, "application/json", settings.to_string()),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    send(
        &app,
        call(
            "POST",
            &format!("/api/v1/apis/{id}/lifecycle"),
            &publisher,
            "application/json",
            r#"{"action":"publish"}"#,
        ),
    )
    .await;
    let page = send(&app, get(&format!("/api/v1/portal/apis/{id}")).body(Body::empty()).expect("request")).await.json();
    let offered: Vec<&str> =
        page["tiers"].as_array().expect("tiers").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(offered, vec!["Gold", "Platinum"]);

    let application =
        send(&app, call("POST", "/api/v1/applications", &consumer, "application/json", r#"{"name":"Shop"}"#))
            .await
            .json()["id"]
            .as_str()
            .expect("id")
            .to_string();
    let body = |tier: &str| format!(r#"{{"application_id":"{application}","api_id":"{id}","tier":"{tier}"}}"#);
    let wrong = send(&app, call("POST", "/api/v1/subscriptions", &consumer, "application/json", body("Bronze"))).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "Bronze is not offered: {}", wrong.body);
    assert_eq!(wrong.json()["error"]["details"]["field"], "tier");
    let pending =
        send(&app, call("POST", "/api/v1/subscriptions", &consumer, "application/json", body("Platinum"))).await;
    assert_eq!(pending.status, StatusCode::CREATED, "{}", pending.body);
    assert_eq!(pending.json()["status"], "pending");
    let twice = send(&app, call("POST", "/api/v1/subscriptions", &consumer, "application/json", body("Gold"))).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "one subscription per application and API");

    let queue =
        send(&app, call("GET", "/api/v1/approvals?status=pending", &publisher, "application/json", Body::empty()))
            .await
            .json();
    assert_eq!(queue[0]["kind"], "subscription");
    let approval = queue[0]["id"].as_str().expect("id").to_string();
    let approved = send(
        &app,
        call("POST", &format!("/api/v1/approvals/{approval}/approve"), &publisher, "application/json", "{}"),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.json()["subscription"]["status"], "active");
    let mine = send(
        &app,
        call(
            "GET",
            &format!("/api/v1/subscriptions?application_id={application}"),
            &consumer,
            "application/json",
            Body::empty(),
        ),
    )
    .await
    .json();
    assert_eq!(mine["items"][0]["status"], "active");
    assert_eq!(mine["items"][0]["tier"], "Platinum");
    let subscribers = send(
        &app,
        call("GET", &format!("/api/v1/subscriptions?api_id={id}"), &consumer, "application/json", Body::empty()),
    )
    .await;
    assert_eq!(subscribers.status, StatusCode::FORBIDDEN, "consumers do not list an API's subscribers");
    let subscription = mine["items"][0]["id"].as_str().expect("id").to_string();

    // Moving to another offered tier: PATCH; a publisher cannot, an unoffered tier is a 422.
    let change = |tier: &str| format!(r#"{{"tier":"{tier}"}}"#);
    let path = format!("/api/v1/subscriptions/{subscription}");
    let not_theirs = send(&app, call("PATCH", &path, &publisher, "application/json", change("Gold"))).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND, "{}", not_theirs.body);
    let unoffered = send(&app, call("PATCH", &path, &consumer, "application/json", change("Bronze"))).await;
    assert_eq!(unoffered.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unoffered.body);
    assert_eq!(unoffered.json()["error"]["details"]["field"], "tier");
    let gold = send(&app, call("PATCH", &path, &consumer, "application/json", change("Gold"))).await;
    assert_eq!(gold.status, StatusCode::OK, "{}", gold.body);
    assert_eq!((gold.json()["tier"].as_str(), gold.json()["requested_tier"].as_str()), (Some("Gold"), None));
    let asked = send(&app, call("PATCH", &path, &consumer, "application/json", change("Platinum"))).await.json();
    assert_eq!((asked["tier"].as_str(), asked["requested_tier"].as_str()), (Some("Gold"), Some("Platinum")), "{asked}");
    let again = send(&app, call("PATCH", &path, &consumer, "application/json", change("Gold"))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a request is open: {}", again.body);
    let queue =
        send(&app, call("GET", "/api/v1/approvals?status=pending", &publisher, "application/json", Body::empty()))
            .await
            .json();
    assert_eq!(queue[0]["subscription"]["requested_tier"], "Platinum", "{queue}");

    let gone = send(
        &app,
        call("DELETE", &format!("/api/v1/subscriptions/{subscription}"), &consumer, "application/json", Body::empty()),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let in_use =
        send(&app, call("DELETE", "/api/v1/tiers/Platinum", &publisher, "application/json", Body::empty())).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "the API still offers it: {}", in_use.body);
}

async fn an_applications_webhook_over_rest(db: Db) {
    let app = app(&db);
    let consumer = token_for(&db, "consumer@example.com", Role::Consumer).await;
    let other = token_for(&db, "other@example.com", Role::Consumer).await;
    let created =
        send(&app, call("POST", "/api/v1/applications", &consumer, "application/json", r#"{"name":"Shop"}"#)).await;
    let id = created.json()["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/applications/{id}/webhook");
    let none = send(&app, call("GET", &path, &consumer, "application/json", Body::empty())).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);

    // The server keeps consumers' webhooks to public addresses: its own network is refused.
    let inside =
        send(&app, call("PUT", &path, &consumer, "application/json", r#"{"url":"http://10.0.0.7/hook"}"#)).await;
    assert_eq!(inside.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", inside.body);
    assert_eq!(inside.json()["error"]["details"]["field"], "url");
    assert!(inside.body.contains("public addresses only"), "{}", inside.body);

    let url = r#"{"url":"https://hooks.example.com/shop"}"#;
    let foreign = send(&app, call("PUT", &path, &other, "application/json", url)).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "another consumer's application is not found");
    let set = send(&app, call("PUT", &path, &consumer, "application/json", url)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let secret = set.json()["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));

    let ping = send(&app, call("POST", &format!("{path}/ping"), &consumer, "application/json", Body::empty())).await;
    assert_eq!(ping.status, StatusCode::CREATED, "{}", ping.body);
    assert_eq!(ping.json()["event"], "ping");
    let shown = send(&app, call("GET", &path, &consumer, "application/json", Body::empty())).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.json()["url"], "https://hooks.example.com/shop");
    assert_eq!(shown.json()["deliveries"][0]["event"], "ping");
    let listed =
        send(&app, call("GET", &format!("/api/v1/applications/{id}"), &consumer, "application/json", Body::empty()))
            .await;
    assert_eq!(listed.json()["webhook"]["url"], "https://hooks.example.com/shop");
    assert!(!shown.body.contains(&secret) && !listed.body.contains(&secret), "the secret is never shown again");

    let removed = send(&app, call("DELETE", &path, &consumer, "application/json", Body::empty())).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    let gone = send(&app, call("GET", &path, &consumer, "application/json", Body::empty())).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

db_tests!(
    subscriptions_and_tiers_over_rest,
    the_management_api_page_offers_tokens_not_subscriptions,
    the_demo_api_page_says_a_prototype_asks_for_no_credential,
    many_warnings_fold_away_on_the_api_page,
    applications_and_credentials_over_rest,
    an_applications_webhook_over_rest,
    the_portal_lists_what_each_viewer_may_see,
    nobody_approves_their_own_request_over_rest,
    import_list_and_lifecycle_over_rest,
    broken_definitions_are_refused_with_located_details,
    zip_definitions_import_with_entry,
    the_definition_is_edited_over_rest,
    projects_export_and_import,
);
