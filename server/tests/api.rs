//! The real router driven with `oneshot` on SQLite and PostgreSQL: health, the REST surface,
//! authentication by token and session, CSRF, and the server refusing pages by role.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use gatehouse_contract::Role;
use gatehouse_domain::{Db, db_tests, tokens};

async fn healthz_is_ok(db: Db) {
    let app = app(&db);
    let reply = send(&app, get("/healthz").body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");
}

async fn me_needs_credentials_and_answers_the_role_for_a_token(db: Db) {
    let app = app(&db);
    let anonymous = send(&app, get("/api/v1/me").body(Body::empty()).expect("request")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["error"]["code"], "unauthorized");
    assert!(anonymous.headers.contains_key(header::WWW_AUTHENTICATE));

    gatehouse_domain::accounts::create_user(&db, "system", "ci@example.com", PASSWORD, Role::Publisher)
        .await
        .expect("user");
    let token = tokens::create_for_email(&db, "ci@example.com", "pipeline").await.expect("token");
    let request = get("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {}", token.token))
        .body(Body::empty())
        .expect("request");
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json(), serde_json::json!({ "email": "ci@example.com", "role": "publisher" }));

    let bad =
        get("/api/v1/me").header(header::AUTHORIZATION, "Bearer gth_forged").body(Body::empty()).expect("request");
    assert_eq!(send(&app, bad).await.status, StatusCode::UNAUTHORIZED);
}

async fn openapi_document_lists_every_route_and_each_is_served(db: Db) {
    let app = app(&db);
    let reply = send(&app, get("/api/v1/openapi.json").body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths: Vec<String> = doc["paths"].as_object().expect("paths").keys().cloned().collect();
    for expected in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}/role",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/audit",
        "/api/v1/openapi.json",
        "/api/v1/apis/import",
        "/api/v1/apis",
        "/api/v1/apis/{id}",
        "/api/v1/apis/{id}/revisions",
        "/api/v1/apis/{id}/lifecycle",
        "/api/v1/apis/{id}/diff",
        "/api/v1/apis/{id}/export",
        "/api/v1/apis/import-project",
    ] {
        assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
    }
    // Every documented path is really routed: none falls through to the JSON 404.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            let uri =
                path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/");
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, "Bearer gth_nobody")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("request");
            let reply = send(&app, request).await;
            assert!(
                !(reply.status == StatusCode::NOT_FOUND && reply.body.contains("no such REST endpoint")),
                "{method} {path} is documented but not routed"
            );
        }
    }
    let unknown = send(&app, get("/api/v1/nothing-here").body(Body::empty()).expect("request")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
}

async fn admin_routes_refuse_other_roles(db: Db) {
    let app = app(&db);
    gatehouse_domain::accounts::create_user(&db, "system", "c@example.com", PASSWORD, Role::Consumer)
        .await
        .expect("user");
    let token = tokens::create_for_email(&db, "c@example.com", "t").await.expect("token");
    for uri in ["/api/v1/users", "/api/v1/audit"] {
        let request = get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", token.token))
            .body(Body::empty())
            .expect("request");
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(reply.json()["error"]["code"], "forbidden");
    }
}

async fn a_disabled_account_is_signed_out_and_refused(db: Db) {
    let app = app(&db);
    gatehouse_domain::accounts::create_user(&db, "system", "root@example.com", PASSWORD, Role::Admin)
        .await
        .expect("admin");
    let admin = tokens::create_for_email(&db, "root@example.com", "t").await.expect("token");
    let cookie = signed_in(&app, &db, "ann@example.com", Role::Creator).await;
    let ann = gatehouse_domain::accounts::actor_by_email(&db, "ann@example.com").await.expect("ann");
    let disable = Request::put(format!("/api/v1/users/{}/disabled", ann.user_id))
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"disabled":true}"#))
        .expect("request");
    let reply = send(&app, disable).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["disabled"], true);
    let me = send(&app, get("/api/v1/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("request")).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "her session ended: {}", me.body);
    let again = sign_in(&app, "ann@example.com", PASSWORD).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
    assert!(again.body.contains("disabled"), "{}", again.body);

    // What she owns is handed to someone still here, not to nobody.
    let hand_over = |owner: &str| {
        Request::post(format!("/api/v1/users/{}/apis/hand-over", ann.user_id))
            .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::json!({ "owner": owner }).to_string()))
            .expect("request")
    };
    let nobody = send(&app, hand_over("nobody@example.com")).await;
    assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nobody.body);
    assert!(nobody.body.contains("no account has the email nobody@example.com"), "{}", nobody.body);
    let moved = send(&app, hand_over("root@example.com")).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.json()["moved"], 0, "she owned nothing");
}

