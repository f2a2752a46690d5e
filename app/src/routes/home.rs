//! The start page: what Gatehouse is, and where each role goes next.

use crate::app::use_auth;
use crate::components::count;
use crate::functions::deploy::awaiting_review;
use crate::functions::subscriptions::subscriptions_to_act_on;
use gatehouse_contract::{Permission, Subscription};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    // What waits for a publisher's decision; nothing for anyone else. Its source is fixed, so
    // the server and the hydrating browser agree on what was rendered.
    let awaiting = Resource::new(|| (), |_| awaiting_review());
    // The same for a consumer's subscriptions whose API is leaving, gone or refusing them.
    let to_act_on = Resource::new(|| (), |_| subscriptions_to_act_on());
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"APIs, grouped and served where they belong"</h1>
            <p class="lead">
                "Gatehouse manages APIs for decentralized gateways: design an API, submit a revision for review, "
                "and approval deploys it to its group's own microgateway. Consumers find it in the portal, "
                "subscribe an application and call it through the gateway."
            </p>
        </section>
        <Transition fallback=|| ()>
            {move || {
                let me = auth.me();
                let role = me.as_ref().map(|m| m.role);
                let can = move |p: Permission| role.is_some_and(|r| r.can(p));
                let tiles = [
                    ("/portal", "Developer portal", "Browse published APIs, read their reference and subscribe.", true),
                    ("/applications", "Applications", "Your applications: credentials, subscriptions and tiers.", can(Permission::UsePortal)),
                    ("/publisher", "Publisher", "Design APIs, cut revisions and take them through review.", can(Permission::DesignApis)),
                    ("/analytics", "Analytics", "Traffic, errors and latency from the gateways.", can(Permission::ViewAnalytics)),
                    ("/admin/users", "Administration", "Users and roles, sign-up, webhooks and the audit log.", can(Permission::Administer)),
                ];
                view! {
                    <section class="tiles">
                        {tiles
                            .into_iter()
                            .filter(|t| t.3)
                            .map(|(href, title, text, _)| view! {
                                <a class="tile" href=href>
                                    <h2>{title}</h2>
                                    <p>{text}</p>
                                </a>
                            })
                            .collect_view()}
                    </section>
                    {move || awaiting.get().and_then(Result::ok).flatten().filter(|n| *n > 0).map(|n| view! {
                        <p class="callout" data-testid="awaiting-review">
                            <a href="/publisher/approvals">{count(n, "request waits", "requests wait")} " for your review"</a>
                        </p>
                    })}
                    {move || to_act_on.get().and_then(Result::ok).flatten().filter(|list| !list.is_empty()).map(|list| view! {
                        <SubscriptionsToActOn list/>
                    })}
                    {me.is_none().then(|| view! {
                        <p class="muted">"New here? " <a href="/signup">"Create an account"</a> " to subscribe to APIs."</p>
                    })}
                }
            }}
        </Transition>
    }
}

/// A consumer's subscriptions that need them, each with where to go: the newer version when
/// there is one, else their applications.
#[component]
fn SubscriptionsToActOn(list: Vec<Subscription>) -> impl IntoView {
    view! {
        <div class="callout" data-testid="subscriptions-to-act-on">
            <p><strong>{count(list.len() as i64, "subscription needs", "subscriptions need")} " you"</strong></p>
            <ul class="plain">
                {list.into_iter().map(|s| {
                    let message = s.attention().unwrap_or_default();
                    let newer = s.newer_version.map(|v| view! {
                        " · " <a href=format!("/portal/apis/{}", v.id)>{format!("{} {}", s.api_name, v.version)}</a>
                    });
                    view! { <li>{s.application_name} ": " {message} {newer}</li> }
                }).collect_view()}
            </ul>
            <p><a href="/applications">"Your applications"</a></p>
        </div>
    }
}
