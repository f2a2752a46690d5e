//! The deployment side of the publisher: the review queue, gateway groups and their releases,
//! and the routing table across groups.

use super::state_badge;
use crate::app::use_auth;
use crate::components::diagnostics::DesignReview;
use crate::components::diff::DiffView;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::deploy::{
    ApproveRequest, CreateGatewayCredential, CreateGroup, ListGatewayCredentials, LoadGatewayInstances, PushGitops,
    RejectRequest, RevokeGatewayCredential, Rollback, UpdateGroup, gitops_status, list_approvals, list_deployments,
    list_groups, routing_table,
};
use crate::time::format_utc;
use gatehouse_contract::{
    Approval, ApprovalStatus, Deployment, DeploymentStatus, GatewayGroup, GroupKind, GroupMode, GroupSummary,
    GroupUpdate, LiveApi, LocalGatewayProblem, Permission,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// Links between the publisher's areas.
#[component]
pub fn PublisherTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Publisher">
            <A href="/publisher" exact=true>"APIs"</A>
            <A href="/publisher/approvals">"Approvals"</A>
            <A href="/publisher/groups">"Gateway groups"</A>
            <A href="/publisher/routing">"Routing"</A>
            <A href="/publisher/tiers">"Tiers"</A>
        </nav>
    }
}

pub fn deployment_badge(status: DeploymentStatus) -> impl IntoView {
    view! { <span class=format!("badge deploy-{}", status.as_str()) data-testid="deployment-status">{status.as_str()}</span> }
}

