//! The key manager against a real `gatehouse serve`: tokens from `/oauth2/token` verify with a
//! third-party library (PyJWT) against `/.well-known/jwks.json`, tampering is caught, and a
//! rotated-out key keeps verifying its tokens until they expire. Afterwards no secret (client
//! secret, API key, access token, password) is found in clear in the database files or the log.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

const VERIFY: &str = r#"
import json, sys, urllib.request, jwt
base, token = sys.argv[1], sys.argv[2]
keys = json.load(urllib.request.urlopen(base + "/.well-known/jwks.json"))["keys"]
kid = jwt.get_unverified_header(token)["kid"]
key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="gatehouse-gateways", issuer="gatehouse")
print(json.dumps(claims))
"#;

struct Server {
    child: Child,
    url: String,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn cli(data: &Path, args: &[&str]) -> String {
    let out =
        Command::new(BIN).args(args).env("GATEHOUSE_DATA_DIR", data).env_remove("DATABASE_URL").output().expect("run");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn verify(server: &Server, token: &str) -> Result<serde_json::Value, String> {
    let out = Command::new("python3").args(["-c", VERIFY, &server.url, token]).output().expect("python3");
    if out.status.success() {
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

#[tokio::test]
async fn tokens_verify_with_pyjwt_and_survive_rotation_until_expiry() {
    let has_pyjwt =
        Command::new("python3").args(["-c", "import jwt, cryptography"]).status().is_ok_and(|s| s.success());
    if !has_pyjwt {
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "PyJWT is required under CI (scripts/setup.sh installs it)"
        );
        eprintln!("skipping: PyJWT is not installed");
        return;
    }
    let data = std::env::temp_dir().join(format!("gatehouse-oauth-{}", uuid::Uuid::new_v4()));
    cli(
        &data,
        &["user", "create", "--email", "shop@example.com", "--role", "consumer", "--password", "correct horse battery"],
    );
    cli(
        &data,
        &["user", "create", "--email", "root@example.com", "--role", "admin", "--password", "correct horse battery"],
    );
    let consumer = cli(&data, &["token", "create", "--email", "shop@example.com", "--name", "t"]);
    let admin = cli(&data, &["token", "create", "--email", "root@example.com", "--name", "t"]);
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let log = std::fs::File::create(data.join("server.log")).expect("log file");
    let child = Command::new(BIN)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("GATEHOUSE_DATA_DIR", &data)
        .env("RUST_LOG", "debug")
        .env_remove("DATABASE_URL")
        .env_remove("GATEHOUSE_PUBLIC_URL")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("serve");
    let server = Server { child, url: format!("http://127.0.0.1:{port}"), data };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let http = reqwest::Client::new();
    let app: serde_json::Value = http
        .post(format!("{}/api/v1/applications", server.url))
        .bearer_auth(&consumer)
        .json(&serde_json::json!({ "name": "Shop" }))
        .send()
        .await
        .expect("create app")
        .json()
        .await
        .expect("json");
    let app_id = app["id"].as_str().expect("id");
    let creds: serde_json::Value = http
        .post(format!("{}/api/v1/applications/{app_id}/credentials", server.url))
        .bearer_auth(&consumer)
        .json(&serde_json::json!({ "key_type": "production" }))
        .send()
        .await
        .expect("credentials")
        .json()
        .await
        .expect("json");
    let (client_id, secret) =
        (creds["client_id"].as_str().expect("id"), creds["client_secret"].as_str().expect("secret"));

    let token_for = |basic: bool| {
        let request = http.post(format!("{}/oauth2/token", server.url));
        let request = if basic {
            request.basic_auth(client_id, Some(secret)).form(&[("grant_type", "client_credentials")])
        } else {
            request.form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)])
        };
        async move { request.send().await.expect("token") }
    };
    let answer = token_for(true).await;
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().expect("token").to_string();

    let claims = verify(&server, &token).expect("PyJWT verifies the token");
    assert_eq!(claims["application_id"], app_id);
    assert_eq!(claims["key_type"], "production");
    assert_eq!(claims["sub"], client_id);

    // Tampering with the claims breaks the signature.
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = base64_url(&serde_json::to_vec(&serde_json::json!({ "application_id": "someone-else", "aud": "gatehouse-gateways", "iss": "gatehouse", "exp": 9_999_999_999_i64 })).expect("json"));
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert!(verify(&server, &forged).is_err(), "a tampered token must not verify");

    // Form authentication works too; a wrong secret is refused the OAuth2 way.
    assert_eq!(token_for(false).await.status(), 200);
    let refused = http
        .post(format!("{}/oauth2/token", server.url))
        .basic_auth(client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<serde_json::Value>().await.expect("json")["error"], "invalid_client");
    let unsupported = http
        .post(format!("{}/oauth2/token", server.url))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("send");
    assert_eq!(unsupported.json::<serde_json::Value>().await.expect("json")["error"], "unsupported_grant_type");

    // Rotation: new tokens use the new key; the old token still verifies until it expires.
    let rotated =
        http.post(format!("{}/api/v1/keys/rotate", server.url)).bearer_auth(&admin).send().await.expect("rotate");
    assert_eq!(rotated.status(), 200);
    let denied =
        http.post(format!("{}/api/v1/keys/rotate", server.url)).bearer_auth(&consumer).send().await.expect("rotate");
    assert_eq!(denied.status(), 403);
    let fresh: serde_json::Value = token_for(true).await.json().await.expect("json");
    let fresh = fresh["access_token"].as_str().expect("token").to_string();
    assert_ne!(kid(&fresh), kid(&token), "new tokens are signed with the new key");
    verify(&server, &fresh).expect("the new token verifies");
    verify(&server, &token).expect("a rotated-out key still verifies its tokens until they expire");

    // An API key too, then look for every secret in the database files and the server's log.
    let key: serde_json::Value = http
        .post(format!("{}/api/v1/applications/{app_id}/api-keys", server.url))
        .bearer_auth(&consumer)
        .json(&serde_json::json!({ "key_type": "sandbox" }))
        .send()
        .await
        .expect("api key")
        .json()
        .await
        .expect("json");
    let api_key = key["key"].as_str().expect("key").to_string();
    let mut haystack = Vec::new();
    for entry in std::fs::read_dir(&server.data).expect("data dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("gatehouse.db") || name == "server.log" {
            haystack.extend(std::fs::read(entry.path()).expect("read"));
        }
    }
    assert!(haystack.len() > 10_000, "the database and log were read");
    let text = String::from_utf8_lossy(&haystack);
    for (what, secret) in [
        ("client secret", secret),
        ("API key", api_key.as_str()),
        ("access token", consumer.as_str()),
        ("admin token", admin.as_str()),
    ] {
        assert!(!text.contains(secret), "the {what} appears in clear in the database or the log");
    }
    assert!(!text.contains("correct horse battery"), "a password appears in clear");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().expect("header");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url");
    serde_json::from_slice::<serde_json::Value>(&json).expect("header json")["kid"].as_str().expect("kid").to_string()
}
