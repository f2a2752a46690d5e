//! The admin's user list: add accounts, filter as you type, change roles, reset passwords,
//! disable and enable accounts.

use super::AdminPage;
use crate::components::count;
use crate::components::notice::ActionError;
use crate::functions::admin::{AddUser, ChangeRole, HandOverApis, ResetPassword, SetUserDisabled, list_users};
use crate::time::format_utc;
use gatehouse_contract::{Role, UserSummary};
use leptos::prelude::*;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <AdminPage title="Users">
            <UserList/>
        </AdminPage>
    }
}

#[component]
fn UserList() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let change = ServerAction::<ChangeRole>::new();
    let access = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let hand_over = ServerAction::<HandOverApis>::new();
    let users = Resource::new(
        move || (add.version().get(), change.version().get(), access.version().get(), hand_over.version().get()),
        |_| list_users(),
    );
    let filter = RwSignal::new(String::new());
    view! {
        <section class="panel">
            <h2>"Add an account"</h2>
            <p class="muted">"For someone who cannot sign up themselves, or who needs more than a consumer's role from the start. Gatehouse makes up their first password; they change it under Account → Password."</p>
            <ActionForm action=add attr:class="form inline-form">
                <label>"Email" <input type="email" name="email" required autocomplete="off"/></label>
                <label>"Role"
                    <select name="role">
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == Role::Consumer>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button">"Add account"</button>
            </ActionForm>
            <ActionError result=add.value().into()/>
            {move || add.value().get().and_then(|r| r.ok()).map(|new| view! {
                <div class="callout" data-testid="new-account">
                    <p><strong>{format!("Account for {} added.", new.user.email)}</strong> " Pass on its first password; it is shown only now:"</p>
                    <code class="secret">{new.password}</code>
                </div>
            })}
        </section>
        <section class="panel">
            <div class="toolbar">
                <input
                    type="search"
                    placeholder="Filter by email"
                    aria-label="Filter users by email"
                    data-testid="user-filter"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                <ActionError result=change.value().into()/>
                <ActionError result=access.value().into()/>
                <ActionError result=reset.value().into()/>
                <ActionError result=hand_over.value().into()/>
            </div>
            {move || hand_over.value().get().and_then(|r| r.ok()).map(|moved| view! {
                <p class="notice" role="status" data-testid="handed-over">{count(moved as i64, "API version", "API versions")} " handed over."</p>
            })}
            {move || reset.value().get().and_then(|r| r.ok()).map(|done| view! {
                <div class="callout" data-testid="reset-password">
                    <p><strong>{format!("New password for {}.", done.email)}</strong> " Their sessions were signed out. Pass it on; it is shown only now:"</p>
                    <code class="secret">{done.password}</code>
                </div>
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(page) => {
                        let total = page.total;
                        let rows = page.items;
                        view! {
                            <table class="table">
                                <thead><tr><th>"Email"</th><th>"Role"</th><th>"Joined"</th><th>"Change role"</th><th>"Access"</th></tr></thead>
                                <tbody>
                                    <For
                                        each=move || {
                                            let needle = filter.get().to_lowercase();
                                            rows.clone().into_iter().filter(move |u| u.email.contains(&needle)).collect::<Vec<_>>()
                                        }
                                        key=|u| (u.id.clone(), u.role, u.disabled, u.owned_apis)
                                        let(user)
                                    >
                                        <UserRow user change access reset hand_over/>
                                    </For>
                                </tbody>
                            </table>
                            <p class="muted">{count(total, "account", "accounts")}</p>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserRow(
    user: UserSummary,
    change: ServerAction<ChangeRole>,
    access: ServerAction<SetUserDisabled>,
    reset: ServerAction<ResetPassword>,
    hand_over: ServerAction<HandOverApis>,
) -> impl IntoView {
    let select_label = format!("Role for {}", user.email);
    let (access_label, access_to) = if user.disabled { ("Enable", "false") } else { ("Disable", "true") };
    let access_user_id = user.id.clone();
    let reset_user_id = user.id.clone();
    let hand_over_user_id = user.id.clone();
    // A disabled account's APIs stay its own until handed to someone who is still here.
    let owned = (user.disabled && user.owned_apis > 0).then_some(user.owned_apis);
    view! {
        <tr data-testid="user-row" data-email=user.email.clone()>
            <td>{user.email.clone()}</td>
            <td>
                <span class=format!("badge role-{}", user.role.as_str())>{user.role.label()}</span>
                {user.disabled.then(|| view! { " " <span class="badge" data-testid="user-disabled">"disabled"</span> })}
            </td>
            <td class="muted">{format_utc(user.created_at)}</td>
            <td>
                {if user.system {
                    view! { <span class="muted">"Gatehouse's own account: owns the management API's listing"</span> }.into_any()
                } else {
                    view! {
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="user_id" value=user.id.clone()/>
                            <select name="role" aria-label=select_label>
                                {Role::ALL.into_iter().map(|r| view! {
                                    <option value=r.as_str() selected=r == user.role>{r.label()}</option>
                                }).collect_view()}
                            </select>
                            <button type="submit" class="button small">"Save"</button>
                        </ActionForm>
                    }.into_any()
                }}
            </td>
            <td>
                {(!user.system).then(|| view! {
                    <ActionForm action=access attr:class="inline">
                        <input type="hidden" name="user_id" value=access_user_id/>
                        <input type="hidden" name="disabled" value=access_to/>
                        <button type="submit" class=if user.disabled { "button small secondary" } else { "button small danger" } data-testid="user-access">{access_label}</button>
                    </ActionForm>
                    " "
                    <ActionForm action=reset attr:class="inline">
                        <input type="hidden" name="user_id" value=reset_user_id/>
                        <button type="submit" class="button small secondary" data-testid="reset-password-button">"Reset password"</button>
                    </ActionForm>
                })}
                {owned.map(|n| view! {
                    <ActionForm action=hand_over attr:class="inline-form hand-over">
                        <input type="hidden" name="user_id" value=hand_over_user_id/>
                        <label>{format!("Still owns {}; hand to ", count(n, "API version", "API versions"))}
                            <input type="email" name="owner" required placeholder="email" data-testid="hand-over-owner"/>
                        </label>
                        <button type="submit" class="button small" data-testid="hand-over">"Hand over"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
