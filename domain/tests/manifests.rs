//! Every manifest rendered for the three modes passes the offline Kubernetes schema validator
//! (PyPI `kubernetes-validate`, strict) for the version the manifests target, and its gateways
//! are set up to serve what their ConfigMap holds and to reach the management plane.

use gatehouse_contract::{
    AuthKind, BackendAuth, Bundle, BundleApi, BundleOperation, Endpoints, GatewayGroup, GroupMode, LifecycleState,
    Routing,
};
use gatehouse_domain::deploy::manifests::{self, KUBERNETES_VERSION};
use gatehouse_domain::openapi::parse::parse;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, PodSpec};
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
            backend_auth: BackendAuth::None,
            ..Default::default()
        },
        security: vec![AuthKind::Oauth2],
        tiers: vec!["Gold".into()],
        cors: None,
        ip_filter: Default::default(),
        cache_seconds: None,
        schemas: Default::default(),
        operations: vec![BundleOperation {
            method: "GET".into(),
            path: "/reviews".into(),
            security: vec![AuthKind::Oauth2],
            scopes: vec![],
            tiers: vec![],
            mock: None,
            request: None,
        }],
    }
}

/// The gateway container of a rendered Deployment.
fn gateway_container(text: &str) -> Container {
    gateway_pod(text).containers.into_iter().find(|c| c.name == "gateway").expect("a gateway container")
}

fn gateway_pod(text: &str) -> PodSpec {
    let parsed = parse(text).expect("a manifest is YAML");
    let deployment: Deployment = serde_json::from_value(parsed.value).expect("a Deployment");
    deployment.spec.and_then(|s| s.template.spec).expect("a pod template")
}

