//! The publisher's domain on SQLite and PostgreSQL: import, list and search, conflicts,
//! revisions and their diff, the lifecycle's rules, docs, versions and project archives.

use gatehouse_contract::{
    ApiSettings, BackendAuth, BackendTls, ClientAuthentication, Cors, Endpoints, HeaderLine, IpFilter, LifecycleState,
    NewSubscription, OperationEdit, Policies, Role, SourceFormat, SpecVersion,
};
use gatehouse_domain::apis::lifecycle::{self, LifecycleRequest};
use gatehouse_domain::apis::revisions::{self, Version};
use gatehouse_domain::apis::{self, ApiQuery, ImportRequest, docs, edit, project};
use gatehouse_domain::openapi::files::MemoryFiles;
use gatehouse_domain::openapi::parse;
use gatehouse_domain::store::Backend;
use gatehouse_domain::{Actor, Db, DomainError, accounts, applications, audit, db_tests, portal, subscriptions, tiers};
use std::collections::BTreeMap;

const PETS: &str = r#"openapi: 3.0.3
info:
  title: Pet Store
  version: 1.0.0
  description: Pets for *everyone*
tags:
  - name: pets
servers:
  - url: https://pets.example.com/v1
paths:
  /pets:
    get:
      summary: List pets
      tags: [pets]
      responses:
        '200':
          description: A list of pets
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Pet'
  /pets/{petId}:
    get:
      summary: Show a pet
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: One pet
components:
  schemas:
    Pet:
      type: object
      properties:
        name:
          type: string
"#;

async fn user(db: &Db, email: &str, role: Role) -> Actor {
    let u = accounts::create_user(db, audit::SYSTEM, email, "correct horse battery", role).await.expect("user");
    accounts::actor_by_id(db, &u.id).await.expect("load").expect("exists")
}

async fn import_text(db: &Db, actor: &Actor, text: &str) -> Result<gatehouse_contract::ImportOutcome, DomainError> {
    let files = MemoryFiles::single("openapi.yaml", text.as_bytes().to_vec());
    apis::import(db, actor, ImportRequest { files: &files, entry: "openapi.yaml", context: None }).await
}

async fn import_twice_updates_and_search_finds(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let first = import_text(&db, &creator, PETS).await.expect("import");
    assert!(!first.updated);
    assert_eq!(first.context, "/pet-store/1.0.0");
    let second = import_text(&db, &creator, &PETS.replace("List pets", "List all pets")).await.expect("re-import");
    assert!(second.updated);
    assert_eq!(second.id, first.id);
    let all = apis::list(&db, &creator, &ApiQuery::default()).await.expect("list");
    assert_eq!(all.total, 1, "re-import must not duplicate");
    let found =
        apis::list(&db, &creator, &ApiQuery { q: "ALL pets".into(), ..Default::default() }).await.expect("search");
    assert_eq!(found.total, 1);
    let by_path =
        apis::list(&db, &creator, &ApiQuery { q: "/pets/{petid}".into(), ..Default::default() }).await.expect("search");
    assert_eq!(by_path.total, 1, "operation paths are searchable");
    let none =
        apis::list(&db, &creator, &ApiQuery { q: "weather".into(), ..Default::default() }).await.expect("search");
    assert_eq!(none.total, 0);
    let tagged =
        apis::list(&db, &creator, &ApiQuery { tag: Some("pets".into()), ..Default::default() }).await.expect("tag");
    assert_eq!(tagged.total, 1);
    let detail = apis::get(&db, &creator, &first.id).await.expect("get");
    assert_eq!(detail.endpoints.production, vec!["https://pets.example.com/v1".to_string()]);
    assert_eq!(detail.model.operations.len(), 2);
    assert_eq!(detail.description_html.trim(), "<p>Pets for <em>everyone</em></p>", "shown as the portal shows it");
    let source = apis::source(&db, &creator, &first.id).await.expect("source");
    assert!(source.source.contains("List all pets"), "the source is kept as written");
    assert_eq!(source.edit_version, detail.edit_version);
}

async fn refused_import_stores_nothing_and_says_where(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let broken = PETS.replace("'#/components/schemas/Pet'", "'#/components/schemas/Cat'");
    let err = import_text(&db, &creator, &broken).await.expect_err("refused");
    match err {
        DomainError::Unprocessable { details, .. } => {
            let d = &details[0];
            assert!(d.message.contains("#/components/schemas/Cat"), "{}", d.message);
            assert_eq!(d.pointer, "/paths/~1pets/get/responses/200/content/application~1json/schema/items/$ref");
            assert_eq!(d.line, 23, "{d:?}");
        }
        other => panic!("expected Unprocessable, got {other:?}"),
    }
    assert_eq!(apis::list(&db, &creator, &ApiQuery::default()).await.expect("list").total, 0);
}

