//! Applications and credentials on SQLite and PostgreSQL: secrets shown once and stored
//! hashed, regeneration, revocation, expiry checks, and nobody reaches another's application.

use gatehouse_contract::Role;
use gatehouse_domain::{Actor, Db, DomainError, accounts, applications, audit, db_tests};

async fn user(db: &Db, email: &str) -> Actor {
    let u =
        accounts::create_user(db, audit::SYSTEM, email, "correct horse battery", Role::Consumer).await.expect("user");
    accounts::actor_by_id(db, &u.id).await.expect("load").expect("exists")
}

async fn credentials_are_hashed_regenerated_and_private(db: Db) {
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let app = applications::create(&db, &ann, "Shop", "my shop").await.expect("create");
    assert!(matches!(applications::create(&db, &ann, "Shop", "").await, Err(DomainError::Conflict(_))));

    let first = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("client");
    assert_eq!(
        applications::verify_client(&db, &first.client_id, &first.client_secret).await.expect("verify"),
        (app.id.clone(), "production".to_string())
    );
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT secret_hash FROM app_credentials").fetch_all(&db.pool).await.expect("rows");
    assert!(
        stored.iter().all(|(h,)| h != &first.client_secret && !h.contains(&first.client_secret[4..])),
        "only hashes are stored"
    );

    let second = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("regenerate");
    assert_eq!(second.client_id, first.client_id, "regenerating keeps the client id");
    assert!(
        applications::verify_client(&db, &first.client_id, &first.client_secret).await.is_err(),
        "the old secret stops working"
    );
    assert!(applications::verify_client(&db, &second.client_id, &second.client_secret).await.is_ok());
    assert_eq!(second.previous_secret_until, None);

    // Regenerated with an overlap, the previous secret works beside the new one for that long.
    let too_long = applications::client_secret(&db, &ann, &app.id, "production", 8 * 24 * 3600).await;
    assert!(matches!(too_long, Err(DomainError::Invalid { ref field, .. }) if field == "keep_previous_seconds"));
    let third = applications::client_secret(&db, &ann, &app.id, "production", 3600).await.expect("overlap");
    let until = third.previous_secret_until.expect("the previous secret's end");
    assert!((3_599_000..=3_601_000).contains(&(until - gatehouse_domain::store::now_ms())), "{until}");
    for secret in [&second.client_secret, &third.client_secret] {
        assert!(applications::verify_client(&db, &third.client_id, secret).await.is_ok(), "both work");
    }
    assert!(applications::verify_client(&db, &third.client_id, &first.client_secret).await.is_err());
    let listed = applications::get(&db, &ann, &app.id).await.expect("get");
    assert_eq!(listed.credentials[0].previous_secret_until, Some(until), "the list says until when");
    // Its time up, it stops working.
    sqlx::query("UPDATE app_credentials SET previous_valid_until = $1")
        .bind(gatehouse_domain::store::now_ms() - 1)
        .execute(&db.pool)
        .await
        .expect("age it");
    assert!(applications::verify_client(&db, &third.client_id, &second.client_secret).await.is_err());
    assert_eq!(applications::get(&db, &ann, &app.id).await.expect("get").credentials[0].previous_secret_until, None);
    // Regenerated at once, the one kept stops too.
    let fourth = applications::client_secret(&db, &ann, &app.id, "production", 3600).await.expect("overlap");
    let fifth = applications::client_secret(&db, &ann, &app.id, "production", 0).await.expect("at once");
    assert!(applications::verify_client(&db, &fifth.client_id, &third.client_secret).await.is_err());
    assert!(applications::verify_client(&db, &fifth.client_id, &fourth.client_secret).await.is_err());
    let second = fifth;

    let past = applications::api_key(&db, &ann, &app.id, "sandbox", Some(1)).await;
    assert!(matches!(past, Err(DomainError::Invalid { ref field, .. }) if field == "expires_at"));
    let key = applications::api_key(&db, &ann, &app.id, "sandbox", None).await.expect("api key");
    let listed = applications::get(&db, &ann, &app.id).await.expect("get");
    assert_eq!(listed.credentials.len(), 2);
    assert!(listed.credentials.iter().all(|c| !c.prefix.is_empty() && c.prefix.len() < 12));
    applications::revoke(&db, &ann, &app.id, &key.id).await.expect("revoke");
    assert!(
        applications::get(&db, &ann, &app.id)
            .await
            .expect("get")
            .credentials
            .iter()
            .any(|c| c.id == key.id && c.revoked_at.is_some())
    );

    // Bob can neither see nor touch Ann's application.
    assert!(matches!(applications::get(&db, &bob, &app.id).await, Err(DomainError::NotFound(_))));
    assert!(matches!(
        applications::client_secret(&db, &bob, &app.id, "production", 0).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(applications::list(&db, &bob).await.expect("list").is_empty());
    applications::delete(&db, &ann, &app.id).await.expect("delete");
    assert!(
        applications::verify_client(&db, &second.client_id, &second.client_secret).await.is_err(),
        "deleting the application ends its clients"
    );
}

db_tests!(credentials_are_hashed_regenerated_and_private);