/// A password changed over REST with the session cookie: that session goes on, the person's
/// other session ends, and the new password signs in.
async fn a_password_change_signs_out_the_other_sessions(db: Db) {
    let app = app(&db);
    let this_one = signed_in(&app, &db, "ann@example.com", Role::Consumer).await;
    let other = sign_in(&app, "ann@example.com", PASSWORD).await.session_cookie().expect("second session");
    let change = |current: &str| {
        Request::put("/api/v1/me/password")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &this_one)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({ "current_password": current, "password": "a new password 42" }).to_string(),
            ))
            .expect("request")
    };
    let wrong = send(&app, change("not my password")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert_eq!(wrong.json()["error"]["details"]["field"], "current_password");
    let changed = send(&app, change(PASSWORD)).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let this_one = changed.session_cookie().unwrap_or(this_one);
    let me = |cookie: &str| get("/api/v1/me").header(header::COOKIE, cookie).body(Body::empty()).expect("request");
    assert_eq!(send(&app, me(&this_one)).await.status, StatusCode::OK, "the session that changed it goes on");
    assert_eq!(send(&app, me(&other)).await.status, StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(sign_in(&app, "ann@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let again = sign_in(&app, "ann@example.com", "a new password 42").await;
    assert!(again.session_cookie().is_some(), "{} {}", again.status, again.body);
}

/// An admin adds an account and resets its password over REST, and closes sign-up; others may
/// do none of it.
async fn admins_add_accounts_and_close_sign_up(db: Db) {
    let app = app(&db);
    gatehouse_domain::accounts::create_user(&db, "system", "root@example.com", PASSWORD, Role::Admin)
        .await
        .expect("admin");
    let root = tokens::create_for_email(&db, "root@example.com", "t").await.expect("token").token;
    gatehouse_domain::accounts::create_user(&db, "system", "pm@example.com", PASSWORD, Role::Publisher)
        .await
        .expect("publisher");
    let pm = tokens::create_for_email(&db, "pm@example.com", "t").await.expect("token").token;
    let call = |token: &str, method: &str, uri: &str, body: serde_json::Value| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let null = serde_json::Value::Null;

    let added = send(
        &app,
        call(&root, "POST", "/api/v1/users", serde_json::json!({ "email": "Cy@Example.com", "role": "creator" })),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let added = added.json();
    assert_eq!(
        (added["user"]["email"].as_str(), added["user"]["role"].as_str()),
        (Some("cy@example.com"), Some("creator"))
    );
    let first = added["password"].as_str().expect("password").to_string();
    assert!(sign_in(&app, "cy@example.com", &first).await.session_cookie().is_some(), "the first password signs in");
    let id = added["user"]["id"].as_str().expect("id");
    let reset = send(&app, call(&root, "POST", &format!("/api/v1/users/{id}/password-reset"), null.clone())).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let new = reset.json()["password"].as_str().expect("password").to_string();
    assert_eq!(sign_in(&app, "cy@example.com", &first).await.status, StatusCode::UNAUTHORIZED);
    assert!(sign_in(&app, "cy@example.com", &new).await.session_cookie().is_some(), "the reset password signs in");

    let settings = send(&app, call(&root, "GET", "/api/v1/settings", null.clone())).await;
    assert_eq!(settings.json(), serde_json::json!({ "sign_up": { "mode": "open", "domains": [] } }));
    let bad = serde_json::json!({ "sign_up": { "mode": "domains", "domains": ["example.com", "no spaces.example"] } });
    let bad = send(&app, call(&root, "PUT", "/api/v1/settings", bad)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.json()["error"]["details"]["field"], "sign_up.domains");
    let closed = serde_json::json!({ "sign_up": { "mode": "closed" } });
    let saved = send(&app, call(&root, "PUT", "/api/v1/settings", closed.clone())).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["sign_up"]["mode"], "closed");
    let sign_up = Request::post(<app::functions::auth::SignUp as leptos::server_fn::ServerFn>::PATH)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("email=dee%40example.com&password=correct+horse+battery&password_again=correct+horse+battery"))
        .expect("request");
    let refused = send(&app, sign_up).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.session_cookie().is_none());

    for (method, uri, body) in [
        ("POST", "/api/v1/users".to_string(), serde_json::json!({ "email": "eve@example.com", "role": "admin" })),
        ("POST", format!("/api/v1/users/{id}/password-reset"), null.clone()),
        ("GET", "/api/v1/settings".to_string(), null.clone()),
        ("PUT", "/api/v1/settings".to_string(), serde_json::json!({ "sign_up": { "mode": "open" } })),
    ] {
        let reply = send(&app, call(&pm, method, &uri, body)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "a publisher: {method} {uri}");
    }
}

/// A leaked gateway credential is revoked: its pulls are refused from then on. The local
/// gateway's own credential is renewed by the server and not revoked by hand. An instance signs
/// off with its group's credential.
async fn gateway_credentials_are_listed_and_revoked(db: Db) {
    let app = app(&db);
    gatehouse_domain::accounts::create_user(&db, "system", "pm@example.com", PASSWORD, Role::Publisher)
        .await
        .expect("publisher");
    let pm = tokens::create_for_email(&db, "pm@example.com", "t").await.expect("token").token;
    let call = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {pm}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let group = send(
        &app,
        call("POST", "/api/v1/gateway-groups", r#"{"name":"pets","host":"pets.example.com","mode":"shared"}"#),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let created = send(&app, call("POST", "/api/v1/gateway-groups/pets/credentials", "")).await.json();
    let token = created["token"].as_str().expect("token").to_string();
    // What puts it, with the server's address (unknown here: no public URL), where the group's
    // manifests read it.
    assert_eq!(
        created["kubernetes_secret"],
        format!(
            "kubectl create secret generic gw-pets-management --from-literal=server=\"$GATEHOUSE_URL\" \
             --from-literal=token={token}"
        )
    );
    let pull = |token: &str| {
        get("/api/v1/gateway/bundle")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("x-gateway-instance", "pod-1")
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(send(&app, pull(&token)).await.status, StatusCode::OK);
    // A stopping instance signs off with the group's credential, and only with one.
    let instances = || async {
        let listed = send(&app, call("GET", "/api/v1/gateway-groups/pets/instances", "")).await.json();
        listed.as_array().expect("instances").iter().map(|i| i["instance"].to_string()).collect::<Vec<_>>()
    };
    assert_eq!(instances().await, ["\"pod-1\""]);
    let sign_off = |token: &str| {
        Request::builder()
            .method("DELETE")
            .uri("/api/v1/gateway/instances/pod-1")
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(send(&app, sign_off(&pm)).await.status, StatusCode::UNAUTHORIZED, "a person's token is no gateway's");
    assert_eq!(instances().await.len(), 1);
    assert_eq!(send(&app, sign_off(&token)).await.status, StatusCode::NO_CONTENT);
    assert!(instances().await.is_empty(), "signed off");
    assert_eq!(send(&app, pull(&token)).await.status, StatusCode::OK);
    gatehouse_domain::gateways::embedded_credential(&db, "pets").await.expect("embedded");
    // A restart of the server replaces the local gateway's credential; only the current one is listed.
    let embedded = gatehouse_domain::gateways::embedded_credential(&db, "pets").await.expect("embedded again");

    let listed = send(&app, call("GET", "/api/v1/gateway-groups/pets/credentials", "")).await.json();
    let listed = listed.as_array().expect("list").clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|c| c.get("token").is_none()), "never the token: {listed:?}");
    let ours = listed.iter().find(|c| c["id"] == created["id"]).expect("listed");
    assert_eq!(ours["label"], "pm@example.com");
    assert_eq!(ours["prefix"].as_str(), Some(&token[..10]));

    let revoked = send(
        &app,
        call("DELETE", &format!("/api/v1/gateway-groups/pets/credentials/{}", created["id"].as_str().expect("id")), ""),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    assert_eq!(send(&app, pull(&token)).await.status, StatusCode::UNAUTHORIZED, "refused once revoked");
    let local = listed.iter().find(|c| c["label"] == "embedded").expect("embedded listed");
    let kept = send(
        &app,
        call("DELETE", &format!("/api/v1/gateway-groups/pets/credentials/{}", local["id"].as_str().expect("id")), ""),
    )
    .await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.body);
    assert_eq!(send(&app, pull(&embedded)).await.status, StatusCode::OK);
    let missing = send(&app, call("DELETE", "/api/v1/gateway-groups/pets/credentials/nope", "")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn session_sign_in_works_and_survives_a_restart(db: Db) {
    let app = app(&db);
    let cookie = signed_in(&app, &db, "ann@example.com", Role::Creator).await;
    // A new router over the same database stands for a restarted server.
    let restarted = common::app(&db);
    let request = get("/api/v1/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("request");
    let reply = send(&restarted, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["role"], "creator");
    let log = gatehouse_domain::audit::list(&db, &Default::default()).await.expect("audit");
    assert!(log.items.iter().any(|e| e.action == "user.signed_in" && e.target == "ann@example.com"));
}

async fn wrong_password_and_unknown_user_read_the_same(db: Db) {
    let app = app(&db);
    gatehouse_domain::accounts::create_user(&db, "system", "ann@example.com", PASSWORD, Role::Consumer)
        .await
        .expect("user");
    let wrong = sign_in(&app, "ann@example.com", "not the password").await;
    let unknown = sign_in(&app, "who@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert!(wrong.session_cookie().is_none() || !wrong.body.is_empty());
}

async fn cookie_writes_need_a_same_site_origin(db: Db) {
    let app = app(&db);
    let cookie = signed_in(&app, &db, "ann@example.com", Role::Consumer).await;
    let post = |origin: Option<&str>| {
        let mut builder = Request::post("/api/v1/tokens")
            .header(header::HOST, "localhost")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(Body::from(r#"{"name":"laptop"}"#)).expect("request")
    };
    let forged = send(&app, post(Some("https://evil.example"))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.json()["error"]["code"], "csrf");
    let no_origin = send(&app, post(None)).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
    let same_site = send(&app, post(Some(ORIGIN))).await;
    assert_eq!(same_site.status, StatusCode::CREATED, "{}", same_site.body);
    assert!(same_site.json()["token"].as_str().is_some_and(|t| t.starts_with("gth_")));
}

async fn pages_are_refused_by_role_on_the_server(db: Db) {
    let app = app(&db);
    let anonymous = send(&app, get("/admin/users").body(Body::empty()).expect("request")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers[header::LOCATION], "/signin?next=/admin/users");

    let consumer = signed_in(&app, &db, "c@example.com", Role::Consumer).await;
    for page in ["/publisher", "/admin/users", "/admin/audit"] {
        let reply = send(&app, get(page).header(header::COOKIE, &consumer).body(Body::empty()).expect("request")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{page}");
        assert!(!reply.body.contains(">Publisher</a>"), "a consumer's page must not link to Publisher");
    }
    // Pages a consumer may see answer 200, though parts of them are for publishers only.
    for page in ["/portal", "/", "/analytics"] {
        let reply = send(&app, get(page).header(header::COOKIE, &consumer).body(Body::empty()).expect("request")).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
    }
    let home = send(&app, get("/").body(Body::empty()).expect("request")).await;
    assert_eq!(home.status, StatusCode::OK, "the start page, signed out");

    let creator = signed_in(&app, &db, "cr@example.com", Role::Creator).await;
    let reply =
        send(&app, get("/publisher").header(header::COOKIE, &creator).body(Body::empty()).expect("request")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains(">Publisher</a>"), "a creator's nav links to Publisher");
    // A page that does not exist says so under the header of whoever is signed in.
    let missing =
        send(&app, get("/no/such/page").header(header::COOKIE, &creator).body(Body::empty()).expect("request")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page not found"), "{}", missing.body);
    assert!(missing.body.contains("cr@example.com") && missing.body.contains(">Publisher</a>"), "{}", missing.body);
}

/// Pages and JSON go out compressed when the client asks, and as they are when it does not.
async fn responses_are_compressed_when_asked(db: Db) {
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;
    let app = app(&db);
    for path in ["/signin", "/api/v1/openapi.json"] {
        let plain = send(&app, get(path).body(Body::empty()).expect("request")).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert!(!plain.headers.contains_key(header::CONTENT_ENCODING), "{path} compressed unasked");

        let request = get(path).header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).expect("request");
        let response = app.clone().oneshot(request).await.expect("router answers");
        assert_eq!(
            response.headers().get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
            Some(&b"gzip"[..]),
            "{path}"
        );
        let compressed = response.into_body().collect().await.expect("body").to_bytes();
        let mut body = String::new();
        flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut body).expect("gzip");
        assert!(compressed.len() * 2 < body.len(), "{path}: {} bytes for {}", compressed.len(), body.len());
        // Pages differ only in their per-request CSP nonce.
        let without_nonce = |page: &str| match page.split("nonce=\"").nth(1).and_then(|rest| rest.split('"').next()) {
            Some(nonce) => page.replace(nonce, "NONCE"),
            None => page.to_string(),
        };
        assert_eq!(without_nonce(&body), without_nonce(&plain.body), "{path}");
    }
}

/// The analytics page draws each chart once: in its HTML, and not again in the data the
/// browser hydrates from. With no traffic it draws none and says what would fill them.
async fn analytics_charts_are_sent_once(db: Db) {
    let app = app(&db);
    let publisher = signed_in(&app, &db, "p@example.com", Role::Publisher).await;
    let dashboard =
        || get("/analytics?range=24h").header(header::COOKIE, &publisher).body(Body::empty()).expect("request");
    let quiet = send(&app, dashboard()).await;
    assert_eq!(quiet.status, StatusCode::OK);
    assert!(quiet.body.contains("No requests reached the gateways in this range."), "{}", quiet.body);
    assert_eq!(quiet.body.matches("www.w3.org/2000/svg").count(), 0, "nothing drawn");

    let now = gatehouse_domain::store::now_ms();
    // An hour of the demo's traffic, as the gateways of one of its groups send it.
    let traffic: Vec<_> = gatehouse_analytics::demo::events_between(now - 3_600_000, now, 2_000.0, 7)
        .into_iter()
        .filter(|event| event.group == "demo-eu")
        .collect();
    assert!(!traffic.is_empty());
    gatehouse_domain::gateways::ingest(&db, "demo-eu", &traffic).await.expect("ingest");
    let page = send(&app, dashboard()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("No requests reached"), "{}", page.body);
    let charts = page.body.matches("data-testid=\"chart\"").count();
    assert_eq!(charts, gatehouse_contract::Panel::ALL.len(), "every panel is on the page");
    assert_eq!(page.body.matches("www.w3.org/2000/svg").count(), charts, "one drawing per chart");
}

async fn the_audit_log_is_filtered_and_unreadable_requests_answer_json_errors(db: Db) {
    let app = app(&db);
    let admin = token_for(&db, "root@example.com", Role::Admin).await;
    gatehouse_domain::audit::record(&db, "ann@example.com", "api.created", "Pizza Shack 1.0.0", "").await.expect("log");
    let as_admin = |method: &str, uri: &str, content_type: &str, body: &str| {
        call(method, uri, &admin, content_type, body.to_string())
    };
    let json = "application/json";
    let found = send(&app, as_admin("GET", "/api/v1/audit?actor=ANN&action=api.&target=pizza%20shack", json, "")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.json()["total"], 1);
    assert_eq!(found.json()["items"][0]["target"], "Pizza Shack 1.0.0");
    let backwards = send(&app, as_admin("GET", "/api/v1/audit?from=10&to=5", json, "")).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", backwards.body);
    assert_eq!(backwards.json()["error"]["details"]["field"], "from");

    // What axum cannot read answers in the API's error shape, saying what and where.
    let cases = [
        (as_admin("GET", "/api/v1/audit?from=yesterday", json, ""), StatusCode::BAD_REQUEST, "from"),
        (as_admin("POST", "/api/v1/applications", json, r#"{"name": "#), StatusCode::BAD_REQUEST, "line 1 column"),
        (as_admin("POST", "/api/v1/applications", json, r#"{"name": 5}"#), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (
            as_admin("POST", "/api/v1/applications", "text/plain", "x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (as_admin("GET", "/api/v1/apis/x/revisions/one", json, ""), StatusCode::BAD_REQUEST, "one"),
    ];
    for (request, status, mentions) in cases {
        let uri = request.uri().to_string();
        let reply = send(&app, request).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.body);
        let error = &reply.json()["error"];
        assert!(error["code"].is_string(), "{uri}: {}", reply.body);
        assert!(error["message"].as_str().is_some_and(|m| m.contains(mentions)), "{uri}: {}", reply.body);
    }
}

/// A consumer's start page names the subscription whose API was deprecated and the version to
/// move to; a visitor who is not signed in gets the page without it.
async fn the_start_page_names_subscriptions_to_act_on(db: Db) {
    use gatehouse_contract::{LifecycleState, NewSubscription};
    use gatehouse_domain::apis::lifecycle::{self, LifecycleRequest};
    use gatehouse_domain::apis::{self, ImportRequest};
    use gatehouse_domain::openapi::files::MemoryFiles;
    use gatehouse_domain::{accounts, applications, subscriptions};
    let app = app(&db);
    for (email, role) in [("cr@example.com", Role::Creator), ("pub@example.com", Role::Publisher)] {
        accounts::create_user(&db, "system", email, PASSWORD, role).await.expect("user");
    }
    let creator = accounts::actor_by_email(&db, "cr@example.com").await.expect("creator");
    let publisher = accounts::actor_by_email(&db, "pub@example.com").await.expect("publisher");
    let cookie = signed_in(&app, &db, "c@example.com", Role::Consumer).await;
    let consumer = accounts::actor_by_email(&db, "c@example.com").await.expect("consumer");

    let definition = "openapi: 3.0.3\ninfo: {title: Pets, version: 1.0.0}\npaths:\n  /pets:\n    get:\n      responses: {'200': {description: ok}}\n";
    let files = MemoryFiles::single("p.yaml", definition.as_bytes().to_vec());
    let v1 =
        apis::import(&db, &creator, ImportRequest { files: &files, entry: "p.yaml", context: Some("/pets/v1".into()) })
            .await
            .expect("import");
    let publish = LifecycleRequest { action: "publish".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &v1.id, &publish).await.expect("publish");
    let shop = applications::create(&db, &consumer, "Shop", "").await.expect("application");
    let request = NewSubscription { application_id: shop.id, api_id: v1.id.clone(), tier: "Gold".into() };
    subscriptions::subscribe(&db, &consumer, &request).await.expect("subscribe");
    let start = |cookie: Option<String>| {
        let request = match cookie {
            Some(cookie) => get("/").header(header::COOKIE, cookie),
            None => get("/"),
        };
        send(&app, request.body(Body::empty()).expect("request"))
    };
    let page = start(Some(cookie.clone())).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("subscriptions-to-act-on"), "nothing to act on yet");

    let v2 = apis::new_version(&db, &creator, &v1.id, "2.0.0", None).await.expect("v2");
    assert_eq!(v2.context, "/pets/v2", "the context keeps its shape");
    let deprecate = LifecycleRequest { deprecate_older_versions: true, ..publish };
    assert_eq!(
        lifecycle::change(&db, &publisher, &v2.id, &deprecate).await.expect("publish v2"),
        LifecycleState::Published
    );
    let page = start(Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Pets 1.0.0 is deprecated: move before it is retired; version 2.0.0 is out"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("href=\"/portal/apis/{}\"", v2.id)), "links to the newer version");
    let anonymous = start(None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains("subscriptions-to-act-on"));
}

db_tests!(
    the_audit_log_is_filtered_and_unreadable_requests_answer_json_errors,
    analytics_charts_are_sent_once,
    responses_are_compressed_when_asked,
    healthz_is_ok,
    me_needs_credentials_and_answers_the_role_for_a_token,
    openapi_document_lists_every_route_and_each_is_served,
    admin_routes_refuse_other_roles,
    a_disabled_account_is_signed_out_and_refused,
    a_password_change_signs_out_the_other_sessions,
    admins_add_accounts_and_close_sign_up,
    gateway_credentials_are_listed_and_revoked,
    session_sign_in_works_and_survives_a_restart,
    wrong_password_and_unknown_user_read_the_same,
    cookie_writes_need_a_same_site_origin,
    pages_are_refused_by_role_on_the_server,
    the_start_page_names_subscriptions_to_act_on,
);
