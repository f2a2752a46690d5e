//! The try-it console of an operation in the portal's reference: its form, built from the
//! definition, and the request it sends through the API's gateway.

use super::pretty;
use crate::app::use_auth;
use crate::functions::applications::ListApplications;
use crate::functions::portal::TryOperation;
use crate::url::{encode, encode_segment};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gatehouse_contract::sample::{
    Direction, FormField, FormValue, Resolve, form_body, form_fields, is_form, is_json, sample,
};
use gatehouse_contract::{MediaType, Parameter, TryRequest};
use leptos::prelude::*;
use std::sync::Arc;

/// An answer's body for reading: a JSON object or array indented (keys in the order sent),
/// anything else as it came.
fn readable_body(body: String) -> String {
    match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(value) if value.is_object() || value.is_array() => pretty(&value),
        _ => body,
    }
}

/// Finds a `$ref`'s schema among an operation's reachable schemas, which are keyed by name.
fn schema_by_ref<'a>(schemas: &'a serde_json::Value) -> impl Fn(&str) -> Option<&'a serde_json::Value> + 'a {
    move |reference| {
        let name =
            reference.strip_prefix("#/components/schemas/").or_else(|| reference.strip_prefix("#/definitions/"))?;
        schemas.get(name)
    }
}

/// The body of a try-it request as the consumer fills it in: a form's fields one by one, or
/// any other body as text, which starts from the definition's example (or a sample of its
/// schema) so there is something valid to edit.
#[derive(Clone)]
enum TryBody {
    Text { media_type: String, text: RwSignal<String> },
    Form { media_type: String, fields: Vec<(FormField, FormInput)> },
}

/// One field of a form body: typed text, or a file input whose file is read as it is sent.
#[derive(Clone)]
enum FormInput {
    Text(RwSignal<String>),
    File(NodeRef<leptos::html::Input>),
}

