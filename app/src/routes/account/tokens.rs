//! Personal access tokens: create (shown once), list, revoke.

use super::AccountTabs;
use crate::components::guard::RequirePermission;
use crate::components::notice::ActionError;
use crate::functions::tokens::{CreateToken, RevokeToken, list_tokens};
use crate::time::format_utc;
use gatehouse_contract::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <Title text="Access tokens"/>
        <RequirePermission permission=Permission::UsePortal>
            <section class="page-head">
                <h1>"Your account"</h1>
                <AccountTabs/>
                <p class="lead">"Personal access tokens, for pipelines and scripts: send " <code>"Authorization: Bearer <token>"</code> " to the REST API."</p>
            </section>
            <Tokens/>
        </RequirePermission>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    view! {
        <section class="panel">
            <h2>"New token"</h2>
            <ActionForm action=create attr:class="form inline-form">
                <label>"Name" <input type="text" name="name" placeholder="e.g. release pipeline" required maxlength="100"/></label>
                <button type="submit" class="button">"Create token"</button>
            </ActionForm>
            <ActionError result=create.value().into()/>
            {move || create.value().get().and_then(|r| r.ok()).map(|t| view! {
                <div class="callout" data-testid="new-token">
                    <p><strong>{format!("Token “{}” created.", t.name)}</strong> " Copy it now: it will not be shown again."</p>
                    <code class="secret">{t.token}</code>
                </div>
            })}
        </section>
        <section class="panel">
            <h2>"Your tokens"</h2>
            <ActionError result=revoke.value().into()/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let revoked = t.revoked_at.is_some();
                                    view! {
                                        <tr class:revoked=revoked>
                                            <td>{t.name.clone()}</td>
                                            <td><code>{format!("{}…", t.prefix)}</code></td>
                                            <td class="muted">{format_utc(t.created_at)}</td>
                                            <td class="muted">{t.last_used_at.map(format_utc).unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                {if revoked {
                                                    view! { <span class="badge">"revoked"</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <ActionForm action=revoke attr:class="inline">
                                                            <input type="hidden" name="id" value=t.id.clone()/>
                                                            <button type="submit" class="button small danger">"Revoke"</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
