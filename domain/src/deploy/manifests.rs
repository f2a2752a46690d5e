//! Kubernetes manifests for a group, built from k8s-openapi's typed objects: per gateway a
//! ConfigMap (the bundle), Deployment, Service and HorizontalPodAutoscaler (autoscaling/v2),
//! and one Ingress (networking.k8s.io/v1) routing every API context to its gateway Service.
//! Targets Kubernetes 1.33; `kubernetes-validate` checks the output in the tests.

use crate::openapi::emit::to_text;
use crate::{DomainError, Result};
use gatehouse_contract::{Bundle, BundleApi, GatewayGroup, GroupMode, RegionOverlay, SourceFormat};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapKeySelector, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, HTTPGetAction, KeyToPath, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SecretKeySelector,
    SecretVolumeSource, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The Kubernetes release the manifests target.
pub const KUBERNETES_VERSION: &str = "1.33.0";
const GATEWAY_PORT: i32 = 8080;
const SIDECAR_GATEWAY_PORT: i32 = 8090;
const ADMIN_PORT: i32 = 9090;
const BUNDLE_DIR: &str = "/etc/gatehouse";
const STATE_DIR: &str = "/var/lib/gatehouse-gateway";
const BACKEND_SECRETS_DIR: &str = "/var/run/gatehouse/backend-secrets";

/// A DNS-1123 label from free text: lower-case letters, digits and `-`, at most 63.
pub fn k8s_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches('-').chars().take(63).collect();
    trimmed.trim_end_matches('-').to_string()
}

fn labels(group: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), component.to_string()),
        ("app.kubernetes.io/part-of".to_string(), "gatehouse".to_string()),
        ("gatehouse.io/group".to_string(), group.to_string()),
    ])
}

fn meta(name: &str, group: &str, component: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), labels: Some(labels(group, component)), ..Default::default() }
}

fn yaml<T: Serialize>(object: &T) -> Result<String> {
    let value = serde_json::to_value(object).map_err(|e| DomainError::Internal(format!("manifest: {e}")))?;
    Ok(to_text(&value, SourceFormat::Yaml))
}

/// The Secret whose `url` key, when an operator creates it, has a group's gateways share tier
/// counts (`redis://…`); without it each replica counts its own. (A Secret's name may be longer
/// than a label, so the suffix survives a long group name.)
fn rate_limit_store_secret(group: &str) -> String {
    format!("{}-rate-limit-store", k8s_name(&format!("gw-{group}")))
}

/// The ConfigMap whose `trusted-proxies` key, when an operator creates it, names the proxies in
/// front of a group's gateways (the ingress controller's pods: `10.0.0.0/8`), so that APIs that
/// filter callers by address see the caller's, from `X-Forwarded-For` (or, with the key
/// `forwarded-header: forwarded`, from RFC 7239's `Forwarded`), not the proxy's.
fn network_config(group: &str) -> String {
    format!("{}-network", k8s_name(&format!("gw-{group}")))
}

/// The Secret that connects a group's gateways to the management plane: `server` (its URL) and
/// `token` (a gateway credential of the group). With it they pull access changes — a new
/// subscription, a revoked token, a blocked API — within a second rather than at the next
/// release, report the release they serve ("live on N of M") and send their events to
/// analytics; without it they serve the ConfigMap's bundle alone.
pub fn management_secret(group: &str) -> String {
    format!("{}-management", k8s_name(&format!("gw-{group}")))
}

/// The Secret holding the credentials a group's gateways send its backends, one key per secret
/// an API's endpoints name (`PETSTORE`, a credential; `PETSTORE_TLS`, a client certificate's
/// PEM). Gatehouse knows only the names; an operator creates the Secret: `kubectl create
/// secret generic gw-<group>-backend-secrets --from-literal=PETSTORE=… --from-file=PETSTORE_TLS=…`.
fn backend_secrets(group: &str) -> String {
    gatehouse_contract::backend_secrets(&k8s_name(group))
}

