//! The form view: operations listed, added and removed; one operation edited field by field.
//! Every change is written into the definition itself, so the source view shows it at once.

use super::{NewOperation, Reload};
use crate::components::{plain_excerpt, wrap_after};
use crate::functions::apis::{ConvertToOpenapi3, EditOperation, LoadOperationForm};
use crate::url::encode;
use gatehouse_contract::{ApiDetail, BodyForm, OperationEdit, OperationForm, ParameterForm, SpecVersion};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

#[component]
pub fn DesignTab(api: ApiDetail) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let query = use_query_map();
    let selected = move || query.read().get("op");
    let edit = ServerAction::<EditOperation>::new();
    let id = api.summary.id.clone();
    let edit_version = api.edit_version;
    let form_edits = api.editable && api.summary.spec_version != SpecVersion::Swagger2;
    let new_operation = expect_context::<NewOperation>();
    let NewOperation { method: new_method, path: new_path, summary: new_summary } = new_operation;
    // Whether the edit on its way is this form's: a Remove or an editor's save leaves a
    // half-typed new operation alone.
    let adding = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(result) = edit.value().get() else { return };
        if result.is_ok() {
            if adding.get_untracked() {
                // The operation is in the definition now: an empty form for the next one.
                new_operation.clear();
            }
            reload.now();
        }
        adding.set(false);
    });
    let add_id = id.clone();
    let ops = api.model.operations.clone();
    let design = api.design.clone();
    view! {
        <section class="panel">
            <h2>"Operations"</h2>
            {(api.summary.spec_version == SpecVersion::Swagger2).then(|| view! {
                <ConvertNotice api_id=id.clone() edit_version editable=api.editable/>
            })}
            {move || edit.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            <table class="table" data-testid="operations">
                <thead><tr><th>"Method"</th><th>"Path"</th><th>"Summary"</th><th></th></tr></thead>
                <tbody>
                    {ops.into_iter().map(|op| {
                        let key = op.key();
                        let href = format!("/publisher/apis/{}?tab=design&op={}", id, encode(&key));
                        let remove_id = id.clone();
                        let (method, path) = (op.method.clone(), op.path.clone());
                        // The design review's findings on this operation, at hand where it is
                        // edited (the Overview lists them all).
                        let notes: Vec<String> =
                            design.iter().filter(|f| f.operation.as_deref() == Some(key.as_str())).map(|f| f.message.clone()).collect();
                        view! {
                            <tr data-testid="operation-row" data-key=key.clone()>
                                <td><span class=format!("method method-{}", op.method.to_lowercase())>{op.method.clone()}</span></td>
                                <td class="path"><code>{wrap_after(op.path.clone(), '/')}</code>{op.deprecated.then(|| view! { " " <span class="badge">"deprecated"</span> })}</td>
                                <td>{plain_excerpt(&op.summary)}
                                    {(!notes.is_empty()).then(|| view! {
                                        " " <span class="badge design-note" data-testid="design-note" title=notes.join("\n")>{format!("{} to review", notes.len())}</span>
                                    })}
                                </td>
                                <td class="nowrap">
                                    <a href=href>{if form_edits { "Edit" } else { "View" }}</a>
                                    {form_edits.then(|| view! {
                                        " · "
                                        <button class="link-button danger-text" on:click=move |_| {
                                            edit.dispatch(EditOperation {
                                                id: remove_id.clone(),
                                                edit: OperationEdit::Remove { method: method.clone(), path: path.clone() },
                                                edit_version,
                                            });
                                        }>"Remove"</button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {form_edits.then(|| view! {
                <form class="form inline-form add-operation" on:submit=move |ev| {
                    ev.prevent_default();
                    adding.set(true);
                    edit.dispatch(EditOperation {
                        id: add_id.clone(),
                        edit: OperationEdit::Add { method: new_method.get_untracked(), path: new_path.get_untracked(), summary: new_summary.get_untracked() },
                        edit_version,
                    });
                }>
                    <label class="narrow-field">"Method"
                        <select on:change=move |ev| new_method.set(event_target_value(&ev))>
                            {METHODS.into_iter().map(|m| view! { <option value=m selected=move || new_method.get() == m>{m}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Path" <input type="text" placeholder="/reviews/{id}" required prop:value=new_path on:input=move |ev| new_path.set(event_target_value(&ev))/></label>
                    <label>"Summary" <input type="text" prop:value=new_summary on:input=move |ev| new_summary.set(event_target_value(&ev))/></label>
                    <button type="submit" class="button">"Add operation"</button>
                </form>
            })}
        </section>
        {move || selected().and_then(|key| {
            let (method, path) = key.split_once(' ').map(|(m, p)| (m.to_string(), p.to_string()))?;
            Some(view! { <OperationEditor api_id=id.clone() method path edit_version editable=form_edits edit/> })
        })}
    }
}

/// A Swagger 2.0 definition: the form shows it, the source view edits it, and one click makes
/// it OpenAPI 3.0, which the form edits too.
#[component]
fn ConvertNotice(api_id: String, edit_version: i64, editable: bool) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let convert = ServerAction::<ConvertToOpenapi3>::new();
    Effect::new(move |_| {
        if convert.value().get().is_some_and(|r| r.is_ok()) {
            reload.now();
        }
    });
    view! {
        <div class="callout" data-testid="swagger2-notice">
            <p>"This is a Swagger 2.0 definition: the form shows it and the source view edits it. "
               "Converted to OpenAPI 3.0, it can be edited here too; revisions already cut keep their Swagger 2.0."</p>
            {editable.then(|| view! {
                <button type="button" class="button small" data-testid="convert-openapi3"
                    disabled=move || convert.pending().get()
                    on:click=move |_| { convert.dispatch(ConvertToOpenapi3 { id: api_id.clone(), edit_version }); }>
                    "Convert to OpenAPI 3.0"
                </button>
            })}
            {move || convert.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
        </div>
    }
}

#[component]
fn OperationEditor(
    api_id: String,
    method: String,
    path: String,
    edit_version: i64,
    editable: bool,
    edit: ServerAction<EditOperation>,
) -> impl IntoView {
    // Loaded by an action from an effect, i.e. only in the browser: this editor is built in the
    // workspace's reactive closure, which the server's Suspense may run more than once, and a
    // resource created there can be paired with another build's data (see the role guard).
    let form = ServerAction::<LoadOperationForm>::new();
    let load = LoadOperationForm { id: api_id.clone(), method, path };
    Effect::new(move |_| {
        form.dispatch(load.clone());
    });
    view! {
        {move || match form.value().get() {
            None => view! { <p class="muted">"Loading the operation…"</p> }.into_any(),
            Some(Ok(Some(f))) => view! { <OperationFields form=f api_id=api_id.clone() edit_version editable edit/> }.into_any(),
            Some(Ok(None)) => view! { <section class="panel"><p class="muted">"This operation is not in the definition as written (it may come from a shared path item)."</p></section> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.message}</p> }.into_any(),
        }}
    }
}

#[component]
fn OperationFields(
    form: OperationForm,
    api_id: String,
    edit_version: i64,
    editable: bool,
    edit: ServerAction<EditOperation>,
) -> impl IntoView {
    let summary = RwSignal::new(form.summary.clone());
    let description = RwSignal::new(form.description.clone());
    let deprecated = RwSignal::new(form.deprecated);
    let tags = RwSignal::new(form.tags.join(", "));
    let params = RwSignal::new(form.parameters.clone());
    let body = RwSignal::new(
        form.request_body.clone().unwrap_or(BodyForm { content_type: "application/json".into(), ..Default::default() }),
    );
    let responses = RwSignal::new(form.responses.clone());
    let (method, path) = (form.method.clone(), form.path.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = body.get_untracked();
        let form = OperationForm {
            method: method.clone(),
            path: path.clone(),
            summary: summary.get_untracked(),
            description: description.get_untracked(),
            deprecated: deprecated.get_untracked(),
            tags: tags.get_untracked().split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
            parameters: params.get_untracked(),
            request_body: (!body.schema.trim().is_empty() || !body.example.trim().is_empty()).then_some(body),
            responses: responses.get_untracked(),
        };
        edit.dispatch(EditOperation { id: api_id.clone(), edit: OperationEdit::Update { form }, edit_version });
    };
    view! {
        <section class="panel operation-editor" data-testid="operation-editor">
            <h2><span class=format!("method method-{}", form.method.to_lowercase())>{form.method.clone()}</span> " " <code>{form.path.clone()}</code></h2>
            <form class="form" on:submit=save>
                <fieldset disabled=!editable>
                    <label>"Summary" <input type="text" name="summary" data-testid="op-summary" value=summary.get_untracked() on:input=move |ev| summary.set(event_target_value(&ev))/></label>
                    <label>"Description" <textarea rows="3" on:input=move |ev| description.set(event_target_value(&ev))>{description.get_untracked()}</textarea></label>
                    <div class="grid-2">
                        <label>"Tags (comma-separated)" <input type="text" value=tags.get_untracked() on:input=move |ev| tags.set(event_target_value(&ev))/></label>
                        <label class="checkbox"><input type="checkbox" prop:checked=move || deprecated.get() on:change=move |ev| deprecated.set(event_target_checked(&ev))/> "Deprecated"</label>
                    </div>
                    <h3>"Parameters"</h3>
                    {move || {
                        let rows = params.get();
                        view! {
                            <table class="table compact">
                                <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th><th></th></tr></thead>
                                <tbody>
                                    {rows.into_iter().enumerate().map(|(i, p)| view! {
                                        <tr>
                                            <td><input type="text" value=p.name.clone() on:input=move |ev| params.update_untracked(|v| v[i].name = event_target_value(&ev))/></td>
                                            <td>
                                                <select on:change=move |ev| params.update_untracked(|v| v[i].location = event_target_value(&ev))>
                                                    {["query", "path", "header", "cookie"].into_iter().map(|l| view! { <option value=l selected=l == p.location>{l}</option> }).collect_view()}
                                                </select>
                                            </td>
                                            <td>
                                                <select on:change=move |ev| params.update_untracked(|v| v[i].schema_type = event_target_value(&ev))>
                                                    {["string", "integer", "number", "boolean", "array"].into_iter().map(|t| view! { <option value=t selected=t == p.schema_type>{t}</option> }).collect_view()}
                                                </select>
                                            </td>
                                            <td><input type="checkbox" checked=p.required on:change=move |ev| params.update_untracked(|v| v[i].required = event_target_checked(&ev))/></td>
                                            <td><input type="text" value=p.description.clone() on:input=move |ev| params.update_untracked(|v| v[i].description = event_target_value(&ev))/></td>
                                            <td><button type="button" class="link-button" on:click=move |_| params.update(|v| { v.remove(i); })>"Remove"</button></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                    }}
                    <button type="button" class="button small secondary" on:click=move |_| params.update(|v| v.push(ParameterForm { location: "query".into(), schema_type: "string".into(), ..Default::default() }))>"Add parameter"</button>
                    <h3>"Request body"</h3>
                    <div class="grid-2">
                        <label>"Content type" <input type="text" value=body.get_untracked().content_type on:input=move |ev| body.update_untracked(|b| b.content_type = event_target_value(&ev))/></label>
                        <label>"Description" <input type="text" value=body.get_untracked().description on:input=move |ev| body.update_untracked(|b| b.description = event_target_value(&ev))/></label>
                    </div>
                    <div class="grid-2">
                        <label>"Schema (JSON Schema)" <textarea class="code" rows="6" on:input=move |ev| body.update_untracked(|b| b.schema = event_target_value(&ev))>{body.get_untracked().schema}</textarea></label>
                        <label>"Example" <textarea class="code" rows="6" on:input=move |ev| body.update_untracked(|b| b.example = event_target_value(&ev))>{body.get_untracked().example}</textarea></label>
                    </div>
                    <h3>"Responses"</h3>
                    {move || {
                        let rows = responses.get();
                        rows.into_iter().enumerate().map(|(i, r)| view! {
                            <div class="response-row">
                                <div class="grid-3">
                                    <label>"Status" <input type="text" value=r.status.clone() on:input=move |ev| responses.update_untracked(|v| v[i].status = event_target_value(&ev))/></label>
                                    <label>"Description" <input type="text" value=r.description.clone() on:input=move |ev| responses.update_untracked(|v| v[i].description = event_target_value(&ev))/></label>
                                    <label>"Content type" <input type="text" value=r.content_type.clone() on:input=move |ev| responses.update_untracked(|v| v[i].content_type = event_target_value(&ev))/></label>
                                </div>
                                <div class="grid-2">
                                    <label>"Schema" <textarea class="code" rows="4" on:input=move |ev| responses.update_untracked(|v| v[i].schema = event_target_value(&ev))>{r.schema.clone()}</textarea></label>
                                    <label>"Example" <textarea class="code" rows="4" on:input=move |ev| responses.update_untracked(|v| v[i].example = event_target_value(&ev))>{r.example.clone()}</textarea></label>
                                </div>
                                <button type="button" class="link-button" on:click=move |_| responses.update(|v| { v.remove(i); })>"Remove response"</button>
                            </div>
                        }).collect_view()
                    }}
                    <button type="button" class="button small secondary" on:click=move |_| responses.update(|v| v.push(BodyForm { status: "200".into(), description: "OK".into(), content_type: "application/json".into(), ..Default::default() }))>"Add response"</button>
                </fieldset>
                {editable.then(|| view! { <button type="submit" class="button" data-testid="save-operation">"Save operation"</button> })}
            </form>
        </section>
    }
}