async fn concurrent_saves_conflict_with_what_changed(db: Db) {
    let ann = user(&db, "ann@example.com", Role::Publisher).await;
    let bob = user(&db, "bob@example.com", Role::Publisher).await;
    let api = import_text(&db, &ann, PETS).await.expect("import");
    let loaded = apis::get(&db, &ann, &api.id).await.expect("get").edit_version;
    let add = OperationEdit::Add { method: "post".into(), path: "/pets".into(), summary: "Add a pet".into() };
    edit::edit_operation(&db, &ann, &api.id, &add, loaded).await.expect("ann saves first");
    let bobs = apis::save_source(&db, &bob, &api.id, &PETS.replace("Show a pet", "Show one pet"), loaded).await;
    match bobs {
        Err(DomainError::Conflict(message)) => {
            assert!(message.contains("ann@example.com"), "{message}");
            assert!(message.contains("added POST /pets"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let detail = apis::get(&db, &ann, &api.id).await.expect("get");
    assert!(detail.model.operations.iter().any(|o| o.key() == "POST /pets"), "the first save is kept");
    let source = apis::source(&db, &ann, &api.id).await.expect("source").source;
    assert!(!source.contains("Show one pet"), "the second save did not overwrite");
}

async fn revisions_freeze_and_diff(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    assert_eq!(apis::get(&db, &creator, &api.id).await.expect("get").edited_since(), None, "no revision yet");
    let one = revisions::create(&db, &creator, &api.id, "first").await.expect("revision 1");
    let fresh = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(fresh.edited_since(), None, "revision 1 holds every edit");
    let v = fresh.edit_version;
    let add =
        OperationEdit::Add { method: "delete".into(), path: "/pets/{petId}".into(), summary: "Delete a pet".into() };
    let after = edit::edit_operation(&db, &creator, &api.id, &add, v).await.expect("edit");
    let remove = OperationEdit::Remove { method: "get".into(), path: "/pets".into() };
    assert_eq!(after.edited_since(), Some(1), "an edit after revision 1");
    edit::edit_operation(&db, &creator, &api.id, &remove, after.edit_version).await.expect("edit");
    let two = revisions::create(&db, &creator, &api.id, "second").await.expect("revision 2");
    assert_eq!(apis::get(&db, &creator, &api.id).await.expect("get").edited_since(), None);
    assert_eq!((one, two), (1, 2));
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert_eq!(diff.operations_added, vec!["DELETE /pets/{petId}".to_string()]);
    assert_eq!(diff.operations_removed, vec!["GET /pets".to_string()]);
    assert!(!diff.is_additive());
    // Revision 1 is frozen: editing the working copy did not change it.
    let frozen = revisions::snapshot(&db, &api.id, 1).await.expect("snapshot");
    assert!(frozen.model.operations.iter().any(|o| o.key() == "GET /pets"));
}

/// The settings' description is the definition's `info.description`: the source, the next
/// revision and a later edit of the definition all carry it; a Swagger 2.0 definition too.
async fn the_description_is_the_definitions(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    for text in [PETS, SWAGGER_PETS] {
        let api = import_text(&db, &creator, text).await.expect("import");
        let detail = apis::get(&db, &creator, &api.id).await.expect("get");
        let settings = |description: &str| ApiSettings {
            context: detail.summary.context.clone(),
            description: description.into(),
            tags: detail.summary.tags.clone(),
            visibility: detail.visibility,
            endpoints: detail.endpoints.clone(),
            policies: detail.policies.clone(),
        };
        let saved = apis::save_settings(&db, &creator, &api.id, settings("  Pets, *described*  "), detail.edit_version)
            .await
            .expect("settings");
        assert_eq!(
            (saved.summary.description.as_str(), saved.model.description.as_str()),
            ("Pets, *described*", "Pets, *described*")
        );
        let source = apis::source(&db, &creator, &api.id).await.expect("source").source;
        assert!(source.contains("description: \"Pets, *described*\""), "{source}");

        // A form edit of the definition keeps it, and so does the revision cut after.
        if saved.summary.spec_version != SpecVersion::Swagger2 {
            let add = OperationEdit::Add { method: "delete".into(), path: "/pets".into(), summary: "Drop".into() };
            let edited = edit::edit_operation(&db, &creator, &api.id, &add, saved.edit_version).await.expect("edit");
            assert_eq!(edited.summary.description, "Pets, *described*");
        }
        let number = revisions::create(&db, &creator, &api.id, "described").await.expect("revision");
        let frozen = revisions::snapshot(&db, &api.id, number).await.expect("snapshot");
        assert_eq!(frozen.model.description, "Pets, *described*");

        // Emptied, the definition has no description left.
        let now = apis::get(&db, &creator, &api.id).await.expect("get");
        let cleared = apis::save_settings(&db, &creator, &api.id, settings(""), now.edit_version).await.expect("clear");
        assert_eq!(cleared.model.description, "");
        let source = apis::source(&db, &creator, &api.id).await.expect("source").source;
        assert!(!source.contains("Pets, *described*") && !source.contains("Pets for"), "{source}");
    }
}

const SWAGGER_PETS: &str = r#"swagger: '2.0'
info:
  title: Legacy Pets
  version: 1.0.0
host: pets.example.com
basePath: /v1
schemes: [https]
consumes: [application/json]
produces: [application/json]
paths:
  /pets:
    post:
      summary: Add a pet
      parameters:
        - name: pet
          in: body
          required: true
          schema:
            $ref: '#/definitions/Pet'
      responses:
        '201':
          description: Added
          schema:
            $ref: '#/definitions/Pet'
definitions:
  Pet:
    type: object
    properties:
      name:
        type: string
"#;

/// A Swagger 2.0 working copy, which the form cannot edit, is rewritten as OpenAPI 3.0; the
/// form edits it afterwards, and revisions cut before keep their Swagger 2.0.
async fn a_swagger2_working_copy_converts_to_openapi3(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, SWAGGER_PETS).await.expect("import");
    let add = OperationEdit::Add { method: "get".into(), path: "/pets".into(), summary: "List pets".into() };
    let before = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(before.summary.spec_version, SpecVersion::Swagger2);
    let refused = edit::edit_operation(&db, &creator, &api.id, &add, before.edit_version).await;
    assert!(matches!(refused, Err(DomainError::Invalid { .. })), "the form does not edit 2.0: {refused:?}");
    revisions::create(&db, &creator, &api.id, "as imported").await.expect("revision 1");

    let consumer = user(&db, "u@example.com", Role::Consumer).await;
    let denied = edit::convert_to_openapi3(&db, &consumer, &api.id, before.edit_version).await;
    assert!(matches!(denied, Err(DomainError::Forbidden(_))), "{denied:?}");
    let stale = edit::convert_to_openapi3(&db, &creator, &api.id, before.edit_version - 1).await;
    assert!(matches!(stale, Err(DomainError::Conflict(_))), "{stale:?}");

    let after = edit::convert_to_openapi3(&db, &creator, &api.id, before.edit_version).await.expect("convert");
    assert_eq!(after.summary.spec_version, SpecVersion::OpenApi30);
    assert_eq!(after.edit_version, before.edit_version + 1);
    let keys = |d: &gatehouse_contract::ApiDetail| d.model.operations.iter().map(|o| o.key()).collect::<Vec<_>>();
    assert_eq!(keys(&after), keys(&before));
    assert_eq!(after.model.servers, vec!["https://pets.example.com/v1".to_string()]);
    let body = after.model.operations[0].request_body.as_ref().expect("the body parameter is a request body");
    assert!(body.required);
    assert_eq!(body.content[0].schema["$ref"], "#/components/schemas/Pet");
    let source = apis::source(&db, &creator, &api.id).await.expect("source").source;
    assert!(source.starts_with("openapi: 3.0.3"), "the working copy is YAML as it was: {source}");
    assert!(!source.contains("definitions"), "{source}");

    let edited =
        edit::edit_operation(&db, &creator, &api.id, &add, after.edit_version).await.expect("the form edits it");
    assert!(edited.model.operations.iter().any(|o| o.key() == "GET /pets"));
    let again = edit::convert_to_openapi3(&db, &creator, &api.id, edited.edit_version).await;
    assert!(matches!(again, Err(DomainError::Invalid { .. })), "{again:?}");
    let frozen = revisions::definition(&db, &creator, &api.id, 1, SourceFormat::Yaml).await.expect("revision 1");
    assert!(frozen.contains("swagger: '2.0'") || frozen.contains("swagger: \"2.0\""), "{frozen}");
}

/// A CORS policy is tidied and checked when saved, and a reviewer reads its change.
async fn cors_policies_are_checked_tidied_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "no cors").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let settings = |cors: Cors| ApiSettings {
        context: detail.summary.context.clone(),
        description: String::new(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: Policies { cors, ..detail.policies.clone() },
    };
    let on = |origins: &[&str], credentials: bool| Cors {
        enabled: true,
        allow_origins: origins.iter().map(|o| o.to_string()).collect(),
        allow_credentials: credentials,
        ..Cors::default()
    };
    for (cors, why) in [
        (on(&["shop.example.com"], false), "is not an origin"),
        (on(&["https://shop.example.com/cart"], false), "is not an origin"),
        (on(&[], false), "name the origins"),
        (on(&["*"], true), "with cookies allowed"),
        (Cors { allow_methods: vec!["GET POST".into()], ..on(&["*"], false) }, "is not an HTTP method"),
    ] {
        match apis::save_settings(&db, &creator, &api.id, settings(cors.clone()), detail.edit_version).await {
            Err(DomainError::Invalid { field, message }) => {
                assert!(field.starts_with("policies.cors."), "{field}");
                assert!(message.contains(why), "{cors:?}: {message}");
            }
            other => panic!("{cors:?} was not refused: {other:?}"),
        }
    }
    let cors = Cors {
        allow_methods: vec!["get".into(), " post ".into(), "GET".into()],
        allow_headers: vec!["Authorization".into(), "X-Tag".into()],
        ..on(&["https://Shop.example.com/", "http://localhost:5173"], true)
    };
    let saved =
        apis::save_settings(&db, &creator, &api.id, settings(cors), detail.edit_version).await.expect("a valid policy");
    let stored = &saved.policies.cors;
    assert_eq!(stored.allow_origins, ["https://shop.example.com", "http://localhost:5173"]);
    assert_eq!(stored.allow_methods, ["GET", "POST"]);
    assert_eq!(stored.allow_headers, ["authorization", "x-tag"]);
    revisions::create(&db, &creator, &api.id, "cors").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert!(
        diff.other.iter().any(|line| line.starts_with("cross-origin calls: off → from https://shop.example.com")),
        "{:?}",
        diff.other
    );
}

/// Whether the gateways check calls against the definition is saved with the API's settings,
/// frozen in its revisions, and a reviewer reads its change.
async fn checking_calls_is_kept_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "unchecked").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    assert!(!detail.policies.validate_requests, "off until the creator turns it on");
    let settings = ApiSettings {
        context: detail.summary.context.clone(),
        description: detail.summary.description.clone(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: Policies { validate_requests: true, ..detail.policies.clone() },
    };
    let saved = apis::save_settings(&db, &creator, &api.id, settings, detail.edit_version).await.expect("saved");
    assert!(saved.policies.validate_requests);
    revisions::create(&db, &creator, &api.id, "checked").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert_eq!(diff.other, ["calls: not checked → checked against the definition"]);
}

/// How long the gateways keep answers is saved with the API's settings, bounded, and a
/// reviewer reads its change.
async fn keeping_answers_is_bounded_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "fresh").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(detail.policies.cache_seconds, 0, "none kept until the creator says");
    let settings = |cache_seconds: u32| ApiSettings {
        context: detail.summary.context.clone(),
        description: detail.summary.description.clone(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: Policies { cache_seconds, ..detail.policies.clone() },
    };
    match apis::save_settings(&db, &creator, &api.id, settings(86_401), detail.edit_version).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!((field.as_str(), message.as_str()), ("policies.cache_seconds", "at most 86400 seconds (a day)"));
        }
        other => panic!("more than a day was taken: {other:?}"),
    }
    let saved = apis::save_settings(&db, &creator, &api.id, settings(60), detail.edit_version).await.expect("saved");
    assert_eq!(saved.policies.cache_seconds, 60);
    revisions::create(&db, &creator, &api.id, "kept").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert_eq!(diff.other, ["answers to GET calls: not kept → kept 60 s"]);
}