/// The secrets named by the APIs one gateway serves, each once.
fn secrets_of<'a>(apis: impl IntoIterator<Item = &'a BundleApi>) -> BTreeSet<&'a str> {
    apis.into_iter().flat_map(|api| api.endpoints.secrets()).collect()
}

/// The group's backend secrets a gateway uses, as a volume of files (a file per secret) rather
/// than environment variables: the kubelet rewrites the files when an operator changes the
/// Secret, and the gateway reads them again, so a rotated secret needs no restart. Optional,
/// like each key in it: a missing one leaves its file out, and the gateway answers that API 503
/// (saying which secret is missing in its log) while serving the rest of the group. Only the
/// keys the gateway's own APIs name are mounted.
fn backend_secrets_volume(group: &str, secrets: &BTreeSet<&str>) -> Option<Volume> {
    (!secrets.is_empty()).then(|| Volume {
        name: "backend-secrets".into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(backend_secrets(group)),
            optional: Some(true),
            items: Some(
                secrets
                    .iter()
                    .map(|secret| KeyToPath { key: secret.to_string(), path: secret.to_string(), mode: None })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// An environment variable from a key of a Secret the operator may not have created (then the
/// variable is unset).
fn optional_secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: secret.into(), key: key.into(), optional: Some(true) }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An environment variable from a key of a ConfigMap the operator may not have created.
fn optional_config_env(name: &str, config_map: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: config_map.into(),
                key: key.into(),
                optional: Some(true),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.into(), value: Some(value.into()), ..Default::default() }
}

/// What one gateway serves of its group's bundle, as its environment says: what it keeps of a
/// pulled bundle must be what its ConfigMap holds.
struct Serves<'a> {
    /// The API's id, for a gateway of one API (private-jet, sidecar); `None` serves them all.
    api: Option<&'a str>,
    /// The backend container beside a sidecar gateway.
    backend: Option<String>,
    /// The backend credentials' secrets its APIs name.
    secrets: BTreeSet<&'a str>,
}

fn gateway_container(group: &GatewayGroup, port: i32, serves: Serves<'_>) -> Container {
    let management = management_secret(&group.name);
    let mut env = vec![
        // The autoscaler runs several replicas, each of which would otherwise admit a whole tier.
        optional_secret_env("GATEWAY_RATE_LIMIT_STORE", &rate_limit_store_secret(&group.name), "url"),
        optional_secret_env("GATEHOUSE_SERVER", &management, "server"),
        optional_secret_env("GATEHOUSE_GATEWAY_TOKEN", &management, "token"),
        optional_config_env("GATEWAY_TRUSTED_PROXIES", &network_config(&group.name), "trusted-proxies"),
        optional_config_env("GATEWAY_FORWARDED_HEADER", &network_config(&group.name), "forwarded-header"),
        // The last bundle pulled and the events spooled while the management plane is away
        // outlive a restart of the container.
        plain_env("GATEWAY_STATE_DIR", STATE_DIR),
    ];
    if let Some(api) = serves.api {
        env.push(plain_env("GATEWAY_API", api));
    }
    if let Some(backend) = &serves.backend {
        env.push(plain_env("GATEWAY_BACKEND", backend));
    }
    let mut volume_mounts = vec![
        VolumeMount {
            name: "bundle".into(),
            mount_path: BUNDLE_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        },
        VolumeMount { name: "state".into(), mount_path: STATE_DIR.into(), ..Default::default() },
    ];
    if !serves.secrets.is_empty() {
        env.push(plain_env("GATEWAY_BACKEND_SECRETS_DIR", BACKEND_SECRETS_DIR));
        volume_mounts.push(VolumeMount {
            name: "backend-secrets".into(),
            mount_path: BACKEND_SECRETS_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        });
    }
    Container {
        name: "gateway".into(),
        image: Some(group.image.clone()),
        args: Some(vec![
            "--bundle".into(),
            format!("{BUNDLE_DIR}/bundle.json"),
            "--listen".into(),
            format!("0.0.0.0:{port}"),
            "--admin".into(),
            format!("0.0.0.0:{ADMIN_PORT}"),
        ]),
        env: Some(env),
        ports: Some(vec![
            ContainerPort { name: Some("http".into()), container_port: port, ..Default::default() },
            ContainerPort { name: Some("admin".into()), container_port: ADMIN_PORT, ..Default::default() },
        ]),
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/healthz".into()),
                port: IntOrString::String("admin".into()),
                ..Default::default()
            }),
            period_seconds: Some(5),
            ..Default::default()
        }),
        // CPU requests are what the autoscaler's utilisation target is measured against.
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("100m".into())),
                ("memory".to_string(), Quantity("32Mi".into())),
            ])),
            limits: Some(BTreeMap::from([("memory".to_string(), Quantity("128Mi".into()))])),
            ..Default::default()
        }),
        volume_mounts: Some(volume_mounts),
        ..Default::default()
    }
}

