//! The CLI's client of a running server's REST API (`gatehouse api …`), for pipelines: the
//! same calls a script would make with curl, with errors shown as the server phrased them.

use crate::http::api::apis::LifecycleOutcome;
use gatehouse_contract::{ApiSummary, ImportOutcome, LifecycleState, Page};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub struct Remote {
    /// The server's root, where `/oauth2/token` is.
    server: String,
    /// The REST API's root: `<server>/api/v1`.
    base: String,
    token: String,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot reach {0}: {1}")]
    Unreachable(String, String),
    #[error("{status}: {message}")]
    Server { status: StatusCode, message: String },
    #[error("{0}")]
    Usage(String),
}

type Result<T> = std::result::Result<T, RemoteError>;

impl Remote {
    pub fn new(server: &str, token: &str) -> Result<Self> {
        if token.trim().is_empty() {
            return Err(RemoteError::Usage("a personal access token is needed: --token or GATEHOUSE_TOKEN".into()));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("gatehouse-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::Usage(e.to_string()))?;
        let server = server.trim_end_matches('/').to_string();
        Ok(Remote { base: format!("{server}/api/v1"), server, token: token.trim().to_string(), http })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| RemoteError::Unreachable(self.base.clone(), e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let mut message = body["error"]["message"].as_str().unwrap_or("request failed").to_string();
        if let Some(details) = body["error"]["details"].as_array() {
            for d in details.iter().take(20) {
                message.push_str(&format!(
                    "\n  {}{}:{} {} ({})",
                    d["file"].as_str().map(|f| format!("{f}:")).unwrap_or_default(),
                    d["line"],
                    d["column"],
                    d["message"].as_str().unwrap_or_default(),
                    d["pointer"].as_str().unwrap_or_default()
                ));
            }
        }
        Err(RemoteError::Server { status, message })
    }

    async fn json<T: DeserializeOwned>(&self, response: reqwest::Response) -> Result<T> {
        response
            .json()
            .await
            .map_err(|e| RemoteError::Unreachable(self.base.clone(), format!("unexpected answer: {e}")))
    }

    pub async fn list(&self, query: &str, state: Option<&str>) -> Result<Page<ApiSummary>> {
        let state = state.map(str::to_uppercase);
        let mut params = vec![("q", query), ("limit", "200")];
        params.extend(state.as_deref().map(|state| ("state", state)));
        self.get_with("/apis", &params).await
    }

    /// The API with exactly this name and version.
    pub async fn find(&self, name: &str, version: &str) -> Result<ApiSummary> {
        self.list(name, None)
            .await?
            .items
            .into_iter()
            .find(|a| a.name == name && a.version == version)
            .ok_or_else(|| RemoteError::Usage(format!("no API named `{name}` with version `{version}`")))
    }

    pub async fn export(&self, id: &str) -> Result<Vec<u8>> {
        let response = self.send(self.http.get(format!("{}/apis/{id}/export", self.base))).await?;
        response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| RemoteError::Unreachable(self.base.clone(), e.to_string()))
    }

    /// Import a project archive (zip with api.yaml) or a definition (YAML, JSON, or zip).
    pub async fn import(&self, bytes: Vec<u8>, context: Option<&str>, entry: Option<&str>) -> Result<ImportOutcome> {
        let mut params = Vec::new();
        if let Some(c) = context {
            params.push(("context", c));
        }
        if let Some(e) = entry {
            params.push(("entry", e));
        }
        // A zip is a split definition or a project archive; the server tells them apart.
        let kind = if bytes.starts_with(b"PK\x03\x04") { "application/zip" } else { "application/yaml" };
        let request = self.http.post(format!("{}/apis/import", self.base)).query(&params).header("content-type", kind);
        let response = self.send(request.body(bytes)).await?;
        self.json(response).await
    }

    /// The API with exactly this name and version among those the portal lists to the caller.
    pub async fn find_in_portal(&self, name: &str, version: &str) -> Result<ApiSummary> {
        let page: Page<ApiSummary> = self.get_with("/portal/apis", &[("q", name), ("limit", "100")]).await?;
        page.items.into_iter().find(|a| a.name == name && a.version == version).ok_or_else(|| {
            RemoteError::Usage(format!(
                "the portal lists no API named `{name}` with version `{version}` to you (it lists published, \
                 prototyped and deprecated APIs)"
            ))
        })
    }

    /// An access token for an OAuth2 client from the server's `/oauth2/token`, with only the
    /// scopes named in `scope` when it names any.
    pub async fn access_token(&self, client_id: &str, client_secret: &str, scope: Option<&str>) -> Result<AccessToken> {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(scope.map(|s| ("scope", s)));
        let request = self
            .http
            .post(format!("{}/oauth2/token", self.server))
            .basic_auth(client_id, Some(client_secret))
            .form(&form);
        let response =
            request.send().await.map_err(|e| RemoteError::Unreachable(self.server.clone(), e.to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = body["error_description"].as_str().or(body["error"].as_str()).unwrap_or("no token");
            return Err(RemoteError::Server { status, message: message.to_string() });
        }
        serde_json::from_value(body)
            .map_err(|e| RemoteError::Unreachable(self.server.clone(), format!("unexpected answer: {e}")))
    }

    pub async fn change_status(&self, id: &str, action: &str, comment: &str, confirm: bool) -> Result<LifecycleState> {
        let body = serde_json::json!({ "action": action, "comment": comment, "confirm": confirm });
        let outcome: LifecycleOutcome = self.post(&format!("/apis/{id}/lifecycle"), &body).await?;
        Ok(outcome.state)
    }
}

impl Remote {
    /// GET a typed answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.get_with(path, &[]).await
    }

    /// GET a typed answer, with query parameters.
    pub async fn get_with<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        let response = self.send(self.http.get(format!("{}{path}", self.base)).query(query)).await?;
        self.json(response).await
    }

    /// POST a JSON body and read a typed answer.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T> {
        let response = self.send(self.http.post(format!("{}{path}", self.base)).json(body)).await?;
        self.json(response).await
    }

    /// POST a text body of the given type and read a typed answer.
    pub async fn post_text<T: DeserializeOwned>(&self, path: &str, body: String, content_type: &str) -> Result<T> {
        let request = self.http.post(format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        let response = self.send(request).await?;
        self.json(response).await
    }

    /// POST a JSON body to a route that answers 204 No Content.
    pub async fn post_no_content(&self, path: &str, body: &Value) -> Result<()> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body)).await.map(drop)
    }

    /// DELETE what a route names (it answers 204 No Content).
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.send(self.http.delete(format!("{}{path}", self.base))).await.map(drop)
    }

    /// DELETE what a route and its query parameters name, and read a typed answer.
    pub async fn delete_for<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        let response = self.send(self.http.delete(format!("{}{path}", self.base)).query(query)).await?;
        self.json(response).await
    }

    /// PUT a JSON body and read a typed answer.
    pub async fn put<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T> {
        let response = self.send(self.http.put(format!("{}{path}", self.base)).json(body)).await?;
        self.json(response).await
    }

    /// PUT a JSON body to a route that answers 204 No Content.
    pub async fn put_no_content(&self, path: &str, body: &Value) -> Result<()> {
        self.send(self.http.put(format!("{}{path}", self.base)).json(body)).await.map(drop)
    }
}

/// What `/oauth2/token` answers, as far as the CLI reads it.
#[derive(Debug, serde::Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub expires_in: i64,
    /// The scopes granted, separated by spaces.
    #[serde(default)]
    pub scope: Option<String>,
}