/// A deployment with its steps and timings.
#[component]
pub fn DeploymentCard(deployment: Deployment) -> impl IntoView {
    view! {
        <div class="deployment" data-testid="deployment">
            <div class="row">
                <div>
                    {deployment_badge(deployment.status)} " "
                    <strong>{deployment.subject()}</strong>
                    {(deployment.kind == "rollback").then(|| view! { " " <span class="badge">"rollback"</span> })}
                    " → " {deployment.group.clone()}
                </div>
                <code data-testid="deployment-tag">{deployment.tag.clone()}</code>
            </div>
            {(!deployment.reason.is_empty()).then(|| view! { <p class="error">{deployment.reason.clone()}</p> })}
            <ol class="steps">
                {deployment.steps.iter().map(|s| view! {
                    <li class:failed=!s.ok>
                        <span class="step-name">{s.name.clone()}</span>
                        <span class="muted">{format!("{} ms", s.ms)}</span>
                        <span class="muted">{s.detail.clone()}</span>
                    </li>
                }).collect_view()}
            </ol>
            <p class="muted small">{format!("by {} · {}", deployment.created_by, format_utc(deployment.created_at))}
                {(!deployment.commit.is_empty()).then(|| format!(" · commit {}", &deployment.commit[..deployment.commit.len().min(12)]))}
                {deployment.pushed.map(|pushed| view! {
                    " · " <span data-testid="deployment-pushed">{if pushed { "on the GitOps remote" } else { "not on the GitOps remote yet" }}</span>
                })}</p>
        </div>
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    view! {
        <Title text="Approvals"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Approvals"</h1>
                <p class="lead">"A revision request deploys to its gateway group, a subscription request lets an application use a tier that needs approval — once a publisher other than the requester approves it."</p>
                <PublisherTabs/>
            </section>
            <Queue/>
        </RequirePermission>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let approve = ServerAction::<ApproveRequest>::new();
    let reject = ServerAction::<RejectRequest>::new();
    // One load for the whole page; pending and decided requests are split from it.
    let approvals =
        Resource::new(move || (approve.version().get(), reject.version().get()), |_| list_approvals(None, None));
    let auth = use_auth();
    view! {
        {move || approve.value().get().map(|r| match r {
            Ok(outcome) => match (outcome.deployment, outcome.subscription) {
                (Some(d), _) => view! { <section class="panel success" data-testid="approved"><h2>"Approved and deployed"</h2><DeploymentCard deployment=d/></section> }.into_any(),
                (None, Some(s)) => view! {
                    <section class="panel success" data-testid="approved">
                        <h2>"Subscription approved"</h2>
                        <p>{format!("{} may now call {} {} with tier {}.", s.application_name, s.api_name, s.api_version, s.tier)}</p>
                    </section>
                }.into_any(),
                (None, None) => view! { <section class="panel success" data-testid="approved"><h2>"Approved"</h2></section> }.into_any(),
            },
            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
        })}
        {move || reject.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || approvals.get().map(|r| match r.map(|all| all.into_iter().filter(|a| a.status == ApprovalStatus::Pending).collect::<Vec<_>>()) {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <section class="panel empty" data-testid="queue-empty"><h2>"Nothing waits for review"</h2></section> }.into_any(),
                Ok(list) => list.into_iter().map(|a| view! { <Request approval=a approve reject reviewer=auth.can(Permission::ReviewApis)/> }).collect_view().into_any(),
            })}
        </Transition>
        <section class="panel">
            <h2>"Decided"</h2>
            <Transition fallback=|| ()>
                {move || approvals.get().and_then(|r| r.ok()).map(|list| list.into_iter().filter(|a| a.status != ApprovalStatus::Pending).collect::<Vec<_>>()).map(|decided| if decided.is_empty() {
                    view! { <p class="muted">"Nothing decided yet."</p> }.into_any()
                } else { view! {
                    <table class="table">
                        <thead><tr><th>"API"</th><th>"Request"</th><th>"Group"</th><th>"Decision"</th><th>"By"</th><th>"Comment"</th></tr></thead>
                        <tbody>
                            {decided.into_iter().map(|a| view! {
                                <tr>
                                    <td>{format!("{} {}", a.api_name, a.api_version)}</td>
                                    <td>{match &a.subscription {
                                        Some(sub) => format!("{} · tier {}", sub.application_name, sub.tier),
                                        None if a.kind == "subscription" => "subscription (withdrawn)".to_string(),
                                        None => format!("revision {}", a.revision),
                                    }}</td>
                                    <td>{a.group.clone()}</td>
                                    <td><span class=format!("badge decision-{}", a.status.as_str())>{a.status.as_str()}</span></td>
                                    <td class="muted">{a.decided_by.clone().unwrap_or_default()}</td>
                                    <td>{a.comment.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any() })}
            </Transition>
        </section>
    }
}

#[component]
fn Request(
    approval: Approval,
    approve: ServerAction<ApproveRequest>,
    reject: ServerAction<RejectRequest>,
    reviewer: bool,
) -> impl IntoView {
    let comment = RwSignal::new(String::new());
    let (id_a, id_r) = (approval.id.clone(), approval.id.clone());
    let subscription = approval.subscription.clone();
    let approve_label = if subscription.is_some() { "Approve subscription" } else { "Approve and deploy" };
    let what = match &subscription {
        Some(s) if s.requested_tier.is_some() => "tier change".to_string(),
        Some(_) => "subscription".to_string(),
        None => format!("revision {}", approval.revision),
    };
    let body = match subscription {
        Some(s) => view! {
            <dl class="facts">
                <dt>"Application"</dt><dd data-testid="request-application">{s.application_name.clone()}</dd>
                <dt>"Tier"</dt><dd data-testid="request-tier">{match &s.requested_tier {
                    Some(asked) => format!("{asked} (now {})", s.tier),
                    None => s.tier.clone(),
                }}</dd>
                <dt>"Note"</dt><dd>{approval.note.clone()}</dd>
            </dl>
        }
        .into_any(),
        None => view! {
            <dl class="facts">
                <dt>"Group"</dt><dd>{approval.group.clone()}</dd>
                <dt>"Mode"</dt><dd>{approval.mode.as_str()}</dd>
                <dt>"Host"</dt><dd>{approval.host.clone()}</dd>
                <dt>"Live now"</dt><dd>{approval.live_revision.map(|r| format!("revision {r}")).unwrap_or_else(|| "nothing yet".into())}</dd>
                <dt>"Note"</dt><dd>{approval.note.clone()}</dd>
            </dl>
            <h3>{if approval.live_revision.is_some() { "Changes against the live revision" } else { "Everything is new in this group" }}</h3>
            <DiffView diff=approval.diff.clone()/>
            <h3>{match approval.design.len() {
                0 => format!("Design review of revision {}", approval.revision),
                n => format!("Design review of revision {} ({n})", approval.revision),
            }}</h3>
            <DesignReview items=approval.design.clone()/>
        }
        .into_any(),
    };
    view! {
        <section class="panel request" data-testid="approval-request" data-kind=approval.kind.clone()>
            <div class="row">
                // The API's revisions, where the reviewer can read the definition under review.
                <h2><a href=format!("/publisher/apis/{}?tab=revisions", approval.api_id)>{format!("{} {}", approval.api_name, approval.api_version)}</a> {format!(" — {what}")}</h2>
                <span class="muted">{format!("requested by {} · {}", approval.requested_by, format_utc(approval.requested_at))}</span>
            </div>
            {body}
            {reviewer.then(|| view! {
                <div class="form inline-form decision">
                    <label>"Comment" <input type="text" on:input=move |ev| comment.set(event_target_value(&ev))/></label>
                    <button class="button" data-testid="approve" on:click=move |_| { approve.dispatch(ApproveRequest { id: id_a.clone(), comment: comment.get_untracked() }); }>{approve_label}</button>
                    <button class="button danger" data-testid="reject" on:click=move |_| { reject.dispatch(RejectRequest { id: id_r.clone(), comment: comment.get_untracked() }); }>"Reject"</button>
                </div>
            })}
        </section>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    let groups = Resource::new(move || create.version().get(), |_| list_groups());
    let auth = use_auth();
    view! {
        <Title text="Gateway groups"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Gateway groups"</h1>
                <p class="lead">"Each group is served by its own microgateway(s); approval deploys to the API's group."</p>
                <PublisherTabs/>
            </section>
            <section class="panel">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || groups.get().map(|r| match r {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No groups yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="groups">
                                <thead><tr><th>"Group"</th><th>"Mode"</th><th>"Host"</th><th>"Local port"</th><th>"APIs"</th><th>"Release"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|g| view! {
                                        <tr>
                                            <td><a href=format!("/publisher/groups/{}", g.group.name)><strong>{g.group.name.clone()}</strong></a>
                                                <div class="tags">{g.group.regions.iter().map(|r| view! { <span class="tag">{r.clone()}</span> }).collect_view()}</div></td>
                                            <td>{g.group.mode.as_str()}</td>
                                            <td><code>{g.group.host.clone()}</code></td>
                                            <td>{local_ports(&g)}</td>
                                            <td>{g.apis.len()}</td>
                                            <td><code>{g.tag.clone().unwrap_or_else(|| "—".into())}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </section>
            <GitOpsPanel/>
            <Transition fallback=|| ()>
                {move || auth.can(Permission::ReviewApis).then(|| view! { <NewGroup create/> })}
            </Transition>
        </RequirePermission>
    }
}

/// Where releases are committed and the remote they are pushed to: what has not reached the
/// remote yet and why, with *Push now* for publishers.
#[component]
fn GitOpsPanel() -> impl IntoView {
    let push = ServerAction::<PushGitops>::new();
    let status = Resource::new(move || push.version().get(), |_| gitops_status());
    let auth = use_auth();
    view! {
        <section class="panel" data-testid="gitops">
            <h2>"GitOps repository"</h2>
            <Transition fallback=|| ()>
                {move || status.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(s) => {
                        let pushing = s.remote.is_some();
                        let on_remote = if s.waiting.is_empty() {
                            "every release".to_string()
                        } else {
                            format!("not yet: {}", s.waiting.join(", "))
                        };
                        view! {
                            <dl class="facts">
                                <dt>"Repository"</dt><dd><code>{s.repository.clone()}</code></dd>
                                <dt>"Remote"</dt>
                                <dd>{match s.remote.clone() {
                                    Some(remote) => view! { <code data-testid="gitops-remote">{remote}</code> }.into_any(),
                                    None => view! { <span class="muted">"none: releases stay in this repository. Start the server with GATEHOUSE_GITOPS_REMOTE to push them to the Git host Argo CD or Flux sync from."</span> }.into_any(),
                                }}</dd>
                                {pushing.then(|| view! {
                                    <dt>"On the remote"</dt><dd data-testid="gitops-waiting">{on_remote}</dd>
                                    <dt>"Last push"</dt><dd>{s.last_pushed_at.map(format_utc).unwrap_or_else(|| "never".into())}</dd>
                                })}
                            </dl>
                            {(!s.last_error.is_empty()).then(|| {
                                let retried = if s.waiting.is_empty() { "" } else { "; it is tried again by itself" };
                                view! {
                                    <p class="error" data-testid="gitops-error">
                                        {format!("The last push failed ({} in a row{retried}): {}", s.failures, s.last_error)}
                                    </p>
                                }
                            })}
                            {(pushing && auth.can(Permission::ReviewApis)).then(|| view! {
                                <p class="actions">
                                    <button class="button small secondary" data-testid="push-gitops" disabled=move || push.pending().get()
                                        on:click=move |_| { push.dispatch(PushGitops {}); }>"Push now"</button>
                                </p>
                            })}
                        }.into_any()
                    }
                })}
            </Transition>
            // A refused or unanswered push is the status's last error above; other failures
            // (no right to push, say) are said here.
            {move || push.value().get().and_then(|r| r.err()).filter(|e| e.code != "upstream").map(|e| view! {
                <p class="error" role="alert">{e.message}</p>
            })}
        </section>
    }
}

#[component]
fn NewGroup(create: ServerAction<CreateGroup>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let host = RwSignal::new(String::new());
    let mode = RwSignal::new(GroupMode::Shared);
    let kind = RwSignal::new(GroupKind::Functional);
    let regions = RwSignal::new(String::new());
    let port = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateGroup {
            group: GatewayGroup {
                name: name.get_untracked(),
                kind: kind.get_untracked(),
                regions: region_list(&regions.get_untracked()),
                mode: mode.get_untracked(),
                host: host.get_untracked(),
                port: port.get_untracked().trim().parse().ok(),
                replicas_min: 1,
                replicas_max: 5,
                cpu_target: 50,
                image: gatehouse_contract::default_image(),
            },
        });
    };
    view! {
        <section class="panel">
            <h2>"New group"</h2>
            <form class="form" on:submit=submit data-testid="new-group">
                <div class="grid-3">
                    <label>"Name" <input type="text" required placeholder="food-apis" on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <label>"Ingress host" <input type="text" required placeholder="food.example.com" on:input=move |ev| host.set(event_target_value(&ev))/></label>
                    <label>"Mode" <ModeChoice mode/></label>
                </div>
                <div class="grid-3">
                    <label>"Kind" <KindChoice kind/></label>
                    <label>"Regions / datacenters" <input type="text" placeholder="eu-west, eu-central" on:input=move |ev| regions.set(event_target_value(&ev))/></label>
                    <label>"Local port (optional)" <input type="number" placeholder="8081" on:input=move |ev| port.set(event_target_value(&ev))/></label>
                </div>
                <button type="submit" class="button">"Create group"</button>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            </form>
        </section>
    }
}

/// "eu-west, eu-central" as the group's regions.
fn region_list(text: &str) -> Vec<String> {
    text.split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect()
}

/// The group's mode, as a select showing `mode`'s value.
#[component]
fn ModeChoice(mode: RwSignal<GroupMode>) -> impl IntoView {
    let now = mode.get_untracked();
    let option = |value: GroupMode, label: &'static str| {
        view! { <option value=value.as_str() selected=now == value>{label}</option> }
    };
    view! {
        <select on:change=move |ev| mode.set(match event_target_value(&ev).as_str() { "private-jet" => GroupMode::PrivateJet, "sidecar" => GroupMode::Sidecar, _ => GroupMode::Shared })>
            {option(GroupMode::Shared, "Shared gateway")}
            {option(GroupMode::PrivateJet, "Private jet (gateway per API)")}
            {option(GroupMode::Sidecar, "Sidecar (gateway in the backend's pod)")}
        </select>
    }
}

/// The group's kind, as a select showing `kind`'s value.
#[component]
fn KindChoice(kind: RwSignal<GroupKind>) -> impl IntoView {
    let regional = kind.get_untracked() == GroupKind::Regional;
    view! {
        <select on:change=move |ev| kind.set(if event_target_value(&ev) == "regional" { GroupKind::Regional } else { GroupKind::Functional })>
            <option value="functional" selected=!regional>"Functional"</option>
            <option value="regional" selected=regional>"Regional"</option>
        </select>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let rollback = ServerAction::<Rollback>::new();
    let update = ServerAction::<UpdateGroup>::new();
    // Read the group again after a save that went through, not after a refused one: that would
    // put back the form's values and leave the refusal naming a value no longer shown.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            saved.update(|n| *n += 1);
        }
    });
    let groups = Resource::new(move || (rollback.version().get(), saved.get()), |_| list_groups());
    let deployments = Resource::new(
        move || (name(), rollback.version().get(), saved.get()),
        |(n, ..)| list_deployments(n, String::new()),
    );
    let auth = use_auth();
    view! {
        <Title text=move || format!("Group {}", name())/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <p class="crumbs"><a href="/publisher/groups">"Gateway groups"</a> " / " {name}</p>
                <h1>{name}</h1>
            </section>
            {move || rollback.value().get().map(|r| match r {
                Ok(d) => view! { <section class="panel success"><h2>"Rolled back"</h2><DeploymentCard deployment=d/></section> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || groups.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|g| g.group.name == name())).map(|g| {
                    let reviewer = auth.can(Permission::ReviewApis);
                    let group_name = g.group.name.clone();
                    let no_apis = g.apis.is_empty();
                    let api_labels = g.apis.iter().map(|a| (a.api_id.clone(), format!("{} {}", a.name, a.version))).collect();
                    view! {
                        <section class="panel">
                            <dl class="facts">
                                <dt>"Mode"</dt><dd>{g.group.mode.as_str()}</dd>
                                <dt>"Host"</dt><dd><code>{g.group.host.clone()}</code></dd>
                                <dt>"Local gateway"</dt><dd>{if g.group.mode == GroupMode::PrivateJet {
                                    view! { "one per API, each on its own port (below)" }.into_any()
                                } else {
                                    view! { <code>{format!("http://127.0.0.1:{}", g.group.port.unwrap_or_default())}</code> }.into_any()
                                }}</dd>
                                <dt>"Autoscaling"</dt><dd>{format!("{}–{} replicas at {}% CPU", g.group.replicas_min, g.group.replicas_max, g.group.cpu_target)}</dd>
                                <dt>"Release"</dt><dd><code>{g.tag.clone().unwrap_or_else(|| "not deployed yet".into())}</code></dd>
                                <dt>"GitOps"</dt><dd data-testid="gitops-paths">
                                    "branch " <code>{g.group.name.clone()}</code>
                                    {(!g.region_overlays.is_empty()).then(|| view! {
                                        "; each region's cluster applies "
                                        {g.region_overlays.iter().map(|o| view! {
                                            <code title=format!("the gateways report region {}", o.region)>{o.path.clone()}</code>" "
                                        }).collect_view()}
                                    })}
                                </dd>
                            </dl>
                        </section>
                        <LocalProblems problems=g.local_problems.clone() apis=g.apis.clone()/>
                        {reviewer.then(|| view! { <GroupSettings group=g.group.clone() update/> })}
                        <GatewayStatus group=group_name.clone() reviewer apis=api_labels/>
                        <section class="panel">
                            <h2>"APIs"</h2>
                            {no_apis.then(|| view! { <p class="muted">"No API is assigned to this group yet: assign one in its settings, then approve a revision."</p> })}
                            <table class="table" data-testid="group-apis" hidden=no_apis>
                                <thead><tr><th>"API"</th><th>"Context"</th><th>"State"</th><th>"Live revision"</th><th>"On this machine"</th><th></th></tr></thead>
                                <tbody>
                                    {g.apis.into_iter().map(|a| {
                                        let group_name = group_name.clone();
                                        let api_id = a.api_id.clone();
                                        // What a rollback may return to: the earlier releases here.
                                        let earlier: Vec<i64> = a.released_revisions.iter().copied().filter(|r| Some(*r) != a.live_revision).collect();
                                        let target = RwSignal::new(earlier.first().map(|r| r.to_string()).unwrap_or_default());
                                        view! {
                                            <tr>
                                                <td><a href=format!("/publisher/apis/{}", a.api_id)>{format!("{} {}", a.name, a.version)}</a></td>
                                                <td><code>{a.context.clone()}</code></td>
                                                <td>{state_badge(a.state)}</td>
                                                <td data-testid="live-revision">{a.live_revision.map(|r| r.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                <td data-testid="local-url">{match (a.live_revision, a.local_port) {
                                                    (Some(_), Some(port)) => view! { <code>{format!("http://127.0.0.1:{port}{}", a.context)}</code> }.into_any(),
                                                    _ => view! { "—" }.into_any(),
                                                }}</td>
                                                <td>{(reviewer && !earlier.is_empty()).then(|| view! {
                                                    <span class="inline">
                                                        <select aria-label="Revision to roll back to" on:change=move |ev| target.set(event_target_value(&ev))>
                                                            {earlier.iter().map(|r| view! { <option value=r.to_string()>{format!("revision {r}")}</option> }).collect_view()}
                                                        </select>
                                                        <button class="button small secondary" data-testid="rollback" on:click=move |_| {
                                                            if let Ok(revision) = target.get_untracked().trim().parse::<i64>() {
                                                                rollback.dispatch(Rollback { group: group_name.clone(), api_id: api_id.clone(), revision });
                                                            }
                                                        }>"Roll back"</button>
                                                    </span>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any()
                })}
            </Transition>
            <section class="panel">
                <h2>"Deployments"</h2>
                <Transition fallback=|| ()>
                    {move || deployments.get().map(|r| match r {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No deployments yet."</p> }.into_any(),
                        Ok(list) => list.into_iter().map(|d| view! { <DeploymentCard deployment=d/> }).collect_view().into_any(),
                    })}
                </Transition>
            </section>
        </RequirePermission>
    }
}

/// A publisher changes a group's settings (its name is its identity and stays). The local
/// gateway moves to a new port at once; once the group has a release, a change to its
/// Kubernetes manifests is released at once — a new commit and tag, shown under Deployments.
#[component]
fn GroupSettings(group: GatewayGroup, update: ServerAction<UpdateGroup>) -> impl IntoView {
    let name = group.name.clone();
    let host = RwSignal::new(group.host.clone());
    let mode = RwSignal::new(group.mode);
    let kind = RwSignal::new(group.kind);
    let regions = RwSignal::new(group.regions.join(", "));
    let port = RwSignal::new(group.port.map(|p| p.to_string()).unwrap_or_default());
    let replicas_min = RwSignal::new(group.replicas_min.to_string());
    let replicas_max = RwSignal::new(group.replicas_max.to_string());
    let cpu_target = RwSignal::new(group.cpu_target.to_string());
    let image = RwSignal::new(group.image.clone());
    // A number that does not parse is sent as 0, which the server refuses by field.
    let number = |s: RwSignal<String>| s.get_untracked().trim().parse().unwrap_or(0);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateGroup {
            name: name.clone(),
            group: GatewayGroup {
                name: name.clone(),
                kind: kind.get_untracked(),
                regions: region_list(&regions.get_untracked()),
                mode: mode.get_untracked(),
                host: host.get_untracked(),
                port: port.get_untracked().trim().parse().ok(),
                replicas_min: number(replicas_min),
                replicas_max: number(replicas_max),
                cpu_target: number(cpu_target),
                image: image.get_untracked(),
            },
        });
    };
    let text = |label: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label} <input type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>
        }
    };
    let count = |label: &'static str, value: RwSignal<String>| {
        view! {
            <label>{label} <input type="number" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>
        }
    };
    view! {
        <section class="panel">
            <h2>"Settings"</h2>
            <p class="muted">"Saving releases the group's Kubernetes manifests (mode, host, regions, autoscaling, image) at once — committed and tagged like an approval; a new host is a major release. A group not released yet takes them with its first approval. The local gateway moves to a new port at once."</p>
            <form class="form" on:submit=submit data-testid="group-settings">
                <div class="grid-3">
                    {text("Ingress host", host)}
                    <label>"Mode" <ModeChoice mode/></label>
                    <label>"Kind" <KindChoice kind/></label>
                </div>
                <div class="grid-3">
                    {text("Regions / datacenters", regions)}
                    <label>"Local port"
                        <input type="number" prop:value=move || port.get() on:input=move |ev| port.set(event_target_value(&ev))/>
                        <small class="muted" hidden=move || mode.get() != GroupMode::PrivateJet>"Private jet: each API is served on a port of its own (the APIs below); this one stays the group's."</small>
                    </label>
                    {text("Gateway image", image)}
                </div>
                <div class="grid-3">
                    {count("Replicas at least", replicas_min)}
                    {count("Replicas at most", replicas_max)}
                    {count("Scale out above CPU (%)", cpu_target)}
                </div>
                <button type="submit" class="button">"Save settings"</button>
                <ActionError result=update.value().into()/>
                {move || update.value().get().and_then(|r| r.ok()).map(|u| view! { <p class="notice" role="status" data-testid="group-saved">{saved_note(&u)}</p> })}
            </form>
        </section>
    }
    // Type-erased: the page renders its views as nested futures, and this form inside the
    // group's panels overflowed a runtime thread's stack in a debug build.
    .into_any()
}

/// What keeps the group's gateways on this machine from serving, said where a publisher can act.
#[component]
fn LocalProblems(problems: Vec<LocalGatewayProblem>, apis: Vec<LiveApi>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        let whose = move |api_id: &str| match apis.iter().find(|a| a.api_id == api_id) {
            Some(a) => format!("The gateway of {} {}", a.name, a.version),
            None => "The group's gateway".to_string(),
        };
        view! {
            <section class="panel callout" role="alert" data-testid="local-gateway-problem">
                <h2>"Not serving on this machine"</h2>
                <ul>
                    {problems.iter().map(|p| view! {
                        <li>{format!("{}: {} (since {}).", whose(&p.api_id), p.problem, format_utc(p.since))}</li>
                    }).collect_view()}
                </ul>
                <p class="muted">"The gateway starts within seconds of its cause going away."</p>
            </section>
        }
    })
}

/// The ports a group is served on here: its own, or in private-jet mode each API's.
fn local_ports(summary: &GroupSummary) -> String {
    if summary.group.mode != GroupMode::PrivateJet {
        return summary.group.port.map(|p| p.to_string()).unwrap_or_else(|| "—".into());
    }
    let ports: Vec<String> = summary.apis.iter().filter_map(|a| a.local_port).map(|p| p.to_string()).collect();
    match ports.is_empty() {
        true => "one per API".into(),
        false => ports.join(", "),
    }
}

/// What saving a group's settings did, in a sentence.
fn saved_note(update: &GroupUpdate) -> String {
    match &update.release {
        None => "Settings saved.".into(),
        Some(d) if d.status == DeploymentStatus::Failed => {
            format!("Settings saved, but releasing them failed: {}", d.reason)
        }
        Some(d) => format!("Settings saved and released as {}.", d.tag),
    }
}

#[component]
pub fn RoutingPage() -> impl IntoView {
    let routes = Resource::new(|| (), |_| routing_table());
    view! {
        <Title text="Routing"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Routing"</h1>
                <p class="lead">"The ingress table across groups: host and context, to the group's gateway Service."</p>
                <PublisherTabs/>
            </section>
            <section class="panel">
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || routes.get().map(|r| match r {
                        Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing is deployed yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table" data-testid="routing">
                                <thead><tr><th>"Host"</th><th>"Context"</th><th>"Group"</th><th>"Service"</th><th>"On this machine"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr>
                                            <td><code>{r.host}</code></td>
                                            <td><code>{r.context}</code></td>
                                            <td><a href=format!("/publisher/groups/{}", r.group)>{r.group.clone()}</a></td>
                                            <td><code>{r.service}</code></td>
                                            <td><code>{r.local_url}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Transition>
            </section>
        </RequirePermission>
    }
}

/// The group's gateway instances (from their heartbeats) and, for publishers, a credential for
/// gateways run elsewhere. Loaded in the browser only.
#[component]
/// `apis`: the group's APIs by id, to name the one a private-jet gateway serves.
fn GatewayStatus(group: String, reviewer: bool, apis: Vec<(String, String)>) -> impl IntoView {
    let load = ServerAction::<LoadGatewayInstances>::new();
    let credential = ServerAction::<CreateGatewayCredential>::new();
    let for_load = group.clone();
    let group_for_list = group.clone();
    let group_for_tags = group.clone();
    let group_for_secrets = group.clone();
    Effect::new(move |_| {
        load.dispatch(LoadGatewayInstances { group: for_load.clone() });
    });
    view! {
        <section class="panel" data-testid="gateways">
            <h2>"Gateways"</h2>
            {move || load.value().get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="muted">"No gateway has reported in the last hour."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="table compact">
                        <thead><tr><th>"Instance"</th><th>"Serves"</th><th>"Serving release"</th><th>"Last seen"</th><th>"State"</th><th>"Tier counts"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|i| view! {
                                <tr>
                                    <td><code>{i.instance}</code></td>
                                    <td data-testid="gateway-serves">{match apis.iter().find(|(id, _)| *id == i.api_id) {
                                        _ if i.api_id.is_empty() => "every API".to_string(),
                                        Some((_, label)) => label.clone(),
                                        None => i.api_id.clone(),
                                    }}</td>
                                    // Named by its tag, as the group's release is above.
                                    <td>{if i.version.is_empty() { "nothing yet".to_string() } else { gatehouse_contract::release_tag(&group_for_tags, &i.version) }}</td>
                                    <td class="muted">{format_utc(i.seen_at)}</td>
                                    <td>
                                        {if i.up { "up" } else { "not reporting" }}
                                        // Set where the gateway runs; until then it answers those APIs 503.
                                        {(!i.missing_secrets.is_empty()).then(|| view! {
                                            <p class="error" data-testid="missing-secrets">
                                                "Missing backend secrets: "
                                                {i.missing_secrets.join(", ")}
                                                ". Their APIs answer 503 until they are given: in Kubernetes as keys of the Secret "
                                                <code>{gatehouse_contract::backend_secrets(&group_for_secrets)}</code>
                                                " (without a restart), on this machine as variables of "<code>"gatehouse serve"</code>" (restarted)."
                                            </p>
                                        })}
                                    </td>
                                    <td data-testid="tier-counts">{i.tier_counts.label()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            {reviewer.then(|| {
                let group = group.clone();
                view! {
                    <p class="muted">"Gateways run elsewhere (a cluster) need a credential: "
                        <button class="button small secondary" on:click=move |_| { credential.dispatch(CreateGatewayCredential { group: group.clone() }); }>"New gateway credential"</button>
                    </p>
                }
            })}
            {move || credential.value().get().map(|r| match r {
                Ok(credential) => {
                    let needs_address = credential.kubernetes_secret.contains("$GATEHOUSE_URL");
                    view! {
                        <div class="callout" data-testid="new-gateway-credential">
                            <p>"Shown only now. A gateway takes it as " <code>"GATEHOUSE_GATEWAY_TOKEN"</code>
                               ", with this server's address as " <code>"GATEHOUSE_SERVER"</code> ":"</p>
                            <code class="secret" data-testid="gateway-token">{credential.token}</code>
                            <p>"In the group's cluster, put both in the Secret its manifests read; its gateways then take new subscriptions and revocations at once, report the release they serve and send their events:"</p>
                            <code class="secret" data-testid="kubernetes-secret">{credential.kubernetes_secret}</code>
                            {needs_address.then(|| view! {
                                <p class="muted">"Set " <code>"GATEHOUSE_URL"</code> " to this server's address as the cluster reaches it first (or start the server with " <code>"GATEHOUSE_PUBLIC_URL"</code> " to have it filled in)."</p>
                            })}
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
            })}
            {reviewer.then(|| view! { <GatewayCredentials group=group_for_list.clone() created=credential/> })}
        </section>
    }
}

/// The group's gateway credentials, for a publisher to revoke one that leaked or whose
/// gateways are gone. Loaded in the browser only, like the instances above.
#[component]
fn GatewayCredentials(group: String, created: ServerAction<CreateGatewayCredential>) -> impl IntoView {
    let load = ServerAction::<ListGatewayCredentials>::new();
    let revoke = ServerAction::<RevokeGatewayCredential>::new();
    let for_load = group.clone();
    Effect::new(move |_| {
        created.version().get();
        revoke.version().get();
        load.dispatch(ListGatewayCredentials { group: for_load.clone() });
    });
    view! {
        {move || load.value().get().and_then(|r| r.ok()).filter(|list| !list.is_empty()).map(|list| {
            let group = group.clone();
            view! {
                <h3>"Credentials"</h3>
                <table class="table compact" data-testid="gateway-credentials">
                    <thead><tr><th>"Token"</th><th>"Created by"</th><th>"Created"</th><th>"State"</th><th></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let (group, id) = (group.clone(), c.id.clone());
                            let revocable = c.revoked_at.is_none() && c.label != "embedded";
                            view! {
                                <tr data-testid="gateway-credential">
                                    <td><code>{format!("{}…", c.prefix)}</code></td>
                                    <td>{if c.label == "embedded" { "this server (local gateway)".to_string() } else { c.label.clone() }}</td>
                                    <td class="muted">{format_utc(c.created_at)}</td>
                                    <td>{match c.revoked_at { Some(at) => format!("revoked {}", format_utc(at)), None => "valid".to_string() }}</td>
                                    <td>{revocable.then(|| view! {
                                        <button class="button small danger" data-testid="revoke-gateway-credential" on:click=move |_| {
                                            revoke.dispatch(RevokeGatewayCredential { group: group.clone(), id: id.clone() });
                                        }>"Revoke"</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
        })}
        <ActionError result=revoke.value().into()/>
    }
}