/// The backend container's port and address inside a sidecar's pod: the production URL's port
/// (8080 when it names none) and path, on localhost.
fn sidecar_backend(production: Option<&str>) -> (i32, String) {
    let rest = production.and_then(|u| u.split_once("://")).map_or("", |(_, rest)| rest);
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(authority, path)| (authority, path));
    let port = authority.rsplit_once(':').and_then(|(_, port)| port.parse::<i32>().ok()).unwrap_or(8080);
    let path = path.trim_end_matches('/');
    let address =
        if path.is_empty() { format!("http://127.0.0.1:{port}") } else { format!("http://127.0.0.1:{port}/{path}") };
    (port, address)
}

/// The workload, service, autoscaler and bundle of one gateway (or one sidecar'd backend).
struct Unit {
    name: String,
    containers: Vec<Container>,
    /// Volumes beside the bundle and the state: the backend secrets its gateway uses.
    volumes: Vec<Volume>,
    service_port: i32,
    bundle: Bundle,
}

fn unit_files(group: &GatewayGroup, unit: &Unit, files: &mut BTreeMap<String, String>) -> Result<()> {
    let (bundle_bytes, bundle_sha) = super::bundle::encode(&unit.bundle);
    let config_name = format!("{}-bundle", unit.name);
    let config = ConfigMap {
        metadata: meta(&config_name, &group.name, &unit.name),
        data: Some(BTreeMap::from([("bundle.json".to_string(), String::from_utf8_lossy(&bundle_bytes).into_owned())])),
        ..Default::default()
    };
    let selector = BTreeMap::from([("app.kubernetes.io/name".to_string(), unit.name.clone())]);
    let deployment = Deployment {
        metadata: meta(&unit.name, &group.name, &unit.name),
        spec: Some(DeploymentSpec {
            replicas: Some(group.replicas_min as i32),
            selector: LabelSelector { match_labels: Some(selector.clone()), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(&group.name, &unit.name)),
                    // A new bundle changes the pod template, so Kubernetes rolls the gateways.
                    annotations: Some(BTreeMap::from([("gatehouse.io/bundle-sha256".to_string(), bundle_sha)])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: unit.containers.clone(),
                    volumes: Some(
                        vec![
                            Volume {
                                name: "bundle".into(),
                                config_map: Some(ConfigMapVolumeSource {
                                    name: config_name.clone(),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            },
                            Volume {
                                name: "state".into(),
                                empty_dir: Some(EmptyDirVolumeSource::default()),
                                ..Default::default()
                            },
                        ]
                        .into_iter()
                        .chain(unit.volumes.iter().cloned())
                        .collect(),
                    ),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    let service = Service {
        metadata: meta(&unit.name, &group.name, &unit.name),
        spec: Some(ServiceSpec {
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                target_port: Some(IntOrString::Int(unit.service_port)),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let hpa = HorizontalPodAutoscaler {
        metadata: meta(&unit.name, &group.name, &unit.name),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: unit.name.clone(),
            },
            min_replicas: Some(group.replicas_min as i32),
            max_replicas: group.replicas_max as i32,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(group.cpu_target as i32),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    files.insert(format!("manifests/{}-configmap.yaml", unit.name), yaml(&config)?);
    files.insert(format!("manifests/{}-deployment.yaml", unit.name), yaml(&deployment)?);
    files.insert(format!("manifests/{}-service.yaml", unit.name), yaml(&service)?);
    files.insert(format!("manifests/{}-hpa.yaml", unit.name), yaml(&hpa)?);
    Ok(())
}

/// Rendered manifests of a group, by path inside the group's folder, plus `kustomization.yaml`.
pub fn render(group: &GatewayGroup, bundle: &Bundle) -> Result<BTreeMap<String, String>> {
    let mut units: Vec<Unit> = Vec::new();
    let mut routes: Vec<(String, String)> = Vec::new();
    match group.mode {
        GroupMode::Shared => {
            let name = k8s_name(&format!("gw-{}", group.name));
            for api in &bundle.apis {
                routes.push((api.context.clone(), name.clone()));
            }
            let serves = Serves { api: None, backend: None, secrets: secrets_of(&bundle.apis) };
            units.push(Unit {
                volumes: backend_secrets_volume(&group.name, &serves.secrets).into_iter().collect(),
                containers: vec![gateway_container(group, GATEWAY_PORT, serves)],
                service_port: GATEWAY_PORT,
                bundle: bundle.clone(),
                name,
            });
        }
        GroupMode::PrivateJet => {
            for api in &bundle.apis {
                let name = k8s_name(&format!("gw-{}-{}-{}", group.name, api.name, api.version));
                routes.push((api.context.clone(), name.clone()));
                let only = Bundle { apis: vec![api.clone()], ..bundle.clone() };
                let serves = Serves { api: Some(&api.id), backend: None, secrets: secrets_of([api]) };
                units.push(Unit {
                    volumes: backend_secrets_volume(&group.name, &serves.secrets).into_iter().collect(),
                    containers: vec![gateway_container(group, GATEWAY_PORT, serves)],
                    service_port: GATEWAY_PORT,
                    bundle: only,
                    name,
                });
            }
        }
        GroupMode::Sidecar => {
            for api in &bundle.apis {
                let image = api.endpoints.backend_image.trim();
                if image.is_empty() {
                    return Err(DomainError::invalid(
                        "endpoints.backend_image",
                        format!("{} {} has no backend container image; sidecar mode needs one", api.name, api.version),
                    ));
                }
                let (backend_port, local_backend) =
                    sidecar_backend(api.endpoints.production.first().map(String::as_str));
                let name = k8s_name(&format!("{}-{}", api.name, api.version));
                routes.push((api.context.clone(), name.clone()));
                // Inside the pod the gateway reaches its backend on localhost.
                let mut local = api.clone();
                local.endpoints.production = vec![local_backend.clone()];
                local.endpoints.sandbox = local.endpoints.production.clone();
                let backend = Container {
                    name: "backend".into(),
                    image: Some(image.to_string()),
                    ports: Some(vec![ContainerPort {
                        name: Some("backend".into()),
                        container_port: backend_port,
                        ..Default::default()
                    }]),
                    resources: Some(ResourceRequirements {
                        requests: Some(BTreeMap::from([("cpu".to_string(), Quantity("100m".into()))])),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let serves = Serves { api: Some(&api.id), backend: Some(local_backend), secrets: secrets_of([api]) };
                units.push(Unit {
                    volumes: backend_secrets_volume(&group.name, &serves.secrets).into_iter().collect(),
                    containers: vec![backend, gateway_container(group, SIDECAR_GATEWAY_PORT, serves)],
                    service_port: SIDECAR_GATEWAY_PORT,
                    bundle: Bundle { apis: vec![local], ..bundle.clone() },
                    name,
                });
            }
        }
    }
    let mut files = BTreeMap::new();
    for unit in &units {
        unit_files(group, unit, &mut files)?;
    }
    routes.sort();
    let ingress_name = k8s_name(&format!("gw-{}", group.name));
    let ingress = Ingress {
        metadata: meta(&ingress_name, &group.name, "ingress"),
        spec: Some(IngressSpec {
            rules: Some(vec![IngressRule {
                host: Some(group.host.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: routes
                        .iter()
                        .map(|(context, service)| HTTPIngressPath {
                            path: Some(context.clone()),
                            path_type: "Prefix".into(),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: service.clone(),
                                    port: Some(ServiceBackendPort { number: Some(80), ..Default::default() }),
                                }),
                                ..Default::default()
                            },
                        })
                        .collect(),
                }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    if !routes.is_empty() {
        files.insert("manifests/ingress.yaml".into(), yaml(&ingress)?);
    }
    // The objects are a kustomization of their own (`manifests/`), so that the group's folder
    // and each region's overlay can build on it: kustomize refuses an overlay inside its base.
    let resources: Vec<&str> = files.keys().filter_map(|k| k.strip_prefix("manifests/")).collect();
    let base = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "commonLabels": { "gatehouse.io/group": group.name },
        "resources": resources,
    });
    files.insert("manifests/kustomization.yaml".into(), to_text(&base, SourceFormat::Yaml));
    let root = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["manifests"],
    });
    files.insert("kustomization.yaml".into(), to_text(&root, SourceFormat::Yaml));
    for overlay in region_overlays(&group.regions) {
        files.insert(format!("{}/kustomization.yaml", overlay.path), region_overlay(&overlay.region));
    }
    Ok(files)
}

/// Where each of a group's regions finds its overlay: `regions/` and the region's label made
/// a DNS label, made unique.
pub fn region_overlays(regions: &[String]) -> Vec<RegionOverlay> {
    let mut overlays: Vec<RegionOverlay> = Vec::new();
    for region in regions {
        let name = match k8s_name(region) {
            name if name.is_empty() => "region".to_string(),
            name => name,
        };
        let mut path = format!("regions/{name}");
        let mut n = 2;
        while overlays.iter().any(|taken| taken.path == path) {
            path = format!("regions/{name}-{n}");
            n += 1;
        }
        overlays.push(RegionOverlay { region: region.clone(), path });
    }
    overlays
}

/// The overlay a region's cluster applies (its Argo CD Application's `path`): the group's
/// gateways, each with `GATEWAY_REGION` set, so their events — and the dashboards' requests by
/// region — say where they were served.
fn region_overlay(region: &str) -> String {
    // A strategic merge patch, which finds the gateway container by name wherever it stands
    // in the pod (second in a sidecar's); with a target, kustomize applies it to every
    // Deployment whatever the patch's own name.
    let patch = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "every-gateway" },
        "spec": { "template": { "spec": { "containers": [
            { "name": "gateway", "env": [{ "name": "GATEWAY_REGION", "value": region }] }
        ] } } },
    });
    let overlay = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../manifests"],
        "patches": [{ "target": { "kind": "Deployment" }, "patch": patch.to_string() }],
    });
    to_text(&overlay, SourceFormat::Yaml)
}

/// The ingress table of a group: (host, context, service) rows, as the routing view shows them.
pub fn routes(group: &GatewayGroup, bundle: &Bundle) -> Vec<(String, String, String)> {
    bundle
        .apis
        .iter()
        .map(|api| {
            let service = match group.mode {
                GroupMode::Shared => k8s_name(&format!("gw-{}", group.name)),
                GroupMode::PrivateJet => k8s_name(&format!("gw-{}-{}-{}", group.name, api.name, api.version)),
                GroupMode::Sidecar => k8s_name(&format!("{}-{}", api.name, api.version)),
            };
            (group.host.clone(), api.context.clone(), service)
        })
        .collect()
}