/// The addresses an API takes calls from are read and written back tidied, nonsense is
/// refused saying which line, and a reviewer reads the change.
async fn callers_addresses_are_tidied_refused_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "any caller").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    assert!(detail.policies.ip_filter.is_open(), "any address until the creator lists some");
    let settings = |allow: &[&str], deny: &[&str]| ApiSettings {
        context: detail.summary.context.clone(),
        description: detail.summary.description.clone(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: detail.endpoints.clone(),
        policies: Policies {
            ip_filter: IpFilter {
                allow: allow.iter().map(|a| a.to_string()).collect(),
                deny: deny.iter().map(|d| d.to_string()).collect(),
            },
            ..detail.policies.clone()
        },
    };
    match apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(&[], &["10.0.0.0/8", "10.0.0.1/33"]),
        detail.edit_version,
    )
    .await
    {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "policies.ip_filter.deny");
            assert!(message.contains("`10.0.0.1/33` is not an IP address or range"), "{message}");
        }
        other => panic!("a prefix of 33 was taken: {other:?}"),
    }
    assert!(apis::get(&db, &creator, &api.id).await.expect("get").policies.ip_filter.is_open(), "nothing saved");
    let saved = apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(&[" 198.51.100.7/24", "198.51.100.0/24", "", "2001:DB8::/32"], &["198.51.100.66"]),
        detail.edit_version,
    )
    .await
    .expect("saved");
    assert_eq!(
        saved.policies.ip_filter,
        IpFilter { allow: vec!["198.51.100.0/24".into(), "2001:db8::/32".into()], deny: vec!["198.51.100.66".into()] }
    );
    revisions::create(&db, &creator, &api.id, "office only").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert_eq!(
        diff.other,
        ["callers' addresses: from any address → only from 198.51.100.0/24, 2001:db8::/32; never from 198.51.100.66"]
    );
}

/// The headers the gateway sets on backend calls and those it drops are tidied, checked (not
/// one the gateway owns, a value of one line) and compared for the reviewer.
async fn backend_headers_are_tidied_refused_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "as sent").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let settings = |set: &[(&str, &str)], drop: &[&str]| ApiSettings {
        context: detail.summary.context.clone(),
        description: String::new(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: Endpoints {
            set_headers: set.iter().map(|(n, v)| HeaderLine { name: n.to_string(), value: v.to_string() }).collect(),
            drop_headers: drop.iter().map(|d| d.to_string()).collect(),
            backend_auth: BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() },
            ..detail.endpoints.clone()
        },
        policies: detail.policies.clone(),
    };
    for (set, drop, field, why) in [
        (
            &[("X-Forwarded-Host", "evil")][..],
            &[][..],
            "endpoints.set_headers",
            "the gateway sets x-forwarded-host itself",
        ),
        (&[("X-Api-Key", "other")][..], &[][..], "endpoints.set_headers", "the gateway sets x-api-key itself"),
        (&[("x tenant", "acme")][..], &[][..], "endpoints.set_headers", "is not a header name"),
        (&[("x-tenant", "a\r\nhost: evil")][..], &[][..], "endpoints.set_headers", "must be one line"),
        (&[("x-tenant", "a"), ("X-Tenant", "b")][..], &[][..], "endpoints.set_headers", "x-tenant is set twice"),
        (&[][..], &["content-length"][..], "endpoints.drop_headers", "the gateway sets content-length itself"),
    ] {
        match apis::save_settings(&db, &creator, &api.id, settings(set, drop), detail.edit_version).await {
            Err(DomainError::Invalid { field: refused, message }) => {
                assert_eq!(refused, field, "{set:?} {drop:?}: {message}");
                assert!(message.contains(why), "{set:?} {drop:?}: {message}");
            }
            other => panic!("{set:?} {drop:?} was not refused: {other:?}"),
        }
    }
    let saved = apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(&[(" X-Tenant ", " acme ")], &["X-Debug", "", "x-debug"]),
        detail.edit_version,
    )
    .await
    .expect("saved");
    assert_eq!(saved.endpoints.set_headers, [HeaderLine { name: "x-tenant".into(), value: "acme".into() }]);
    assert_eq!(saved.endpoints.drop_headers, ["x-debug"]);
    revisions::create(&db, &creator, &api.id, "tenanted").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert!(
        diff.endpoints
            .contains(&"backend headers: as the caller sent them → sets x-tenant: acme; drops x-debug".into()),
        "{:?}",
        diff.endpoints
    );
}