/// What Argo CD applies from the group's folder, and from a region's overlay: the same
/// `deployments`, only the region's with `GATEWAY_REGION` on each gateway. Checked with kustomize
/// (`kubectl kustomize`) where kubectl is installed, as it is on this project's machines.
fn kustomize_builds(folder: &std::path::Path, deployments: usize) {
    let build = |path: &std::path::Path| {
        let out = match Command::new("kubectl").arg("kustomize").arg(path).output() {
            Ok(out) => out,
            Err(_) => return None,
        };
        assert!(out.status.success(), "kustomize {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        Some(String::from_utf8_lossy(&out.stdout).to_string())
    };
    let Some(group) = build(folder) else {
        eprintln!("skipping the kustomize build: kubectl is not installed");
        return;
    };
    // Each region's gateways say where they serve, in every Deployment and only there.
    let regions = |built: &str| -> Vec<String> {
        built
            .split("\n---\n")
            .map(|doc| parse(doc).expect("YAML").value)
            .filter(|object| object["kind"] == "Deployment")
            .map(|object| {
                let deployment: Deployment = serde_json::from_value(object).expect("a Deployment");
                let pod = deployment.spec.and_then(|s| s.template.spec).expect("a pod template");
                let gateway = pod.containers.into_iter().find(|c| c.name == "gateway").expect("a gateway container");
                let region = gateway.env.into_iter().flatten().find(|e| e.name == "GATEWAY_REGION");
                region.and_then(|e| e.value).unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(regions(&group), vec![String::new(); deployments], "{group}");
    for (overlay, region) in [("eu-west", "eu-west"), ("us-east-virginia", "US East (Virginia)")] {
        let built = build(&folder.join("regions").join(overlay)).expect("kustomize");
        assert_eq!(regions(&built), vec![region.to_string(); deployments], "{built}");
        assert_eq!(
            built.matches("gatehouse.io/group: food-apis").count(),
            group.matches("gatehouse.io/group: food-apis").count()
        );
    }
}

#[test]
fn manifests_of_every_mode_pass_kubernetes_validate() {
    // Reviews' backend wants a key the gateway sends; Menu's wants none.
    let mut reviews = api("Reviews", "/review/v1.0");
    reviews.endpoints.backend_auth = BackendAuth::Header { name: "x-api-key".into(), secret: "REVIEWS".into() };
    reviews.endpoints.backend_tls.client_certificate = Some("REVIEWS_TLS".into());
    let bundle = Bundle {
        group: "food-apis".into(),
        version: "1.0.0".into(),
        apis: vec![reviews, api("Menu", "/menu/v2")],
        tiers: vec![],
        keys: vec![],
        issuer: String::new(),
        audience: String::new(),
        revocations: vec![],
        withdrawn: vec![],
        purges: vec![],
        api_keys: vec![],
    };
    let dir = std::env::temp_dir().join(format!("gatehouse-manifests-{}", uuid::Uuid::new_v4()));
    let mut paths = Vec::new();
    for mode in [GroupMode::Shared, GroupMode::PrivateJet, GroupMode::Sidecar] {
        let group = GatewayGroup {
            name: "food-apis".into(),
            kind: Default::default(),
            regions: vec!["eu-west".into(), "US East (Virginia)".into(), "EU West".into()],
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
        let mut served = Vec::new();
        for (name, text) in files.iter().filter(|(k, _)| k.ends_with("-deployment.yaml")) {
            let gateway = gateway_container(text);
            let env = |variable: &str| {
                gateway.env.iter().flatten().find(|e| e.name == variable).unwrap_or_else(|| {
                    panic!("{mode:?} {name}: no {variable}\n{text}");
                })
            };
            // Every gateway takes the shared tier-count store, and the management plane's
            // address and a credential, from Secrets an operator may create.
            for (variable, secret, key) in [
                ("GATEWAY_RATE_LIMIT_STORE", "gw-food-apis-rate-limit-store", "url"),
                ("GATEHOUSE_SERVER", "gw-food-apis-management", "server"),
                ("GATEHOUSE_GATEWAY_TOKEN", "gw-food-apis-management", "token"),
            ] {
                let from = env(variable).value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref());
                let from = from.map(|r| (r.name.as_str(), r.key.as_str(), r.optional));
                assert_eq!(from, Some((secret, key, Some(true))), "{mode:?} {name}: {variable}");
            }
            // And the proxies in front of it, and the header they write, from a ConfigMap an
            // operator may create.
            for (variable, key) in
                [("GATEWAY_TRUSTED_PROXIES", "trusted-proxies"), ("GATEWAY_FORWARDED_HEADER", "forwarded-header")]
            {
                let from = env(variable).value_from.as_ref().and_then(|v| v.config_map_key_ref.as_ref());
                let from = from.map(|r| (r.name.as_str(), r.key.as_str(), r.optional));
                assert_eq!(from, Some(("gw-food-apis-network", key, Some(true))), "{mode:?} {name}: {variable}");
            }
            // Its state (the last bundle pulled, spooled events) outlives a container restart.
            let state = env("GATEWAY_STATE_DIR").value.clone().expect("a state directory");
            let mounted = gateway.volume_mounts.iter().flatten().any(|m| m.mount_path == state && m.name == "state");
            assert!(mounted, "{mode:?} {name}: {state} is not the state volume\n{text}");
            let value = |variable: &str| {
                gateway.env.iter().flatten().find(|e| e.name == variable).and_then(|e| e.value.clone())
            };
            // The secrets its APIs' backend credentials and client certificates name, as files of the group's optional
            // Secret (which the kubelet rewrites when it changes) in the directory it reads.
            let volume = gateway_pod(text).volumes.into_iter().flatten().find(|v| v.name == "backend-secrets");
            let secrets: Vec<String> = match &volume {
                None => {
                    assert_eq!(value("GATEWAY_BACKEND_SECRETS_DIR"), None, "{mode:?} {name}");
                    Vec::new()
                }
                Some(volume) => {
                    let dir = value("GATEWAY_BACKEND_SECRETS_DIR").expect("the secrets' directory");
                    let mount = gateway.volume_mounts.iter().flatten().find(|m| m.name == "backend-secrets");
                    let mount = mount.map(|m| (m.mount_path.as_str(), m.read_only));
                    assert_eq!(mount, Some((dir.as_str(), Some(true))), "{mode:?} {name}");
                    let from = volume.secret.as_ref().expect("from a Secret");
                    let from_secret = (from.secret_name.as_deref(), from.optional);
                    assert_eq!(from_secret, (Some("gw-food-apis-backend-secrets"), Some(true)), "{mode:?} {name}");
                    from.items
                        .iter()
                        .flatten()
                        .map(|item| {
                            assert_eq!(item.key, item.path, "a file named as the secret");
                            item.key.clone()
                        })
                        .collect()
                }
            };
            assert!(
                !gateway.env.iter().flatten().any(|e| e.name.starts_with(BackendAuth::VARIABLE_PREFIX)),
                "{mode:?} {name}: secrets are files, not variables a restart alone would change"
            );
            served.push((value("GATEWAY_API"), value("GATEWAY_BACKEND"), secrets));
        }
        // What a gateway keeps of a pulled bundle is what its ConfigMap holds: the group's every
        // API (shared), one API (private-jet), or one API from the container beside it (sidecar).
        served.sort();
        let reviews_key = || vec!["REVIEWS".to_string(), "REVIEWS_TLS".to_string()];
        let one = |id: &str, backend: Option<&str>| {
            let secrets = if id == "id-Reviews" { reviews_key() } else { vec![] };
            (Some(id.to_string()), backend.map(str::to_string), secrets)
        };
        let expected = match mode {
            GroupMode::Shared => vec![(None, None, reviews_key())],
            GroupMode::PrivateJet => vec![one("id-Menu", None), one("id-Reviews", None)],
            GroupMode::Sidecar => vec![
                one("id-Menu", Some("http://127.0.0.1:8000/v1")),
                one("id-Reviews", Some("http://127.0.0.1:8000/v1")),
            ],
        };
        assert_eq!(served, expected, "{mode:?}");
        // An overlay per region, in a folder named after it (made unique).
        let mut overlays: Vec<&str> =
            files.keys().filter_map(|k| k.strip_prefix("regions/")?.strip_suffix("/kustomization.yaml")).collect();
        overlays.sort();
        assert_eq!(overlays, ["eu-west", "eu-west-2", "us-east-virginia"], "{mode:?}");
        for (name, text) in &files {
            let path = dir.join(mode.as_str()).join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(&path, text).expect("write");
            if name.starts_with("manifests/") && !name.ends_with("kustomization.yaml") {
                paths.push(path);
            }
        }
        let deployments = files.keys().filter(|k| k.ends_with("-deployment.yaml")).count();
        kustomize_builds(&dir.join(mode.as_str()), deployments);
    }
    let validator = Command::new("kubernetes-validate").arg("--version").output();
    if validator.is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("kubernetes-validate is required under CI (scripts/setup.sh installs it)");
        }
        eprintln!("skipping the schema check: kubernetes-validate is not installed");
        return;
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
