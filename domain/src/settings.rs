//! Settings an admin changes while Gatehouse runs (Admin → Settings, `/api/v1/settings`). Each
//! is stored as one JSON value under its name; a name with no row has its default.

use crate::store::now_ms;
use crate::{Actor, Db, DomainError, Result, audit};
use gatehouse_contract::{Permission, Settings, SignUpMode, SignUpPolicy};
use serde::Serialize;
use serde::de::DeserializeOwned;

const SIGN_UP: &str = "sign_up";

/// More would make the sign-up page's hint a wall of text; a bigger organisation closes
/// sign-up and adds accounts.
const MAX_SIGN_UP_DOMAINS: usize = 50;

/// Every setting, with defaults where none was saved (admin).
pub async fn get(db: &Db, actor: &Actor) -> Result<Settings> {
    actor.require(Permission::Administer)?;
    Ok(Settings { sign_up: sign_up_policy(db).await? })
}

/// Check and save every setting (admin); audited with what each became.
pub async fn update(db: &Db, actor: &Actor, settings: Settings) -> Result<Settings> {
    actor.require(Permission::Administer)?;
    let sign_up = checked_sign_up(settings.sign_up)?;
    write(db, actor, SIGN_UP, &sign_up).await?;
    audit::record(db, &actor.email, "settings.updated", SIGN_UP, &describe(&sign_up)).await?;
    Ok(Settings { sign_up })
}

/// Who may sign up. Anyone may read it: the sign-up page says what it allows.
pub async fn sign_up_policy(db: &Db) -> Result<SignUpPolicy> {
    Ok(read(db, SIGN_UP).await?.unwrap_or_default())
}

/// Whether `policy` lets `email` (normalised) sign up; the refusal says why.
pub(crate) fn admit_sign_up(policy: &SignUpPolicy, email: &str) -> Result<()> {
    match policy.mode {
        SignUpMode::Open => Ok(()),
        SignUpMode::Closed => Err(DomainError::Forbidden("sign-up is closed: ask an admin for an account".into())),
        SignUpMode::Domains => {
            let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
            if policy.domains.iter().any(|d| d == domain) {
                Ok(())
            } else {
                Err(DomainError::invalid(
                    "email",
                    format!("sign-up is open to addresses at {} only", policy.domains.join(", ")),
                ))
            }
        }
    }
}

/// The policy with its domains lower-cased, without a leading `@` and without repeats; refused
/// when a domain is not a host name or `domains` mode names none.
fn checked_sign_up(policy: SignUpPolicy) -> Result<SignUpPolicy> {
    const FIELD: &str = "sign_up.domains";
    let mut domains: Vec<String> = Vec::new();
    for given in &policy.domains {
        let domain = given.trim().trim_start_matches('@').to_lowercase();
        if domain.is_empty() {
            continue;
        }
        if !is_host_name(&domain) {
            return Err(DomainError::invalid(
                FIELD,
                format!("`{}` is not a domain name (letters, digits and hyphens between dots)", given.trim()),
            ));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > MAX_SIGN_UP_DOMAINS {
        return Err(DomainError::invalid(FIELD, format!("at most {MAX_SIGN_UP_DOMAINS} domains")));
    }
    if policy.mode == SignUpMode::Domains && domains.is_empty() {
        return Err(DomainError::invalid(FIELD, "name at least one domain, or open or close sign-up"));
    }
    Ok(SignUpPolicy { mode: policy.mode, domains })
}

/// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn describe(policy: &SignUpPolicy) -> String {
    match policy.mode {
        SignUpMode::Open => "sign-up open to anyone".into(),
        SignUpMode::Domains => format!("sign-up open to {}", policy.domains.join(", ")),
        SignUpMode::Closed => "sign-up closed".into(),
    }
}

async fn read<T: DeserializeOwned>(db: &Db, name: &str) -> Result<Option<T>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT value FROM settings WHERE name = $1").bind(name).fetch_optional(&db.pool).await?;
    row.map(|(value,)| {
        serde_json::from_str(&value).map_err(|e| DomainError::Internal(format!("setting {name} is unreadable: {e}")))
    })
    .transpose()
}

async fn write<T: Serialize>(db: &Db, actor: &Actor, name: &str, value: &T) -> Result<()> {
    let value = serde_json::to_string(value).map_err(|e| DomainError::Internal(format!("setting {name}: {e}")))?;
    sqlx::query(
        "INSERT INTO settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(name)
    .bind(value)
    .bind(now_ms())
    .bind(&actor.email)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        let policy = |domains: &[&str]| SignUpPolicy {
            mode: SignUpMode::Domains,
            domains: domains.iter().map(|d| d.to_string()).collect(),
        };
        let checked = checked_sign_up(policy(&[" Example.COM", "@corp.example", "example.com", ""])).expect("valid");
        assert_eq!(checked.domains, ["example.com", "corp.example"]);
        for bad in ["ex ample.com", "-x.com", "x..com", "x.com/"] {
            let refused = checked_sign_up(policy(&[bad]));
            assert!(
                matches!(&refused, Err(DomainError::Invalid { field, message }) if field == "sign_up.domains" && message.contains(bad.trim())),
                "{bad}: {refused:?}"
            );
        }
        assert!(checked_sign_up(policy(&[])).is_err(), "domains mode names at least one");
        let closed = SignUpPolicy { mode: SignUpMode::Closed, domains: vec![] };
        assert_eq!(checked_sign_up(closed.clone()).expect("closed needs no domain"), closed);
    }

    #[test]
    fn only_the_named_domains_sign_up() {
        let policy = SignUpPolicy { mode: SignUpMode::Domains, domains: vec!["example.com".into()] };
        assert!(admit_sign_up(&policy, "ann@example.com").is_ok());
        for other in ["ann@eu.example.com", "ann@example.com.evil", "ann@other.org"] {
            assert!(
                matches!(admit_sign_up(&policy, other), Err(DomainError::Invalid { ref field, .. }) if field == "email"),
                "{other}"
            );
        }
        let closed = SignUpPolicy { mode: SignUpMode::Closed, domains: vec!["example.com".into()] };
        assert!(matches!(admit_sign_up(&closed, "ann@example.com"), Err(DomainError::Forbidden(_))));
    }
}