/// A backend credential is tidied and checked when saved, names a secret rather than holding
/// one, and a reviewer reads its change.
async fn backend_credentials_are_checked_tidied_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "open backend").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let settings = |backend_auth: BackendAuth| ApiSettings {
        context: detail.summary.context.clone(),
        description: String::new(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: Endpoints { backend_auth, ..detail.endpoints.clone() },
        policies: detail.policies.clone(),
    };
    let header = |name: &str, secret: &str| BackendAuth::Header { name: name.into(), secret: secret.into() };
    let basic = |username: &str| BackendAuth::Basic { username: username.into(), secret: "PETS".into() };
    let oauth2 = |token_url: &str, client_id: &str, scopes: &[&str]| BackendAuth::ClientCredentials {
        token_url: token_url.into(),
        client_id: client_id.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        authentication: ClientAuthentication::ClientSecretBasic,
        key_id: None,
        secret: " pets_client ".into(),
    };
    let signing = |key_id: Option<&str>, authentication: ClientAuthentication| match oauth2(IDP, "gw", &[]) {
        BackendAuth::ClientCredentials { token_url, client_id, scopes, secret, .. } => BackendAuth::ClientCredentials {
            token_url,
            client_id,
            scopes,
            authentication,
            key_id: key_id.map(str::to_string),
            secret,
        },
        other => other,
    };
    const IDP: &str = "https://idp.example.com/token";
    for (auth, field, why) in [
        (header("x api key", "PETS"), "endpoints.backend_auth.name", "is not a header name"),
        (header("X-Forwarded-For", "PETS"), "endpoints.backend_auth.name", "the gateway sets x-forwarded-for itself"),
        (header("x-api-key", ""), "endpoints.backend_auth.secret", "is not a secret name"),
        (header("x-api-key", "pets-key"), "endpoints.backend_auth.secret", "is not a secret name"),
        (basic("svc:gateway"), "endpoints.backend_auth.username", "without a colon"),
        (basic(" "), "endpoints.backend_auth.username", "name the user"),
        (oauth2("idp.example.com/token", "gw", &[]), "endpoints.backend_auth.token_url", "is not an http(s) URL"),
        (oauth2(IDP, " ", &[]), "endpoints.backend_auth.client_id", "name the client"),
        (oauth2(IDP, "gw", &["pets\"read"]), "endpoints.backend_auth.scopes", "is not an OAuth2 scope"),
        (
            signing(Some("gw-1"), ClientAuthentication::ClientSecretBasic),
            "endpoints.backend_auth.key_id",
            "a client secret has none",
        ),
        (signing(Some("gw\n1"), ClientAuthentication::PrivateKeyJwt), "endpoints.backend_auth.key_id", "up to 200"),
    ] {
        match apis::save_settings(&db, &creator, &api.id, settings(auth.clone()), detail.edit_version).await {
            Err(DomainError::Invalid { field: refused, message }) => {
                assert_eq!(refused, field, "{auth:?}: {message}");
                assert!(message.contains(why), "{auth:?}: {message}");
            }
            other => panic!("{auth:?} was not refused: {other:?}"),
        }
    }
    let saved =
        apis::save_settings(&db, &creator, &api.id, settings(header(" X-Api-Key ", " pets_key ")), detail.edit_version)
            .await
            .expect("a valid credential");
    assert_eq!(saved.endpoints.backend_auth, header("x-api-key", "PETS_KEY"));
    assert_eq!(saved.endpoints.backend_auth.variable().as_deref(), Some("GATEWAY_BACKEND_SECRET_PETS_KEY"));
    // An OAuth2 client: its scopes one by one, whether given as a list or space-separated.
    let client = oauth2(&format!(" {IDP} "), " gateway ", &["pets:read pets:write", "pets:read"]);
    let as_client = apis::save_settings(&db, &creator, &api.id, settings(client), saved.edit_version)
        .await
        .expect("an OAuth2 client");
    assert_eq!(
        as_client.endpoints.backend_auth,
        BackendAuth::ClientCredentials {
            token_url: IDP.into(),
            client_id: "gateway".into(),
            scopes: vec!["pets:read".into(), "pets:write".into()],
            authentication: ClientAuthentication::ClientSecretBasic,
            key_id: None,
            secret: "PETS_CLIENT".into()
        }
    );
    assert_eq!(
        as_client.endpoints.backend_auth.to_string(),
        "OAuth2 token from https://idp.example.com/token as gateway for pets:read pets:write with secret PETS_CLIENT"
    );
    // A client that signs its assertions with a private key, named by its id (an empty id is none).
    let as_signer = apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(signing(Some(" gw-2026 "), ClientAuthentication::PrivateKeyJwt)),
        as_client.edit_version,
    )
    .await
    .expect("a private_key_jwt client");
    assert_eq!(as_signer.endpoints.backend_auth, {
        let mut expected = signing(Some("gw-2026"), ClientAuthentication::PrivateKeyJwt);
        if let BackendAuth::ClientCredentials { secret, .. } = &mut expected {
            *secret = "PETS_CLIENT".into();
        }
        expected
    });
    let unnamed = apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(signing(Some(" "), ClientAuthentication::PrivateKeyJwt)),
        as_signer.edit_version,
    )
    .await
    .expect("a private_key_jwt client without a key id");
    assert_eq!(
        unnamed.endpoints.backend_auth.to_string(),
        "OAuth2 token from https://idp.example.com/token as gw signing with the private key in secret PETS_CLIENT"
    );
    let restored =
        apis::save_settings(&db, &creator, &api.id, settings(header("x-api-key", "PETS_KEY")), unnamed.edit_version)
            .await
            .expect("back to the header");
    assert_eq!(restored.endpoints.backend_auth, header("x-api-key", "PETS_KEY"));
    // The secret is this API's: another API may not have gateways send it to its backend, while
    // a new version of this one keeps it.
    let v2 = apis::new_version(&db, &creator, &api.id, "2.0.0", None).await.expect("new version");
    let v2 = apis::get(&db, &creator, &v2.id).await.expect("v2");
    assert_eq!(v2.endpoints.backend_auth, header("x-api-key", "PETS_KEY"));
    let resaved = ApiSettings { context: v2.summary.context.clone(), ..settings(header("x-api-key", "PETS_KEY")) };
    apis::save_settings(&db, &creator, &v2.summary.id, resaved, v2.edit_version)
        .await
        .expect("a version keeps its secret");
    let other =
        import_text(&db, &creator, &PETS.replace("title: Pet Store", "title: Vet Store")).await.expect("another API");
    let other = apis::get(&db, &creator, &other.id).await.expect("get");
    let borrowing = ApiSettings {
        context: other.summary.context.clone(),
        endpoints: Endpoints { backend_auth: header("x-api-key", "PETS_KEY"), ..other.endpoints.clone() },
        ..settings(BackendAuth::None)
    };
    match apis::save_settings(&db, &creator, &other.summary.id, borrowing, other.edit_version).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "endpoints.backend_auth.secret");
            assert!(message.contains("sends its backend the secret PETS_KEY"), "{message}");
        }
        refused => panic!("another API took the secret: {refused:?}"),
    }
    revisions::create(&db, &creator, &api.id, "backend key").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    assert!(
        diff.endpoints.contains(&"backend credential: none → header x-api-key from secret PETS_KEY".to_string()),
        "{:?}",
        diff.endpoints
    );
}

/// A private certificate authority's certificate, valid until the end of `year`, as PEM.
fn authority(year: i32) -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Pets private CA");
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(year, 12, 31);
    let key = rcgen::KeyPair::generate().expect("key");
    params.self_signed(&key).expect("certificate").pem()
}

/// TLS to an API's backends is checked as a gateway would read it (authorities it can trust, a
/// secret's name for the client certificate), refused where nothing would use it, kept as one
/// API's secret, and shown to the reviewer by fingerprint.
async fn backend_tls_is_checked_and_compared(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "public PKI").await.expect("revision 1");
    let detail = apis::get(&db, &creator, &api.id).await.expect("get");
    let settings = |production: &str, trusted_ca: &str, client_certificate: Option<&str>| ApiSettings {
        context: detail.summary.context.clone(),
        description: String::new(),
        tags: vec![],
        visibility: detail.visibility,
        endpoints: Endpoints {
            production: vec![production.into()],
            sandbox: vec![],
            backend_auth: BackendAuth::Header { name: "x-api-key".into(), secret: "PETS".into() },
            backend_tls: BackendTls {
                trusted_ca: trusted_ca.into(),
                client_certificate: client_certificate.map(String::from),
            },
            ..detail.endpoints.clone()
        },
        policies: detail.policies.clone(),
    };
    let ca = authority(2051);
    let expired = authority(2024);
    const HTTPS: &str = "https://pets.internal";
    let garbled = ca.replace("MII", "MIX");
    for (settings, field, why) in [
        (settings(HTTPS, "not a certificate", None), "endpoints.backend_tls.trusted_ca", "holds no PEM certificate"),
        (settings(HTTPS, &garbled, None), "endpoints.backend_tls.trusted_ca", "certificate 1 cannot be trusted"),
        (settings(HTTPS, &ca.repeat(21), None), "endpoints.backend_tls.trusted_ca", "at most 20"),
        (
            settings(HTTPS, &format!("{ca}{expired}"), None),
            "endpoints.backend_tls.trusted_ca",
            "certificate 2 (Pets private CA) expired on 2024-12-31",
        ),
        (settings(HTTPS, "", Some("pets-tls")), "endpoints.backend_tls.client_certificate", "is not a secret name"),
        (settings(HTTPS, "", Some("pets")), "endpoints.backend_tls.client_certificate", "needs a secret of its own"),
        (settings("http://pets.internal", &ca, None), "endpoints.backend_tls", "no production or sandbox URL is https"),
    ] {
        match apis::save_settings(&db, &creator, &api.id, settings, detail.edit_version).await {
            Err(DomainError::Invalid { field: refused, message }) => {
                assert_eq!(refused, field, "{message}");
                assert!(message.contains(why), "{why}: {message}");
            }
            other => panic!("{why}: not refused: {other:?}"),
        }
    }
    assert_eq!(
        apis::get(&db, &creator, &api.id).await.expect("get").edit_version,
        detail.edit_version,
        "nothing saved"
    );
    let saved = apis::save_settings(
        &db,
        &creator,
        &api.id,
        settings(HTTPS, &format!("\n{ca}\n"), Some(" pets_tls ")),
        detail.edit_version,
    )
    .await
    .expect("saved");
    assert_eq!(
        saved.endpoints.backend_tls,
        BackendTls { trusted_ca: ca.clone(), client_certificate: Some("PETS_TLS".into()) }
    );
    // The creator reads what is trusted as the reviewer will.
    assert_eq!(saved.trusted_authorities.len(), 1);
    assert!(
        saved.trusted_authorities[0].starts_with("Pets private CA until 2051-12-31 (SHA-256 "),
        "{:?}",
        saved.trusted_authorities
    );
    // The certificate's secret is this API's too.
    let other =
        import_text(&db, &creator, &PETS.replace("title: Pet Store", "title: Vet Store")).await.expect("another API");
    let other = apis::get(&db, &creator, &other.id).await.expect("get");
    let borrowing = ApiSettings {
        context: other.summary.context.clone(),
        endpoints: Endpoints {
            production: vec![HTTPS.into()],
            backend_tls: BackendTls { trusted_ca: String::new(), client_certificate: Some("PETS_TLS".into()) },
            ..other.endpoints.clone()
        },
        ..settings(HTTPS, "", None)
    };
    match apis::save_settings(&db, &creator, &other.summary.id, borrowing, other.edit_version).await {
        Err(DomainError::Invalid { field, message }) => {
            assert_eq!(field, "endpoints.backend_tls.client_certificate");
            assert!(message.contains("sends its backend the secret PETS_TLS"), "{message}");
        }
        refused => panic!("another API took the certificate's secret: {refused:?}"),
    }
    revisions::create(&db, &creator, &api.id, "private CA, mutual TLS").await.expect("revision 2");
    let diff =
        revisions::compare(&db, &creator, &api.id, Version::Revision(1), Version::Revision(2)).await.expect("diff");
    let der = gatehouse_contract::tls::trusted_certificates(&ca).expect("read")[0].to_vec();
    let fingerprint = hex::encode_upper(<sha2::Sha256 as sha2::Digest>::digest(&der));
    for line in [
        format!(
            "backend certificates trusted: the public Web PKI → Pets private CA until 2051-12-31 (SHA-256 {fingerprint})"
        ),
        "client certificate to the backend: none → from secret PETS_TLS".to_string(),
    ] {
        assert!(diff.endpoints.contains(&line), "{line} not in {:?}", diff.endpoints);
    }
}

