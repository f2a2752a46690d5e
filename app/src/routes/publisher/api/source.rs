//! The source view: the whole definition as text, checked as you type, saved as a whole.

use super::Reload;
use crate::components::diagnostics::Diagnostics;
use crate::functions::apis::{GetApiSource, SaveSource, Validation, validate_definition};
use gatehouse_contract::{ApiDetail, ApiSource};
use leptos::prelude::*;

#[component]
pub fn SourceTab(api: ApiDetail) -> impl IntoView {
    // Loaded in the browser, as an action dispatched by an effect, like the docs list (see
    // there): a definition can be megabytes, which neither the workspace's data nor the
    // server-rendered page should carry for every tab.
    let load = ServerAction::<GetApiSource>::new();
    Effect::new({
        let id = api.summary.id.clone();
        move |_| {
            load.dispatch(GetApiSource { id: id.clone() });
        }
    });
    let id = api.summary.id.clone();
    let editable = api.editable;
    view! {
        <section class="panel">
            {move || match load.value().get() {
                None => view! { <h2>"Source"</h2> <p class="muted">"Loading the definition…"</p> }.into_any(),
                Some(Err(e)) => view! { <h2>"Source"</h2> <p class="error">{e.message}</p> }.into_any(),
                Some(Ok(source)) => view! { <SourceEditor id=id.clone() source editable/> }.into_any(),
            }}
        </section>
    }
}

/// The definition as text, checked as you type, saved as a whole on the edit it was loaded at.
#[component]
fn SourceEditor(id: String, source: ApiSource, editable: bool) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let text = RwSignal::new(source.source);
    let typed = RwSignal::new(0u32);
    let save = ServerAction::<SaveSource>::new();
    // Validate a moment after typing stops, not on every key, into a signal (not a resource).
    let validation = RwSignal::new(None::<Validation>);
    let check = move || {
        let n = typed.get_untracked();
        leptos::task::spawn_local(async move {
            #[cfg(feature = "hydrate")]
            gloo_timers_sleep(400).await;
            if n != typed.get_untracked() {
                return;
            }
            if let Ok(v) = validate_definition(text.get_untracked()).await
                && n == typed.get_untracked()
            {
                validation.set(Some(v));
            }
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            reload.now();
        }
    });
    let edit_version = source.edit_version;
    view! {
        <div class="row">
            <h2>"Source"</h2>
            <span class="muted">{format!("{:?}", source.source_format).to_uppercase()}</span>
        </div>
        <textarea class="code source" rows="28" spellcheck="false" data-testid="source-editor" readonly=!editable
            on:input=move |ev| { text.set(event_target_value(&ev)); typed.update(|n| *n += 1); check(); }>
            {text.get_untracked()}
        </textarea>
        {move || validation.get().map(|v| view! {
                <div data-testid="source-validation">
                    {if v.errors.is_empty() {
                        view! { <p class="ok">{format!("Valid — {} warnings", v.warnings.len())}</p> }.into_any()
                    } else {
                        view! { <p class="error">"This definition would be refused:"</p> }.into_any()
                    }}
                    <Diagnostics items=v.errors kind="error"/>
                    <Diagnostics items=v.warnings kind="warning"/>
                </div>
            })}
        {editable.then(|| view! {
            <div class="row">
                <button class="button" data-testid="save-source" on:click=move |_| {
                    save.dispatch(SaveSource { id: id.clone(), source: text.get_untracked(), edit_version });
                }>"Save definition"</button>
                {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            </div>
        })}
    }
}

/// Wait `ms` milliseconds in the browser.
#[cfg(feature = "hydrate")]
async fn gloo_timers_sleep(ms: i32) {
    let promise = js_sys_promise(ms);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(feature = "hydrate")]
fn js_sys_promise(ms: i32) -> wasm_bindgen_futures::js_sys::Promise {
    wasm_bindgen_futures::js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    })
}
