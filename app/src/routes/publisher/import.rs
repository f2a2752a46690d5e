//! Import a definition by upload or paste. The browser sends it straight to the REST import
//! (`POST /api/v1/apis/import`), so the UI and pipelines share one path, zips included.

use crate::components::count;
use crate::components::diagnostics::Diagnostics;
use crate::components::guard::RequirePermission;
use crate::url::encode;
use gatehouse_contract::{Diagnostic, ImportOutcome, Permission};
use leptos::prelude::*;
use leptos_meta::Title;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Clone, Debug)]
enum Outcome {
    Imported(ImportOutcome),
    Refused { message: String, details: Vec<Diagnostic> },
}

/// POST the body to the REST import and read the JSON answer.
async fn post(url: String, body: JsValue, content_type: &str) -> Result<(u16, serde_json::Value), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body);
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(|_| "cannot build the request")?;
    request.headers().set("Content-Type", content_type).map_err(|_| "cannot set the content type")?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| "the server could not be reached")?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "unexpected answer")?;
    let text = wasm_bindgen_futures::JsFuture::from(response.text().map_err(|_| "unreadable answer")?)
        .await
        .map_err(|_| "unreadable answer")?
        .as_string()
        .unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Ok((response.status(), json))
}

fn outcome_of(status: u16, json: serde_json::Value) -> Outcome {
    if (200..300).contains(&status) {
        match serde_json::from_value::<ImportOutcome>(json) {
            Ok(o) => Outcome::Imported(o),
            Err(e) => Outcome::Refused { message: format!("unexpected answer: {e}"), details: vec![] },
        }
    } else {
        let message = json["error"]["message"].as_str().unwrap_or("the import failed").to_string();
        let details = serde_json::from_value(json["error"]["details"].clone()).unwrap_or_default();
        Outcome::Refused { message, details }
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let file_input = NodeRef::<leptos::html::Input>::new();
    let pasted = RwSignal::new(String::new());
    let context = RwSignal::new(String::new());
    let entry = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Outcome>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let file = file_input.get().and_then(|input| input.files()).and_then(|files| files.get(0));
        let text = pasted.get_untracked();
        let (body, content_type): (JsValue, &'static str) = match file {
            Some(file) => {
                let zip = file.name().to_ascii_lowercase().ends_with(".zip");
                (file.into(), if zip { "application/zip" } else { "application/yaml" })
            }
            None if !text.trim().is_empty() => (JsValue::from_str(&text), "application/yaml"),
            None => {
                outcome.set(Some(Outcome::Refused {
                    message: "Choose a file or paste a definition.".into(),
                    details: vec![],
                }));
                return;
            }
        };
        let mut url = String::from("/api/v1/apis/import?");
        if !context.get_untracked().trim().is_empty() {
            url.push_str(&format!("context={}&", encode(context.get_untracked().trim())));
        }
        if !entry.get_untracked().trim().is_empty() {
            url.push_str(&format!("entry={}", encode(entry.get_untracked().trim())));
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match post(url, body, content_type).await {
                Ok((status, json)) => outcome_of(status, json),
                Err(message) => Outcome::Refused { message, details: vec![] },
            };
            outcome.set(Some(result));
            busy.set(false);
        });
    };

    view! {
        <Title text="Import definition"/>
        <RequirePermission permission=Permission::DesignApis>
            <section class="page-head">
                <h1>"Import a definition"</h1>
                <p class="lead">"Swagger 2.0, OpenAPI 3.0 or 3.1, as YAML or JSON — or a zip of a definition split over several files, or a project exported from Gatehouse (it brings its settings and pages). Importing an existing name and version updates its working copy."</p>
            </section>
            <section class="panel">
                <form class="form" on:submit=submit>
                    <label>"File" <input type="file" node_ref=file_input accept=".yaml,.yml,.json,.zip" data-testid="import-file"/></label>
                    <label>"…or paste it here"
                        <textarea rows="8" class="code" placeholder="openapi: 3.1.0" prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="grid-2">
                        <label>"Context (optional)" <input type="text" placeholder="/review/v1.0" prop:value=move || context.get() on:input=move |ev| context.set(event_target_value(&ev))/></label>
                        <label>"Root file inside a zip (optional)" <input type="text" placeholder="spec/openapi.yaml" prop:value=move || entry.get() on:input=move |ev| entry.set(event_target_value(&ev))/></label>
                    </div>
                    <button type="submit" class="button" disabled=move || busy.get()>{move || if busy.get() { "Importing…" } else { "Import" }}</button>
                </form>
            </section>
            {move || outcome.get().map(|o| match o {
                Outcome::Imported(o) => view! {
                    <section class="panel success" data-testid="import-result">
                        <h2>{format!("{} {} {}", if o.updated { "Updated" } else { "Imported" }, o.name, o.version)}</h2>
                        <p>"Served under " <code>{o.context.clone()}</code></p>
                        {(!o.warnings.is_empty()).then(|| view! { <p class="muted">{format!("{} — worth a look:", count(o.warnings.len() as i64, "warning", "warnings"))}</p> })}
                        <Diagnostics items=o.warnings.clone() kind="warning"/>
                        <a class="button" href=format!("/publisher/apis/{}", o.id)>"Open the API"</a>
                    </section>
                }.into_any(),
                Outcome::Refused { message, details } => view! {
                    <section class="panel refused" data-testid="import-refused">
                        <h2>"Not imported"</h2>
                        <p class="error">{message}</p>
                        <Diagnostics items=details kind="error"/>
                    </section>
                }.into_any(),
            })}
        </RequirePermission>
    }
}