/// Someone leaves: an admin disables the account, sees what it still owns, and hands all of it
/// to a colleague who is still here (not to a disabled account or one that cannot design).
async fn an_admin_hands_a_leavers_apis_over(db: Db) {
    let ann = user(&db, "ann@example.com", Role::Creator).await;
    let ben = user(&db, "ben@example.com", Role::Creator).await;
    let dora = user(&db, "dora@example.com", Role::Creator).await;
    let _carl = user(&db, "carl@example.com", Role::Consumer).await;
    let admin = user(&db, "admin@example.com", Role::Admin).await;
    let publisher = user(&db, "pub@example.com", Role::Publisher).await;
    let pets = import_text(&db, &ann, PETS).await.expect("import");
    import_text(&db, &ann, &PETS.replace("Pet Store", "Cat Store")).await.expect("import");
    accounts::set_disabled(&db, &admin, &ann.user_id, true).await.expect("disable ann");
    accounts::set_disabled(&db, &admin, &dora.user_id, true).await.expect("disable dora");
    let owned = |email: &'static str| {
        let db = db.clone();
        async move {
            let users = accounts::list_users(&db, "", 100, 0).await.expect("users");
            users.items.iter().find(|u| u.email == email).expect("listed").owned_apis
        }
    };
    assert_eq!(owned("ann@example.com").await, 2);

    let denied = apis::hand_over_all(&db, &publisher, &ann.user_id, "ben@example.com").await;
    assert!(matches!(denied, Err(DomainError::Forbidden(_))), "{denied:?}");
    for (to, why) in [
        ("dora@example.com", "is disabled"),
        ("carl@example.com", "role Consumer"),
        ("ann@example.com", "is disabled"),
        ("nobody@example.com", "no account"),
    ] {
        match apis::hand_over_all(&db, &admin, &ann.user_id, to).await {
            Err(DomainError::Invalid { field, message }) => {
                assert_eq!(field, "owner");
                assert!(message.contains(why), "{to}: {message}");
            }
            other => panic!("handing to {to} was not refused: {other:?}"),
        }
    }
    assert_eq!(apis::hand_over_all(&db, &admin, &ann.user_id, "Ben@example.com").await.expect("hand over"), 2);
    assert_eq!((owned("ann@example.com").await, owned("ben@example.com").await), (0, 2));
    assert!(apis::get(&db, &ben, &pets.id).await.expect("get").editable, "Ben edits it now");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    let moves = log
        .items
        .iter()
        .filter(|e| e.action == "api.owner_changed" && e.detail == "ann@example.com to ben@example.com");
    assert_eq!(moves.count(), 2);
}

