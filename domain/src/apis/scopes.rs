//! OAuth2 scopes: the ones an API defines, the ones each operation requires, checked when
//! settings are saved, and what a new API takes from its definition's OAuth2 security schemes.

use crate::{DomainError, Result};
use gatehouse_contract::{ApiModel, OperationScopes, Policies, Scope};

/// Longest scope name, and most scopes one API defines: a token carries the scopes it was
/// granted, and a gateway reads them on every call.
const MAX_NAME: usize = 100;
const MAX_SCOPES: usize = 100;
const MAX_DESCRIPTION: usize = 500;

/// A scope-token of RFC 6749 §3.3 of at most [`MAX_NAME`] characters.
pub fn is_scope_name(name: &str) -> bool {
    name.len() <= MAX_NAME && gatehouse_contract::is_scope_token(name)
}

/// Names as typed into a list: trimmed, each once, blanks dropped.
fn tidy(names: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty() && seen.insert(n.clone())).collect()
}

/// Tidy and check the scopes of `policies` on their own: names valid and each defined once,
/// bound only to tiers the API offers, every scope an operation requires defined, each
/// operation listed once and callable by some tier; an operation listed with no scopes is
/// dropped, as it requires none.
pub(crate) fn check(policies: &mut Policies) -> Result<()> {
    for scope in &mut policies.scopes {
        scope.name = scope.name.trim().to_string();
        scope.description = scope.description.trim().to_string();
        scope.tiers = tidy(&scope.tiers);
    }
    if policies.scopes.len() > MAX_SCOPES {
        return Err(DomainError::invalid("policies.scopes", format!("at most {MAX_SCOPES} scopes per API")));
    }
    for (i, scope) in policies.scopes.iter().enumerate() {
        if !is_scope_name(&scope.name) {
            return Err(DomainError::invalid(
                format!("policies.scopes[{i}].name"),
                format!(
                    "`{}` is not a scope name: 1 to {MAX_NAME} printable ASCII characters without spaces, quotes or backslashes",
                    scope.name
                ),
            ));
        }
        if policies.scopes[..i].iter().any(|s| s.name == scope.name) {
            return Err(DomainError::invalid(
                format!("policies.scopes[{i}].name"),
                format!("scope `{}` is defined twice", scope.name),
            ));
        }
        if scope.description.chars().count() > MAX_DESCRIPTION {
            return Err(DomainError::invalid(
                format!("policies.scopes[{i}].description"),
                format!("at most {MAX_DESCRIPTION} characters"),
            ));
        }
        // A tier the API does not offer would be a typo or a tier taken away: the scope would
        // silently be granted to nobody.
        if let Some(tier) = scope.tiers.iter().find(|t| !policies.tiers.contains(t)) {
            return Err(DomainError::invalid(
                format!("policies.scopes[{i}].tiers"),
                format!("scope `{}` is bound to tier `{tier}`, which this API does not offer", scope.name),
            ));
        }
    }
    for entry in &mut policies.operation_scopes {
        entry.operation = entry.operation.trim().to_string();
        entry.scopes = tidy(&entry.scopes);
    }
    policies.operation_scopes.retain(|o| !o.scopes.is_empty());
    for (i, entry) in policies.operation_scopes.iter().enumerate() {
        if policies.operation_scopes[..i].iter().any(|o| o.operation == entry.operation) {
            return Err(DomainError::invalid(
                format!("policies.operation_scopes[{i}].operation"),
                format!("`{}` is listed twice", entry.operation),
            ));
        }
        if let Some(unknown) = entry.scopes.iter().find(|s| !policies.scopes.iter().any(|d| &d.name == *s)) {
            return Err(DomainError::invalid(
                format!("policies.operation_scopes[{i}].scopes"),
                format!("`{}` requires scope `{unknown}`, which this API does not define", entry.operation),
            ));
        }
        if policies.tiers_of(&entry.operation).is_some_and(|tiers| tiers.is_empty()) {
            return Err(DomainError::invalid(
                format!("policies.operation_scopes[{i}].scopes"),
                format!(
                    "`{}` requires scopes {} bound to tiers with none in common: no subscription could call it",
                    entry.operation,
                    entry.scopes.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Refuse scopes required of an operation the definition does not have (a typo would
/// otherwise leave the real operation open to every token).
pub(crate) fn check_operations(policies: &Policies, model: &ApiModel) -> Result<()> {
    for (i, entry) in policies.operation_scopes.iter().enumerate() {
        if !model.operations.iter().any(|op| op.key() == entry.operation) {
            return Err(DomainError::invalid(
                format!("policies.operation_scopes[{i}].operation"),
                format!("the definition has no operation `{}` (write it as `POST /pets`)", entry.operation),
            ));
        }
    }
    Ok(())
}

/// The scopes a definition declares in its OAuth2 security schemes, and the ones each
/// operation's security asks of them: what a new API starts with. Where an operation offers
/// alternatives, the first that uses an OAuth2 scheme counts (one set of scopes per operation
/// is what the gateway enforces). Names that are not valid scope names are left out.
pub(crate) fn from_definition(model: &ApiModel) -> (Vec<Scope>, Vec<OperationScopes>) {
    let oauth2: Vec<_> = model.security_schemes.iter().filter(|s| s.kind == "oauth2").collect();
    let mut defined: Vec<Scope> = Vec::new();
    for scope in oauth2.iter().flat_map(|s| &s.scopes) {
        if is_scope_name(&scope.name) && !defined.iter().any(|d| d.name == scope.name) && defined.len() < MAX_SCOPES {
            let description = scope.description.chars().take(MAX_DESCRIPTION).collect();
            defined.push(Scope { name: scope.name.clone(), description, tiers: vec![] });
        }
    }
    let operations = model
        .operations
        .iter()
        .filter_map(|op| {
            let requirements = op.security.as_ref().unwrap_or(&model.security);
            let first =
                requirements.iter().find(|r| r.schemes.iter().any(|s| oauth2.iter().any(|o| o.name == s.name)))?;
            let mut scopes: Vec<String> = Vec::new();
            for name in first.schemes.iter().filter(|s| oauth2.iter().any(|o| o.name == s.name)).flat_map(|s| &s.scopes)
            {
                if defined.iter().any(|d| &d.name == name) && !scopes.contains(name) {
                    scopes.push(name.clone());
                }
            }
            (!scopes.is_empty()).then(|| OperationScopes { operation: op.key(), scopes })
        })
        .collect();
    (defined, operations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_contract::{Operation, SchemeScopes, SecurityRequirement, SecurityScheme};

    fn scope(name: &str) -> Scope {
        Scope { name: name.into(), description: String::new(), tiers: vec![] }
    }

    fn requires(operation: &str, scopes: &[&str]) -> OperationScopes {
        OperationScopes { operation: operation.into(), scopes: scopes.iter().map(|s| s.to_string()).collect() }
    }

    fn field_of(result: Result<()>) -> String {
        match result {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn scope_names_follow_rfc_6749() {
        assert!(is_scope_name("read:pets"));
        assert!(is_scope_name("https://api.example.com/pets.write"));
        for bad in ["", "read pets", "say\"hi\"", "back\\slash", "café", &"x".repeat(101)] {
            assert!(!is_scope_name(bad), "{bad:?} passed");
        }
    }

    #[test]
    fn check_tidies_and_refuses_with_the_place() {
        let mut policies = Policies {
            scopes: vec![
                Scope { name: " read:pets ".into(), description: " Read them ".into(), tiers: vec![] },
                scope("write:pets"),
            ],
            operation_scopes: vec![
                requires("GET /pets", &["read:pets", " read:pets", ""]),
                requires("DELETE /pets/{id}", &[]),
            ],
            ..Policies::default()
        };
        check(&mut policies).expect("valid");
        assert_eq!(
            policies.scopes[0],
            Scope { name: "read:pets".into(), description: "Read them".into(), tiers: vec![] }
        );
        assert_eq!(policies.operation_scopes, vec![requires("GET /pets", &["read:pets"])], "tidied, empty dropped");

        let mut twice = Policies { scopes: vec![scope("a"), scope("a")], ..Policies::default() };
        assert_eq!(field_of(check(&mut twice)), "policies.scopes[1].name");
        let mut spaced = Policies { scopes: vec![scope("a b")], ..Policies::default() };
        assert_eq!(field_of(check(&mut spaced)), "policies.scopes[0].name");
        let mut undefined = Policies {
            scopes: vec![scope("a")],
            operation_scopes: vec![requires("GET /x", &["a"]), requires("GET /y", &["a", "b"])],
            ..Policies::default()
        };
        assert_eq!(field_of(check(&mut undefined)), "policies.operation_scopes[1].scopes");
        let mut listed_twice = Policies {
            scopes: vec![scope("a")],
            operation_scopes: vec![requires("GET /x", &["a"]), requires("GET /x", &["a"])],
            ..Policies::default()
        };
        assert_eq!(field_of(check(&mut listed_twice)), "policies.operation_scopes[1].operation");
    }

    #[test]
    fn scopes_bind_to_tiers_the_api_offers_and_operations_to_the_tiers_they_share() {
        let bound =
            |name: &str, tiers: &[&str]| Scope { tiers: tiers.iter().map(|t| t.to_string()).collect(), ..scope(name) };
        let offered = |scopes: Vec<Scope>, operation_scopes: Vec<OperationScopes>| Policies {
            scopes,
            operation_scopes,
            tiers: vec!["Bronze".into(), "Gold".into(), "Unlimited".into()],
            ..Policies::default()
        };
        let mut policies = offered(
            vec![scope("read"), bound("write", &[" Gold", "Unlimited", "Gold", ""]), bound("purge", &["Unlimited"])],
            vec![
                requires("GET /x", &["read"]),
                requires("POST /x", &["read", "write"]),
                requires("DELETE /x", &["write", "purge"]),
            ],
        );
        check(&mut policies).expect("valid");
        assert_eq!(policies.scopes[1].tiers, ["Gold", "Unlimited"], "tidied");
        assert_eq!(policies.tiers_of("GET /x"), None, "no bound scope: any tier");
        assert_eq!(policies.tiers_of("POST /x"), Some(vec!["Gold".into(), "Unlimited".into()]));
        assert_eq!(policies.tiers_of("DELETE /x"), Some(vec!["Unlimited".into()]), "every bound scope's tiers");
        assert_eq!(policies.tiers_of("PUT /x"), None, "an operation requiring nothing");

        let mut not_offered = offered(vec![bound("write", &["Gold", "Silver"])], vec![]);
        assert_eq!(field_of(check(&mut not_offered)), "policies.scopes[0].tiers");
        let mut disjoint = offered(
            vec![bound("write", &["Gold"]), bound("purge", &["Unlimited"])],
            vec![requires("POST /x", &["write"]), requires("DELETE /x", &["write", "purge"])],
        );
        assert_eq!(field_of(check(&mut disjoint)), "policies.operation_scopes[1].scopes", "nobody could call it");
    }

    #[test]
    fn operations_must_exist_in_the_definition() {
        let model = ApiModel {
            operations: vec![Operation { method: "GET".into(), path: "/pets".into(), ..Operation::default() }],
            ..ApiModel::default()
        };
        let ok = Policies { operation_scopes: vec![requires("GET /pets", &["a"])], ..Policies::default() };
        assert!(check_operations(&ok, &model).is_ok());
        let typo = Policies { operation_scopes: vec![requires("GET /pet", &["a"])], ..Policies::default() };
        assert_eq!(field_of(check_operations(&typo, &model)), "policies.operation_scopes[0].operation");
    }

    #[test]
    fn a_definition_gives_its_oauth2_scopes_and_what_operations_ask() {
        let requirement = |pairs: &[(&str, &[&str])]| SecurityRequirement {
            schemes: pairs
                .iter()
                .map(|(name, scopes)| SchemeScopes {
                    name: name.to_string(),
                    scopes: scopes.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        };
        let op = |method: &str, security: Option<Vec<SecurityRequirement>>| Operation {
            method: method.into(),
            path: "/pets".into(),
            security,
            ..Operation::default()
        };
        let model = ApiModel {
            security_schemes: vec![
                SecurityScheme {
                    name: "petstore_auth".into(),
                    kind: "oauth2".into(),
                    scopes: vec![
                        Scope { name: "read:pets".into(), description: "read your pets".into(), tiers: vec![] },
                        scope("write:pets"),
                        scope("not valid"),
                    ],
                    ..SecurityScheme::default()
                },
                SecurityScheme { name: "api_key".into(), kind: "apiKey".into(), ..SecurityScheme::default() },
            ],
            // Global: the OAuth2 scheme with read:pets.
            security: vec![requirement(&[("petstore_auth", &["read:pets"])])],
            operations: vec![
                op("GET", None),
                // An API key first, OAuth2 second: the OAuth2 alternative's scopes count.
                op(
                    "POST",
                    Some(vec![
                        requirement(&[("api_key", &[])]),
                        requirement(&[("petstore_auth", &["write:pets", "read:pets", "undeclared"])]),
                    ]),
                ),
                op("DELETE", Some(vec![])),
                op("PUT", Some(vec![requirement(&[("api_key", &[])])])),
            ],
            ..ApiModel::default()
        };
        let (scopes, operations) = from_definition(&model);
        assert_eq!(
            scopes,
            vec![
                Scope { name: "read:pets".into(), description: "read your pets".into(), tiers: vec![] },
                scope("write:pets")
            ]
        );
        assert_eq!(
            operations,
            vec![requires("GET /pets", &["read:pets"]), requires("POST /pets", &["write:pets", "read:pets"])]
        );
    }
}