impl TryBody {
    fn new<'a>(media: MediaType, resolve: &Resolve<'a>) -> Self {
        if is_form(&media.content_type) {
            let fields = form_fields(&media.schema, resolve)
                .into_iter()
                .map(|field| {
                    let input = if field.file {
                        FormInput::File(NodeRef::new())
                    } else {
                        FormInput::Text(RwSignal::new(String::new()))
                    };
                    (field, input)
                })
                .collect();
            return TryBody::Form { media_type: media.content_type, fields };
        }
        let start = media.example.clone().unwrap_or_else(|| sample(&media.schema, resolve, Direction::Request));
        let text = match start {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            value if is_json(&media.content_type) => serde_json::to_string_pretty(&value).unwrap_or_default(),
            // A structured sample of an XML or other body would not be in its syntax.
            _ => String::new(),
        };
        TryBody::Text { media_type: media.content_type, text: RwSignal::new(text) }
    }

    /// The request's content type and body, with the files a form's fields picked read from
    /// disk; or why a file could not be read.
    async fn encoded(self) -> Result<(String, Vec<u8>), String> {
        match self {
            TryBody::Text { media_type, text } => Ok((media_type, text.get_untracked().into_bytes())),
            TryBody::Form { media_type, fields } => {
                let mut filled = Vec::with_capacity(fields.len());
                for (field, input) in &fields {
                    let value = match input {
                        FormInput::Text(text) => FormValue::Text(text.get_untracked()),
                        FormInput::File(node) => {
                            match node.get_untracked().and_then(|input| input.files()).and_then(|files| files.get(0)) {
                                Some(file) => read_file(file).await?,
                                None => FormValue::Text(String::new()),
                            }
                        }
                    };
                    filled.push((field, value));
                }
                Ok(form_body(&media_type, &filled))
            }
        }
    }

    fn view(self) -> AnyView {
        match self {
            TryBody::Text { media_type, text } => view! {
                <label>{format!("Body ({media_type})")}
                    <textarea rows="8" class="code" data-testid="try-body-input" prop:value=text.get_untracked()
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
            }
            .into_any(),
            TryBody::Form { media_type, fields } => view! {
                <fieldset class="try-form" data-testid="try-form">
                    <legend>{format!("Body ({media_type})")}</legend>
                    {fields.into_iter().map(|(field, input)| {
                        let label = format!("{}{}", field.name, match (field.file, field.required) {
                            (true, true) => " (file, required)",
                            (true, false) => " (file)",
                            (false, true) => " (required)",
                            (false, false) => "",
                        });
                        let testid = format!("try-form-{}", field.name);
                        view! {
                            <label title=field.description.clone()>{label}
                                {match input {
                                    FormInput::File(node) => view! {
                                        <input type="file" node_ref=node required=field.required data-testid=testid/>
                                    }.into_any(),
                                    FormInput::Text(value) => view! {
                                        <input type="text" required=field.required placeholder=field.sample.clone() data-testid=testid
                                            on:input=move |ev| value.set(event_target_value(&ev))/>
                                    }.into_any(),
                                }}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
            .into_any(),
        }
    }
}

/// A file picked in a form field, read whole: the console sends it as it is.
async fn read_file(file: web_sys::File) -> Result<FormValue, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("the file {} could not be read", file.name()))?;
    Ok(FormValue::File {
        name: file.name(),
        content_type: file.type_(),
        bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
    })
}

/// The try-it console of one operation: fill its parameters (path, query, header) and body,
/// pick one of your applications (or paste an API key), and send it through the API's gateway.
/// Runs in the browser only.
#[component]
pub fn TryIt(
    api_id: String,
    method: String,
    template: String,
    params: Vec<Parameter>,
    /// The body's (first) media type, when the operation takes one.
    body: Option<MediaType>,
    /// The named schemas the operation's `$ref`s reach (see `PortalOperation`).
    schemas: Arc<serde_json::Value>,
    /// Whether the operation accepts an API key.
    api_key: bool,
    open: bool,
) -> impl IntoView {
    let auth = use_auth();
    let apps = ServerAction::<ListApplications>::new();
    let send = ServerAction::<TryOperation>::new();
    let shown = RwSignal::new(false);
    let resolve = schema_by_ref(&schemas);
    // Each parameter field with a plausible value as its placeholder.
    let values: Vec<(Parameter, String, RwSignal<String>)> = params
        .into_iter()
        .filter(|p| matches!(p.location.as_str(), "path" | "query" | "header"))
        .map(|p| {
            let hint = match sample(&p.schema, &resolve, Direction::Request) {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (p, hint, RwSignal::new(String::new()))
        })
        .collect();
    let query = RwSignal::new(String::new());
    let body = body.map(|media| TryBody::new(media, &resolve));
    let unreadable = RwSignal::new(None::<String>);
    let application = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let key_type = RwSignal::new("production".to_string());
    let fields = values.clone();
    let sign_in = format!("/signin?next=/portal/apis/{api_id}");
    let body_input = body.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut path = template.clone();
        let (mut pairs, mut headers) = (Vec::new(), Vec::new());
        for (param, _, value) in &values {
            let value = value.get_untracked();
            match param.location.as_str() {
                "path" => path = path.replace(&format!("{{{}}}", param.name), &encode_segment(&value)),
                // A field left empty is not sent: the operation's default applies.
                _ if value.is_empty() => {}
                "query" => pairs.push(format!("{}={}", encode(&param.name), encode(&value))),
                _ => headers.push((param.name.clone(), value)),
            }
        }
        let more = query.get_untracked();
        if !more.trim().is_empty() {
            pairs.push(more.trim().trim_start_matches('?').to_string());
        }
        let mut request = TryRequest {
            api_id: api_id.clone(),
            application_id: Some(application.get_untracked()).filter(|a| !a.is_empty()),
            key_type: key_type.get_untracked(),
            api_key: key.get_untracked().trim().to_string(),
            method: method.clone(),
            path,
            query: pairs.join("&"),
            headers,
            body: String::new(),
            body_base64: String::new(),
            content_type: String::new(),
        };
        let body = body.clone();
        unreadable.set(None);
        leptos::task::spawn_local(async move {
            if let Some(body) = body {
                match body.encoded().await {
                    Ok((content_type, bytes)) => {
                        request.content_type = content_type;
                        // Text travels as text; a body with a binary file in it as base64.
                        match String::from_utf8(bytes) {
                            Ok(text) => request.body = text,
                            Err(binary) => request.body_base64 = STANDARD.encode(binary.into_bytes()),
                        }
                    }
                    Err(message) => return unreadable.set(Some(message)),
                }
            }
            send.dispatch(TryOperation { request });
        });
    };
    view! {
        <div class="try-it" data-testid="try-it">
            {move || (!shown.get()).then(|| view! {
                <button class="button small secondary" data-testid="try-open" on:click=move |_| {
                    shown.set(true);
                    if auth.me().is_some() {
                        apps.dispatch(ListApplications {});
                    }
                }>"Try it"</button>
            })}
            {move || (shown.get() && auth.me().is_none()).then(|| view! {
                // The server sends the call for an account (and its applications' tokens).
                <p class="muted" data-testid="try-sign-in"><a href=sign_in.clone()>"Sign in"</a> " to try this operation."</p>
            })}
            {move || (shown.get() && auth.me().is_some()).then(|| {
                let fields = fields.clone();
                let list = apps.value().get().and_then(|r| r.ok()).unwrap_or_default();
                if application.get_untracked().is_empty() && let Some(first) = list.first() {
                    application.set(first.id.clone());
                }
                view! {
                    <form class="form" on:submit=submit.clone()>
                        {(!open).then(|| view! { <p class="muted">"This API is not served by a gateway yet: requests will fail."</p> })}
                        {fields.into_iter().map(|(param, hint, value)| {
                            let required = param.required || param.location == "path";
                            let label = format!("{} ({}{})", param.name, param.location, if required { ", required" } else { "" });
                            view! {
                                <label title=param.description.clone()>{label}
                                    <input type="text" required=required placeholder=hint data-testid=format!("try-param-{}", param.name)
                                        on:input=move |ev| value.set(event_target_value(&ev))/>
                                </label>
                            }
                        }).collect_view()}
                        <label>"More query" <input type="text" placeholder="limit=10&sort=name" on:input=move |ev| query.set(event_target_value(&ev))/></label>
                        {body_input.clone().map(|b| b.view())}
                        <label>"Application"
                            <select data-testid="try-application" on:change=move |ev| application.set(event_target_value(&ev))>
                                // The options follow the signal: the select is kept when the list
                                // arrives, and it had "None" selected till then.
                                {list.iter().map(|a| {
                                    let id = a.id.clone();
                                    view! { <option value=a.id.clone() prop:selected=move || application.with(|chosen| *chosen == id)>{a.name.clone()}</option> }
                                }).collect_view()}
                                <option value="" prop:selected=move || application.with(String::is_empty)>"None (open operations)"</option>
                            </select>
                        </label>
                        {api_key.then(|| view! {
                            <label>"API key (sent instead of the application's token)"
                                <input type="password" autocomplete="off" data-testid="try-api-key" on:input=move |ev| key.set(event_target_value(&ev))/>
                            </label>
                        })}
                        <label>"Key type"
                            <select on:change=move |ev| key_type.set(event_target_value(&ev))>
                                <option value="production">"Production"</option>
                                <option value="sandbox">"Sandbox"</option>
                            </select>
                        </label>
                        <button type="submit" class="button" data-testid="try-send">"Send"</button>
                    </form>
                }
            })}
            {move || unreadable.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            {move || send.value().get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(answer) => view! {
                    <div class="try-result" data-testid="try-result">
                        <p><strong data-testid="try-status">{answer.status}</strong> " " <span class="muted">{format!("{:.1} ms · {}", answer.ms, answer.url)}</span></p>
                        <details><summary>"Headers"</summary>
                            <pre class="code">{answer.headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>()}</pre>
                        </details>
                        {answer.cut.map(|why| view! { <p class="muted" data-testid="try-cut">{format!("Part of the answer: {why}.")}</p> })}
                        <pre class="code" data-testid="try-body">{readable_body(answer.body)}</pre>
                    </div>
                }.into_any(),
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_answers_are_indented_in_the_order_sent_and_others_kept() {
        assert_eq!(readable_body(r#"{"z":1,"a":[true]}"#.into()), "{\n  \"z\": 1,\n  \"a\": [\n    true\n  ]\n}");
        assert_eq!(readable_body("plain text".into()), "plain text");
        assert_eq!(readable_body("42".into()), "42", "a bare JSON value stays as sent");
    }
}