/// A search lists first the APIs whose name holds the most of its words, newest first among
/// equals; browsing stays newest first.
async fn a_search_ranks_name_matches_first(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let pets = import_text(&db, &creator, PETS).await.expect("import").id;
    // Newer, and about pets too (its description and operations say so), but not named so.
    let vets = import_text(&db, &creator, &PETS.replace("Pet Store", "Vet Clinic")).await.expect("import").id;
    let stores = import_text(&db, &creator, &PETS.replace("Pet Store", "Store Finder")).await.expect("import").id;
    let ids = |page: gatehouse_contract::Page<gatehouse_contract::ApiSummary>| {
        page.items.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    let search = |q: &str| ApiQuery { q: q.into(), ..Default::default() };
    let found = apis::list(&db, &creator, &search("pet")).await.expect("search");
    assert_eq!(found.total, 3);
    assert_eq!(ids(found), [pets.clone(), stores.clone(), vets.clone()]);
    // Every word must be found; the name holding both comes before the name holding one.
    let found = apis::list(&db, &creator, &search("store PET")).await.expect("search");
    assert_eq!(ids(found), [pets.clone(), stores.clone()]);
    // Paged, the rank holds across pages.
    let second = ApiQuery { limit: Some(1), offset: Some(1), ..search("pet") };
    assert_eq!(ids(apis::list(&db, &creator, &second).await.expect("search")), std::slice::from_ref(&stores));
    let browsed = apis::list(&db, &creator, &ApiQuery::default()).await.expect("list");
    assert_eq!(ids(browsed), [stores, vets, pets]);
}

/// Pages come newest first, never overlap, and each says the true total: whether it was
/// counted (a full page), read off a short last page, or asked for past the end.
async fn pages_are_newest_first_with_their_total(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let mut imported = Vec::new();
    for i in 0..7 {
        imported.push(
            import_text(&db, &creator, &PETS.replace("Pet Store", &format!("Shop {i}"))).await.expect("import").id,
        );
    }
    let mut seen = Vec::new();
    for (offset, shown) in [(0, 3), (3, 3), (6, 1), (9, 0)] {
        let query = ApiQuery { limit: Some(3), offset: Some(offset), ..Default::default() };
        let p = apis::list(&db, &creator, &query).await.expect("list");
        assert_eq!((p.items.len(), p.total), (shown, 7), "page at offset {offset}");
        seen.extend(p.items.into_iter().map(|a| a.id));
    }
    imported.reverse();
    assert_eq!(seen, imported, "newest first, each API on exactly one page");

    // A filter's total is the filter's, not the table's.
    let one = ApiQuery { q: "shop 4".into(), limit: Some(3), ..Default::default() };
    let found = apis::list(&db, &creator, &one).await.expect("search");
    assert_eq!((found.items.len(), found.total), (1, 1));
    // A search counts in its own scan; past its last page it counts apart.
    for (offset, shown) in [(2, 2), (6, 1), (9, 0)] {
        let matching = ApiQuery { q: "shop".into(), limit: Some(2), offset: Some(offset), ..Default::default() };
        let p = apis::list(&db, &creator, &matching).await.expect("search");
        assert_eq!((p.items.len(), p.total), (shown, 7), "search page at offset {offset}");
    }
}

async fn lifecycle_rules_hold(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let publisher = user(&db, "p@example.com", Role::Publisher).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    let req = |action: &str| LifecycleRequest { action: action.into(), ..Default::default() };
    assert_eq!(
        lifecycle::change(&db, &creator, &api.id, &req("prototype")).await.expect("prototype"),
        LifecycleState::Prototyped
    );
    let denied = lifecycle::change(&db, &creator, &api.id, &req("publish")).await;
    assert!(matches!(denied, Err(DomainError::Forbidden(_))), "{denied:?}");
    assert_eq!(
        lifecycle::change(&db, &publisher, &api.id, &req("publish")).await.expect("publish"),
        LifecycleState::Published
    );
    let unconfirmed = lifecycle::change(&db, &publisher, &api.id, &req("deprecate")).await;
    assert!(
        matches!(unconfirmed, Err(DomainError::Invalid { ref field, .. }) if field == "confirm"),
        "{unconfirmed:?}"
    );
    let confirmed =
        LifecycleRequest { action: "deprecate".into(), confirm: true, comment: "use v2".into(), ..Default::default() };
    assert_eq!(
        lifecycle::change(&db, &publisher, &api.id, &confirmed).await.expect("deprecate"),
        LifecycleState::Deprecated
    );
    let wrong = lifecycle::change(&db, &publisher, &api.id, &req("publish")).await;
    assert!(matches!(wrong, Err(DomainError::Conflict(_))), "{wrong:?}");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(log.items.iter().any(|e| e.action == "api.lifecycle"
        && e.detail == "PUBLISHED → DEPRECATED: use v2"
        && e.actor == "p@example.com"));

    // A publisher cannot publish an API they own.
    let own = import_text(&db, &publisher, &PETS.replace("Pet Store", "Own Store")).await.expect("import");
    let self_publish = lifecycle::change(&db, &publisher, &own.id, &req("publish")).await;
    assert!(matches!(self_publish, Err(DomainError::Forbidden(_))), "{self_publish:?}");
}

async fn contexts_are_unique_among_live_apis(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    import_text(&db, &creator, PETS).await.expect("import");
    let files = MemoryFiles::single("o.yaml", PETS.replace("Pet Store", "Other").into_bytes());
    let clash = apis::import(
        &db,
        &creator,
        ImportRequest { files: &files, entry: "o.yaml", context: Some("/pet-store/1.0.0".into()) },
    )
    .await;
    assert!(matches!(clash, Err(DomainError::Conflict(ref m)) if m.contains("already used by Pet Store")), "{clash:?}");
}

async fn starting_an_api_that_exists_changes_nothing(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let pets = import_text(&db, &creator, PETS).await.expect("import");
    let again = apis::create_blank(&db, &creator, "Pet Store", "1.0.0", None, "").await;
    assert!(
        matches!(again, Err(DomainError::Conflict(ref m)) if m.contains("Pet Store 1.0.0 already exists")),
        "{again:?}"
    );
    let kept = apis::get(&db, &creator, &pets.id).await.expect("get");
    assert_eq!(kept.model.operations.len(), 2, "the definition keeps its operations");
    let other = apis::create_blank(&db, &creator, "Pet Store", "2.0.0", None, "").await.expect("another version");
    assert_ne!(other.id, pets.id);
}

async fn the_management_api_is_listed_as_served_by_the_server(db: Db) {
    let document = r#"{"openapi":"3.0.3","info":{"title":"Gatehouse management API","version":"0.1.0"},"paths":{"/me":{"get":{"responses":{"200":{"description":"ok"}}}}}}"#;
    let id = portal::publish_management_api(&db, document).await.expect("listed");
    let again = portal::publish_management_api(&db, document).await.expect("listed again");
    assert_eq!(again, id, "an unchanged document is the same listing");
    let page = portal::api(&db, None, &id).await.expect("public");
    assert_eq!(page.summary.state, LifecycleState::Published);
    let urls: Vec<&str> = page.endpoints.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(urls, ["/api/v1"], "no gateway serves it: the server does");
    assert!(page.served_by_server);
    assert!(page.tiers.is_empty(), "personal access tokens, not tiers: {:?}", page.tiers);

    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let app = applications::create(&db, &ann, "Shop", "").await.expect("application");
    let tier = tiers::list(&db).await.expect("tiers").into_iter().next().expect("a tier exists").name;
    let request = NewSubscription { application_id: app.id, api_id: id, tier };
    let refused = subscriptions::subscribe(&db, &ann, &request).await;
    assert!(matches!(&refused, Err(DomainError::Conflict(m)) if m.contains("personal access token")), "{refused:?}");
    assert!(applications::list(&db, &ann).await.expect("list")[0].subscriptions.is_empty());
}

async fn a_large_reference_is_sent_as_an_outline_and_its_operations_one_at_a_time(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let publisher = user(&db, "p@example.com", Role::Publisher).await;
    let count = gatehouse_contract::PortalApi::WHOLE_UP_TO + 1;
    let content = r##"{"application/json":{"schema":{"$ref":"#/components/schemas/Pet"}}}"##;
    let paths: Vec<String> = (0..count)
        .map(|n| {
            format!(
                r#""/things/{n}":{{"get":{{"summary":"Thing {n}","description":"Reads *thing* {n}","tags":["things"],"responses":{{"200":{{"description":"ok","content":{content}}}}}}}}}"#
            )
        })
        .collect();
    // Pet and Owner refer to each other; Unused is referred to by nothing.
    let schemas = r##""Pet":{"type":"object","properties":{"owner":{"$ref":"#/components/schemas/Owner"}}},"Owner":{"type":"object","properties":{"pets":{"type":"array","items":{"$ref":"#/components/schemas/Pet"}}}},"Unused":{"type":"string"}"##;
    let document = format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"Things","version":"1.0.0"}},"paths":{{{}}},"components":{{"schemas":{{{schemas}}}}}}}"#,
        paths.join(",")
    );
    let api = import_text(&db, &creator, &document).await.expect("import").id;
    let key = "GET /things/7";
    let hidden = portal::operation(&db, None, &api, key).await;
    assert!(matches!(hidden, Err(DomainError::NotFound(_))), "not listed yet: {hidden:?}");
    let publish = LifecycleRequest { action: "publish".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &api, &publish).await.expect("publish");

    let whole = portal::api(&db, None, &api).await.expect("page");
    assert_eq!(whole.model.operations.len(), count);
    assert!(whole.model.operations.iter().all(|op| !op.responses.is_empty()), "the REST answer is whole");
    let outline = whole.outline();
    let line = &outline.model.operations[7];
    assert_eq!(
        (line.key().as_str(), line.summary.as_str(), line.tags.as_slice()),
        (key, "Thing 7", ["things".to_string()].as_slice())
    );
    let statuses: Vec<&str> = line.responses.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["200"], "{line:?}");
    assert!(line.responses[0].content.is_empty() && line.description.is_empty(), "{line:?}");
    assert!(outline.schemas.is_null() && outline.operation_descriptions_html.is_empty());

    let opened = portal::operation(&db, None, &api, key).await.expect("operation");
    assert_eq!(opened.operation.key(), key);
    assert_eq!(opened.operation.responses[0].status, "200");
    assert_eq!(opened.description_html.trim(), "<p>Reads <em>thing</em> 7</p>");
    let mut names: Vec<&String> = opened.schemas.as_object().expect("by name").keys().collect();
    names.sort();
    assert_eq!(names, ["Owner", "Pet"], "what it reaches, through one another, and nothing else");
    let unknown = portal::operation(&db, None, &api, "DELETE /things/7").await;
    assert!(matches!(&unknown, Err(DomainError::NotFound(m)) if m.contains("DELETE /things/7")), "{unknown:?}");
}

async fn versions_copy_docs_and_link(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    let page = docs::save(&db, &creator, &api.id, None, "Getting started", "# Hello\n\n<script>x()</script>")
        .await
        .expect("doc");
    assert_eq!(page.slug, "getting-started");
    assert!(!page.html.contains("<script>"));
    let v2 = apis::new_version(&db, &creator, &api.id, "2.0.0", None).await.expect("new version");
    assert_eq!(v2.context, "/pet-store/2.0.0");
    let detail = apis::get(&db, &creator, &v2.id).await.expect("get");
    assert_eq!(detail.model.version, "2.0.0");
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(docs::list(&db, &v2.id).await.expect("docs").len(), 1);
}

async fn project_archive_round_trips_into_an_empty_server(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    docs::save(&db, &creator, &api.id, None, "Guide", "Read me").await.expect("doc");
    let before = apis::get(&db, &creator, &api.id).await.expect("get");
    let (name, zip) = project::export(&db, &creator, &api.id).await.expect("export");
    assert_eq!(name, "Pet_Store-1.0.0.zip");

    let empty = gatehouse_domain::testing::sqlite().await;
    let other = user(&empty.db, "c@example.com", Role::Creator).await;
    let outcome = project::import_archive(&empty.db, &other, &zip).await.expect("import archive");
    let after = apis::get(&empty.db, &other, &outcome.id).await.expect("get");
    assert_eq!(after.summary.name, before.summary.name);
    assert_eq!(after.summary.context, before.summary.context);
    assert_eq!(
        apis::source(&empty.db, &other, &outcome.id).await.expect("source").source,
        apis::source(&db, &creator, &api.id).await.expect("source").source
    );
    assert_eq!(after.endpoints, before.endpoints);
    assert_eq!(after.policies, before.policies);
    assert_eq!(after.model, before.model);
    assert_eq!(docs::list(&empty.db, &outcome.id).await.expect("docs")[0].markdown, "Read me");
    // Importing again updates rather than duplicates.
    let again = project::import_archive(&empty.db, &other, &zip).await.expect("again");
    assert!(again.updated);
    assert_eq!(apis::list(&empty.db, &other, &ApiQuery::default()).await.expect("list").total, 1);
}

