//! The one error type of the domain. Each variant maps to one HTTP status at the edges.

use thiserror::Error;

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum DomainError {
    /// Missing or wrong credentials. The message never says which part was wrong.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    /// Input that cannot be accepted; `field` names where the problem is.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    /// A document that cannot be accepted as written, with every located finding.
    #[error("{message}")]
    Unprocessable { message: String, details: Vec<gatehouse_contract::Diagnostic> },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// A service we depend on (a Git host) refused or did not answer; the message says what it
    /// said, with no credential in it, for the people who can fix it.
    #[error("{0}")]
    Upstream(String),
    /// A failure of ours, not the caller's; logged with detail, answered generically.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid { field: field.into(), message: message.into() }
    }

    /// Stable machine-readable code for REST error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Unauthorized(_) => "unauthorized",
            DomainError::Forbidden(_) => "forbidden",
            DomainError::NotFound(_) => "not_found",
            DomainError::Invalid { .. } => "invalid",
            DomainError::Conflict(_) => "conflict",
            DomainError::Unprocessable { .. } => "unprocessable",
            DomainError::Throttled { .. } => "throttled",
            DomainError::Upstream(_) => "upstream",
            DomainError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to a caller: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            DomainError::Internal(_) => "something went wrong on our side; it has been logged".into(),
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for DomainError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => DomainError::NotFound("record".into()),
            _ => DomainError::Internal(format!("database: {err}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for DomainError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        DomainError::Internal(format!("migration: {err}"))
    }
}

/// True when a database error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
                // The Any driver does not always carry the kind through; fall back to the codes.
                || matches!(db.code().as_deref(), Some("23505") | Some("2067") | Some("1555"))
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
