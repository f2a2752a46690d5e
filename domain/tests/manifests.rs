//! Every manifest rendered for the three modes passes the offline Kubernetes schema validator
//! (PyPI `kubernetes-validate`, strict) for the version the manifests target.

use gatehouse_contract::{
    AuthKind, Bundle, BundleApi, BundleOperation, Endpoints, GatewayGroup, GroupMode, LifecycleState, Routing,
};
use gatehouse_domain::deploy::manifests::{self, KUBERNETES_VERSION};
use std::process::Command;

fn api(name: &str, context: &str) -> BundleApi {
    BundleApi {
        id: format!("id-{name}"),
        name: name.into(),
        version: "1.0.0".into(),
        context: context.into(),
        state: LifecycleState::Published,
        revision: 1,
        endpoints: Endpoints {
            production: vec!["http://reviews.internal:8000/v1".into()],
            sandbox: vec![],
            routing: Routing::LoadBalance,
            timeout_ms: 30_000,
            backend_image: "registry.example.com/reviews:1.0".into(),
        },
        security: vec![AuthKind::Oauth2],
        tiers: vec!["Gold".into()],
        cors: None,
        operations: vec![BundleOperation {
            method: "GET".into(),
            path: "/reviews".into(),
            security: vec![AuthKind::Oauth2],
            scopes: vec![],
            mock: None,
        }],
    }
}

#[test]
fn manifests_of_every_mode_pass_kubernetes_validate() {
    let validator = Command::new("kubernetes-validate").arg("--version").output();
    if validator.is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("kubernetes-validate is required under CI (scripts/setup.sh installs it)");
        }
        eprintln!("skipping: kubernetes-validate is not installed");
        return;
    }
    let bundle = Bundle {
        group: "food-apis".into(),
        version: "1.0.0".into(),
        apis: vec![api("Reviews", "/review/v1.0"), api("Menu", "/menu/v2")],
        tiers: vec![],
        keys: vec![],
        issuer: String::new(),
        audience: String::new(),
        revocations: vec![],
        withdrawn: vec![],
        api_keys: vec![],
    };
    let dir = std::env::temp_dir().join(format!("gatehouse-manifests-{}", uuid::Uuid::new_v4()));
    let mut paths = Vec::new();
    for mode in [GroupMode::Shared, GroupMode::PrivateJet, GroupMode::Sidecar] {
        let group = GatewayGroup {
            name: "food-apis".into(),
            kind: Default::default(),
            regions: vec![],
            mode,
            host: "food.example.com".into(),
            port: Some(8081),
            replicas_min: 1,
            replicas_max: 5,
            cpu_target: 50,
            image: "ghcr.io/gatehouse/gateway:0.1".into(),
        };
        let files = manifests::render(&group, &bundle).expect("render");
        let kinds: Vec<&String> = files.keys().collect();
        assert!(kinds.iter().any(|k| k.ends_with("ingress.yaml")), "{mode:?}: {kinds:?}");
        assert!(kinds.iter().any(|k| k.ends_with("-hpa.yaml")), "{mode:?}: {kinds:?}");
        // Every gateway takes the shared tier-count store from an optional Secret.
        for (name, text) in files.iter().filter(|(k, _)| k.ends_with("-deployment.yaml")) {
            let at = text
                .find("GATEWAY_RATE_LIMIT_STORE")
                .unwrap_or_else(|| panic!("{mode:?} {name}: no rate-limit store\n{text}"));
            let rest = &text[at..];
            for expected in ["name: gw-food-apis-rate-limit-store", "key: url", "optional: true"] {
                assert!(rest.contains(expected), "{mode:?} {name}: `{expected}` missing\n{text}");
            }
        }
        for (name, text) in files.iter().filter(|(k, _)| k.starts_with("manifests/")) {
            let path = dir.join(mode.as_str()).join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, text).expect("write");
            paths.push(path);
        }
    }
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--no-warn", "-k", KUBERNETES_VERSION])
        .args(&paths)
        .output()
        .expect("run kubernetes-validate");
    let report = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("kubernetes-validate {KUBERNETES_VERSION}: {} manifests\n{report}", paths.len());
    assert!(out.status.success(), "{report}");
    assert_eq!(
        report.matches(" passed for resource ").count(),
        paths.len(),
        "every manifest is reported as passed: {report}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