/// An exported archive with its `api.yaml` and files changed by `edit`, zipped again.
fn edited_archive(zip: &[u8], edit: impl FnOnce(&mut project::ProjectMeta, &mut BTreeMap<String, String>)) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("text");
        files.insert(file.name().to_string(), text);
    }
    let meta_text = files.remove(project::META_FILE).expect("api.yaml");
    let mut meta = serde_json::from_value(parse::parse(&meta_text).expect("yaml").value).expect("meta");
    edit(&mut meta, &mut files);
    // JSON is YAML: the importer reads it as written.
    files.insert(project::META_FILE.into(), serde_json::to_string_pretty(&meta).expect("json"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in &files {
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        out.write_all(text.as_bytes()).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// The API is as it was at `edit_version`, with its two pages, and no other API was made.
async fn assert_untouched(db: &Db, actor: &Actor, id: &str, edit_version: i64) {
    assert_eq!(apis::get(db, actor, id).await.expect("get").edit_version, edit_version, "nothing stored");
    assert_eq!(apis::list(db, actor, &ApiQuery::default()).await.expect("list").total, 1);
    let pages = docs::list(db, id).await.expect("docs");
    assert_eq!(pages.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>(), ["guide", "errors"]);
}

async fn a_project_archive_is_checked_whole_and_brings_its_pages(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    docs::save(&db, &creator, &api.id, None, "Guide", "Read me").await.expect("doc");
    docs::save(&db, &creator, &api.id, None, "Errors", "What goes wrong").await.expect("doc");
    let (_, zip) = project::export(&db, &creator, &api.id).await.expect("export");
    let edit_before = apis::get(&db, &creator, &api.id).await.expect("get").edit_version;
    // A definition that is another API than api.yaml says is refused before it is imported.
    let other_api = edited_archive(&zip, |_, files| {
        let definition = files.get_mut("definition.yaml").expect("definition");
        *definition = definition.replace("title: Pet Store", "title: Cat Store");
    });
    let refused = project::import_archive(&db, &creator, &other_api).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { field, message }) if field == "api.yaml" && message.contains("Cat Store 1.0.0")),
        "{refused:?}"
    );
    assert_untouched(&db, &creator, &api.id, edit_before).await;

    // So is a page named twice, and a setting out of bounds: the error names the field in api.yaml.
    let twice = edited_archive(&zip, |meta, _| meta.docs[1].slug = "guide".into());
    let refused = project::import_archive(&db, &creator, &twice).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { field, .. }) if field == "api.yaml: docs[1].slug"),
        "{refused:?}"
    );
    let unwritten = edited_archive(&zip, |_, files| {
        files.remove("docs/errors.md");
    });
    let refused = project::import_archive(&db, &creator, &unwritten).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { field, message }) if field == "api.yaml: docs[1].file" && message.contains("docs/errors.md")),
        "{refused:?}"
    );
    let slow = edited_archive(&zip, |meta, _| meta.endpoints.timeout_ms = 1);
    let refused = project::import_archive(&db, &creator, &slow).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { field, .. }) if field == "api.yaml: endpoints.timeout_ms"),
        "{refused:?}"
    );
    let unnamed_secret = edited_archive(&zip, |meta, _| {
        meta.endpoints.backend_auth = BackendAuth::Header { name: "x-api-key".into(), secret: "pets key".into() };
    });
    let refused = project::import_archive(&db, &creator, &unnamed_secret).await;
    assert!(
        matches!(&refused, Err(DomainError::Invalid { field, .. }) if field == "api.yaml: endpoints.backend_auth.secret"),
        "{refused:?}"
    );
    assert_untouched(&db, &creator, &api.id, edit_before).await;

    // The pages become the archive's: one it dropped is deleted, one it rewrote is rewritten,
    // in the archive's order.
    let rewritten = edited_archive(&zip, |meta, files| {
        meta.docs.retain(|d| d.slug == "guide");
        meta.docs.insert(
            0,
            project::ProjectDoc { slug: "intro".into(), title: "Intro".into(), file: "docs/intro.md".into() },
        );
        files.remove("docs/errors.md");
        files.insert("docs/guide.md".into(), "Read me again".into());
        files.insert("docs/intro.md".into(), "Start here".into());
        // The backend credential travels as its secret's name.
        meta.endpoints.backend_auth = BackendAuth::Basic { username: "gateway".into(), secret: "PETS".into() };
    });
    project::import_archive(&db, &creator, &rewritten).await.expect("import archive");
    let imported = apis::get(&db, &creator, &api.id).await.expect("get").endpoints.backend_auth;
    assert_eq!(imported, BackendAuth::Basic { username: "gateway".into(), secret: "PETS".into() });
    let pages = docs::list(&db, &api.id).await.expect("docs");
    let pages: Vec<(&str, &str)> = pages.iter().map(|p| (p.slug.as_str(), p.markdown.as_str())).collect();
    assert_eq!(pages, [("intro", "Start here"), ("guide", "Read me again")]);
}

/// Make the database refuse to store a page with this slug, as a full disk or a lost
/// connection would refuse the last step of a change: everything before it is already written.
async fn refuse_pages_named(db: &Db, slug: &str) {
    let statements = match db.backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_page BEFORE INSERT ON api_docs WHEN NEW.slug = '{slug}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION refuse_page() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                .to_string(),
            format!(
                "CREATE TRIGGER refuse_page BEFORE INSERT ON api_docs FOR EACH ROW \
                 WHEN (NEW.slug = '{slug}') EXECUTE FUNCTION refuse_page()"
            ),
        ],
    };
    for statement in statements {
        sqlx::query(&statement).execute(&db.pool).await.expect("create the refusing trigger");
    }
}

async fn a_project_archive_is_stored_whole_or_not_at_all(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    docs::save(&db, &creator, &api.id, None, "Guide", "Read me").await.expect("doc");
    docs::save(&db, &creator, &api.id, None, "Errors", "What goes wrong").await.expect("doc");
    let (_, zip) = project::export(&db, &creator, &api.id).await.expect("export");
    let before = apis::get(&db, &creator, &api.id).await.expect("get");
    let source_before = apis::source(&db, &creator, &api.id).await.expect("source").source;
    let entries_before = audit::list(&db, &Default::default()).await.expect("audit").total;
    // Definition, settings and pages all change; the page, stored last, is refused.
    let changed = edited_archive(&zip, |meta, files| {
        meta.endpoints.timeout_ms = 5_000;
        meta.docs.push(project::ProjectDoc {
            slug: "intro".into(),
            title: "Intro".into(),
            file: "docs/intro.md".into(),
        });
        files.insert("docs/intro.md".into(), "Start here".into());
        let definition = files.get_mut("definition.yaml").expect("definition");
        *definition = definition.replace("summary: List pets", "summary: List every pet");
    });
    // An archive of an API not yet here, refused the same way.
    let new_api = edited_archive(&changed, |meta, files| {
        meta.name = "Cat Store".into();
        meta.context = "/cats/v1".into();
        let definition = files.get_mut("definition.yaml").expect("definition");
        *definition = definition.replace("title: Pet Store", "title: Cat Store");
    });
    refuse_pages_named(&db, "intro").await;

    let refused = project::import_archive(&db, &creator, &changed).await;
    assert!(matches!(refused, Err(DomainError::Internal(_))), "{refused:?}");
    assert_untouched(&db, &creator, &api.id, before.edit_version).await;
    let after = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(after.endpoints, before.endpoints, "settings not stored");
    assert_eq!(
        apis::source(&db, &creator, &api.id).await.expect("source").source,
        source_before,
        "definition not stored"
    );
    let refused = project::import_archive(&db, &creator, &new_api).await;
    assert!(matches!(refused, Err(DomainError::Internal(_))), "{refused:?}");
    assert_untouched(&db, &creator, &api.id, before.edit_version).await;
    assert_eq!(audit::list(&db, &Default::default()).await.expect("audit").total, entries_before, "nothing audited");

    // Once the database takes pages again, the same archive is stored whole.
    let accept_pages = match db.backend {
        Backend::Sqlite => "DROP TRIGGER refuse_page",
        Backend::Postgres => "DROP TRIGGER refuse_page ON api_docs",
    };
    sqlx::query(accept_pages).execute(&db.pool).await.expect("drop the refusing trigger");
    project::import_archive(&db, &creator, &changed).await.expect("import archive");
    let after = apis::get(&db, &creator, &api.id).await.expect("get");
    assert_eq!(after.endpoints.timeout_ms, 5_000);
    assert!(apis::source(&db, &creator, &api.id).await.expect("source").source.contains("List every pet"));
    assert_eq!(docs::list(&db, &api.id).await.expect("docs").len(), 3);
}

