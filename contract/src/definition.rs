//! The normalized model of an API definition: what the UI, the gateway bundle and the diff use,
//! derived from the original document (Swagger 2.0, OpenAPI 3.0 or 3.1), which stays the source
//! of truth.

use serde::{Deserialize, Serialize};

/// A located finding about a document. `pointer` is a JSON pointer into `file` (the entry
/// document when `file` is `None`); `line`/`column` are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnostic {
    pub pointer: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SpecVersion {
    #[serde(rename = "2.0")]
    Swagger2,
    #[serde(rename = "3.0")]
    OpenApi30,
    #[serde(rename = "3.1")]
    OpenApi31,
}

impl SpecVersion {
    pub fn label(self) -> &'static str {
        match self {
            SpecVersion::Swagger2 => "Swagger 2.0",
            SpecVersion::OpenApi30 => "OpenAPI 3.0",
            SpecVersion::OpenApi31 => "OpenAPI 3.1",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiModel {
    pub title: String,
    /// `info.version` of the document.
    pub version: String,
    pub description: String,
    pub servers: Vec<String>,
    pub tags: Vec<TagInfo>,
    pub operations: Vec<Operation>,
    /// 3.1 webhooks: operations the API calls, not serves.
    pub webhooks: Vec<Operation>,
    pub security_schemes: Vec<SecurityScheme>,
    /// Global security: alternatives, each a set of scheme names (with scopes).
    pub security: Vec<SecurityRequirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagInfo {
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// Resource template, e.g. `/pets/{petId}`.
    pub path: String,
    pub operation_id: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// `None`: the global security applies. `Some(vec![])`: no security.
    pub security: Option<Vec<SecurityRequirement>>,
}

impl Operation {
    /// `GET /pets/{petId}`: how operations are named in the UI and the diff.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parameter {
    pub name: String,
    /// path, query, header or cookie.
    pub location: String,
    pub required: bool,
    pub description: String,
    pub deprecated: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schema: serde_json::Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestBody {
    pub required: bool,
    pub description: String,
    pub content: Vec<MediaType>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Response {
    /// Status code, a range like `4XX`, or `default`.
    pub status: String,
    pub description: String,
    pub content: Vec<MediaType>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaType {
    pub content_type: String,
    /// JSON Schema; `$ref`s point into the bundled document.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub schema: serde_json::Value,
    /// The first example given (media type `example`, first of `examples`, or the schema's).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub example: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityScheme {
    pub name: String,
    /// apiKey, http, oauth2, openIdConnect, mutualTLS.
    pub kind: String,
    /// For apiKey: where the key goes (header, query, cookie) and its name.
    pub location: String,
    pub parameter_name: String,
    /// For http: basic, bearer, …
    pub scheme: String,
    pub description: String,
    /// For oauth2: the scopes its flows declare (2.0: the scheme's own), each once.
    #[serde(default)]
    pub scopes: Vec<Scope>,
}

/// An OAuth2 scope: what an access token may be granted, and what the grant means.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scope {
    /// `read:pets`: a scope-token of RFC 6749 (printable ASCII, no spaces, quotes or backslashes).
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// In an API's policies: the subscription tiers whose applications may be granted the
    /// scope (`["Gold"]` keeps writes from Bronze subscribers); empty, every subscription. A
    /// definition's own scopes have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityRequirement {
    /// Every scheme of one requirement applies together.
    pub schemes: Vec<SchemeScopes>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemeScopes {
    pub name: String,
    pub scopes: Vec<String>,
}