async fn ownership_moves_to_someone_who_can_design(db: Db) {
    let ann = user(&db, "ann@example.com", Role::Creator).await;
    let ben = user(&db, "ben@example.com", Role::Creator).await;
    let publisher = user(&db, "pub@example.com", Role::Publisher).await;
    let _carl = user(&db, "carl@example.com", Role::Consumer).await;
    let api = import_text(&db, &ann, PETS).await.expect("import");

    // Ben neither owns it nor reviews; consumers, strangers and the owner themselves are refused.
    assert!(matches!(
        apis::transfer_ownership(&db, &ben, &api.id, "ben@example.com", false).await,
        Err(DomainError::Forbidden(_))
    ));
    let consumer = apis::transfer_ownership(&db, &ann, &api.id, "carl@example.com", false).await;
    assert!(
        matches!(consumer, Err(DomainError::Invalid { ref field, ref message }) if field == "owner" && message.contains("role Consumer")),
        "{consumer:?}"
    );
    let nobody = apis::transfer_ownership(&db, &ann, &api.id, "nobody@example.com", false).await;
    assert!(
        matches!(nobody, Err(DomainError::Invalid { ref field, ref message }) if field == "owner" && message.contains("no account")),
        "{nobody:?}"
    );
    assert!(matches!(
        apis::transfer_ownership(&db, &ann, &api.id, "ann@example.com", false).await,
        Err(DomainError::Invalid { .. })
    ));
    assert_eq!(apis::get(&db, &ann, &api.id).await.expect("get").summary.owner, "ann@example.com", "nothing changed");

    // Ann hands it to Ben (the email as typed, in any case): Ben may edit it now, Ann may not.
    let moved = apis::transfer_ownership(&db, &ann, &api.id, " Ben@Example.com ", false).await.expect("transfer");
    assert_eq!(moved.summary.owner, "ben@example.com");
    assert!(!moved.editable, "the former owner no longer edits it");
    assert!(apis::get(&db, &ben, &api.id).await.expect("get").editable);
    assert!(matches!(
        apis::transfer_ownership(&db, &ann, &api.id, "ann@example.com", false).await,
        Err(DomainError::Forbidden(_))
    ));
    // A publisher may move any API, back to Ann here; the audit log keeps both moves.
    apis::transfer_ownership(&db, &publisher, &api.id, "ann@example.com", false).await.expect("publisher transfers");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    let moves: Vec<&str> =
        log.items.iter().filter(|e| e.action == "api.owner_changed").map(|e| e.detail.as_str()).collect();
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert!(
        moves.contains(&"ann@example.com to ben@example.com") && moves.contains(&"ben@example.com to ann@example.com"),
        "{moves:?}"
    );

    // Every version Ann owns moves at once, but a retired one (which no longer changes) and one
    // someone else owns; each move is audited.
    let v2 = apis::new_version(&db, &ann, &api.id, "2.0.0", None).await.expect("v2");
    let v3 = apis::new_version(&db, &ann, &api.id, "3.0.0", None).await.expect("v3");
    let v4 = apis::new_version(&db, &ann, &api.id, "4.0.0", None).await.expect("v4");
    apis::transfer_ownership(&db, &ann, &v4.id, "pub@example.com", false).await.expect("v4 to the publisher");
    for step in ["publish", "deprecate", "retire"] {
        lifecycle::change(
            &db,
            &publisher,
            &v3.id,
            &LifecycleRequest { action: step.into(), confirm: true, ..Default::default() },
        )
        .await
        .expect(step);
    }
    let all = apis::transfer_ownership(&db, &ann, &v2.id, "ben@example.com", true).await.expect("all versions");
    assert_eq!(all.summary.owner, "ben@example.com");
    let owner_of = |id: String| {
        let db = db.clone();
        let publisher = publisher.clone();
        async move { apis::get(&db, &publisher, &id).await.expect("get").summary.owner }
    };
    assert_eq!(owner_of(api.id.clone()).await, "ben@example.com", "the first version moved with the one asked for");
    assert_eq!(owner_of(v3.id.clone()).await, "ann@example.com", "the retired version stays");
    assert_eq!(owner_of(v4.id.clone()).await, "pub@example.com", "a version someone else owns stays");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    assert_eq!(
        log.items
            .iter()
            .filter(|e| e.action == "api.owner_changed" && e.detail == "ann@example.com to ben@example.com")
            .count(),
        3,
        "the first move and the two of this one"
    );
}

async fn only_an_api_that_never_went_live_can_be_deleted(db: Db) {
    let creator = user(&db, "c@example.com", Role::Creator).await;
    let stranger = user(&db, "s@example.com", Role::Creator).await;
    let publisher = user(&db, "p@example.com", Role::Publisher).await;
    let api = import_text(&db, &creator, PETS).await.expect("import");
    revisions::create(&db, &creator, &api.id, "first").await.expect("revision");
    let not_theirs = lifecycle::delete(&db, &stranger, &api.id).await;
    assert!(matches!(not_theirs, Err(DomainError::Forbidden(_))), "{not_theirs:?}");
    lifecycle::delete(&db, &creator, &api.id).await.expect("delete");
    assert!(matches!(apis::get(&db, &creator, &api.id).await, Err(DomainError::NotFound(_))));
    assert!(revisions::list(&db, &api.id).await.expect("revisions").is_empty(), "its revisions went with it");
    let log = audit::list(&db, &Default::default()).await.expect("audit");
    assert!(
        log.items
            .iter()
            .any(|e| e.action == "api.deleted" && e.target == "Pet Store 1.0.0" && e.actor == "c@example.com")
    );

    // Published, it stays; demoted with a subscription, it stays too.
    let api = import_text(&db, &creator, PETS).await.expect("the name is free again");
    let publish = LifecycleRequest { action: "publish".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &api.id, &publish).await.expect("publish");
    let published = lifecycle::delete(&db, &publisher, &api.id).await;
    assert!(matches!(&published, Err(DomainError::Conflict(m)) if m.contains("is PUBLISHED")), "{published:?}");
    let ann = user(&db, "ann@example.com", Role::Consumer).await;
    let app = applications::create(&db, &ann, "Shop", "").await.expect("application");
    let tier = tiers::list(&db).await.expect("tiers").into_iter().next().expect("a tier exists").name;
    let request = NewSubscription { application_id: app.id, api_id: api.id.clone(), tier };
    subscriptions::subscribe(&db, &ann, &request).await.expect("subscribe");
    let demote = LifecycleRequest { action: "demote".into(), ..Default::default() };
    lifecycle::change(&db, &publisher, &api.id, &demote).await.expect("demote");
    let subscribed = lifecycle::delete(&db, &creator, &api.id).await;
    assert!(matches!(&subscribed, Err(DomainError::Conflict(m)) if m.contains("1 subscription")), "{subscribed:?}");
    assert!(apis::get(&db, &creator, &api.id).await.is_ok(), "still there");
}

db_tests!(
    ownership_moves_to_someone_who_can_design,
    backend_tls_is_checked_and_compared,
    import_twice_updates_and_search_finds,
    refused_import_stores_nothing_and_says_where,
    concurrent_saves_conflict_with_what_changed,
    revisions_freeze_and_diff,
    the_description_is_the_definitions,
    lifecycle_rules_hold,
    pages_are_newest_first_with_their_total,
    contexts_are_unique_among_live_apis,
    starting_an_api_that_exists_changes_nothing,
    the_management_api_is_listed_as_served_by_the_server,
    versions_copy_docs_and_link,
    a_large_reference_is_sent_as_an_outline_and_its_operations_one_at_a_time,
    project_archive_round_trips_into_an_empty_server,
    a_project_archive_is_checked_whole_and_brings_its_pages,
    a_project_archive_is_stored_whole_or_not_at_all,
    a_search_ranks_name_matches_first,
    a_swagger2_working_copy_converts_to_openapi3,
    cors_policies_are_checked_tidied_and_compared,
    backend_credentials_are_checked_tidied_and_compared,
    callers_addresses_are_tidied_refused_and_compared,
    keeping_answers_is_bounded_and_compared,
    backend_headers_are_tidied_refused_and_compared,
    checking_calls_is_kept_and_compared,
    an_admin_hands_a_leavers_apis_over,
    only_an_api_that_never_went_live_can_be_deleted,
);
