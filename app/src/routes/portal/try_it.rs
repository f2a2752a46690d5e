//! The try-it console of an operation in the portal's reference: its form, built from the
//! definition, the request it sends through the API's gateway, and that request as a curl
//! command.

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

    /// The body as filled in, with the files a form's fields picked read from disk; or why a
    /// file could not be read.
    async fn read(self) -> Result<SentBody, String> {
        match self {
            TryBody::Text { media_type, text } => Ok(SentBody::Text { media_type, text: text.get_untracked() }),
            TryBody::Form { media_type, fields } => {
                let mut values = Vec::with_capacity(fields.len());
                for (field, input) in fields {
                    let value = match input {
                        FormInput::Text(text) => FormValue::Text(text.get_untracked()),
                        FormInput::File(node) => {
                            match node.get_untracked().and_then(|input| input.files()).and_then(|files| files.get(0)) {
                                Some(file) => read_file(file).await?,
                                None => FormValue::Text(String::new()),
                            }
                        }
                    };
                    values.push((field, value));
                }
                Ok(SentBody::Form { media_type, values })
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

/// A body as it was sent.
#[derive(Clone, Debug, PartialEq)]
enum SentBody {
    Text { media_type: String, text: String },
    Form { media_type: String, values: Vec<(FormField, FormValue)> },
}

impl SentBody {
    /// The request's content type and body.
    fn encoded(&self) -> (String, Vec<u8>) {
        match self {
            SentBody::Text { media_type, text } => (media_type.clone(), text.clone().into_bytes()),
            SentBody::Form { media_type, values } => form_body(media_type, values),
        }
    }
}

/// How a request sent from the console proved who calls.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Credential {
    None,
    /// An access token of the chosen application, minted on the server and never shown.
    Token,
    ApiKey,
}

/// What the console sent, to be repeated with curl.
#[derive(Clone, Debug, PartialEq)]
struct Sent {
    method: String,
    credential: Credential,
    headers: Vec<(String, String)>,
    body: Option<SentBody>,
}

impl Sent {
    /// The curl command that repeats the request to `url` (the gateway's, as the answer names
    /// it). The credential is a shell variable: the console's token never reaches the page, and
    /// a pasted API key is not printed back.
    fn curl(&self, url: &str) -> String {
        let mut args = vec!["curl".to_string()];
        if self.method != "GET" {
            args.push(format!("-X {}", self.method));
        }
        args.push(quoted(url));
        match self.credential {
            Credential::Token => args.push(r#"-H "Authorization: Bearer $ACCESS_TOKEN""#.to_string()),
            Credential::ApiKey => args.push(r#"-H "apikey: $API_KEY""#.to_string()),
            Credential::None => {}
        }
        for (name, value) in &self.headers {
            args.push(format!("-H {}", quoted(&format!("{name}: {value}"))));
        }
        match &self.body {
            Some(SentBody::Text { media_type, text }) if !text.is_empty() => {
                args.push(format!("-H {}", quoted(&format!("content-type: {media_type}"))));
                args.push(format!("--data-binary {}", quoted(text)));
            }
            Some(SentBody::Form { media_type, values }) => {
                let multipart = media_type.trim().to_ascii_lowercase().starts_with("multipart/");
                for (field, value) in values {
                    let name = &field.name;
                    args.push(match value {
                        FormValue::Text(text) if text.is_empty() => continue,
                        // --form-string: a value starting with `@` or `<` is not a file to curl.
                        FormValue::Text(text) if multipart => {
                            format!("--form-string {}", quoted(&format!("{name}={text}")))
                        }
                        FormValue::Text(text) => format!("--data-urlencode {}", quoted(&format!("{name}={text}"))),
                        FormValue::File { name: file, content_type, .. } if multipart => {
                            let typed =
                                if content_type.is_empty() { String::new() } else { format!(";type={content_type}") };
                            format!("-F {}", quoted(&format!("{name}=@{file}{typed}")))
                        }
                        FormValue::File { name: file, .. } => {
                            format!("--data-urlencode {}", quoted(&format!("{name}@{file}")))
                        }
                    });
                }
            }
            _ => {}
        }
        args.join(" \\\n  ")
    }
}

/// A shell word that stands for `text` exactly.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
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
    /// The scopes the operation requires of an access token: the console then offers to ask
    /// for fewer, to see what a narrow token gets.
    scopes: Vec<String>,
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
    let sent = RwSignal::new(None::<Sent>);
    let application = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
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
            scope: scope.get_untracked(),
            method: method.clone(),
            path,
            query: pairs.join("&"),
            headers,
            body: String::new(),
            body_base64: String::new(),
            content_type: String::new(),
        };
        let credential = match (request.api_key.is_empty(), &request.application_id) {
            (false, _) => Credential::ApiKey,
            (true, Some(_)) => Credential::Token,
            (true, None) => Credential::None,
        };
        let body = body.clone();
        unreadable.set(None);
        leptos::task::spawn_local(async move {
            let body = match body {
                Some(body) => match body.read().await {
                    Ok(body) => Some(body),
                    Err(message) => return unreadable.set(Some(message)),
                },
                None => None,
            };
            if let Some(body) = &body {
                let (content_type, bytes) = body.encoded();
                request.content_type = content_type;
                // Text travels as text; a body with a binary file in it as base64.
                match String::from_utf8(bytes) {
                    Ok(text) => request.body = text,
                    Err(binary) => request.body_base64 = STANDARD.encode(binary.into_bytes()),
                }
            }
            let method = request.method.clone();
            sent.set(Some(Sent { method, credential, headers: request.headers.clone(), body }));
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
                        {(!scopes.is_empty()).then(|| view! {
                            <label>{format!("Token scopes (empty: every scope the application may have; this operation needs {})", scopes.join(" "))}
                                <input type="text" class="code" data-testid="try-scope" placeholder=scopes.join(" ") on:input=move |ev| scope.set(event_target_value(&ev))/>
                            </label>
                        })}
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
                        {sent.get_untracked().map(|sent| view! {
                            <details data-testid="try-curl"><summary>"As a curl command"</summary>
                                <pre class="code">{sent.curl(&answer.url)}</pre>
                                {(sent.credential == Credential::Token).then(|| view! {
                                    <p class="muted">"$ACCESS_TOKEN: an access token of the application, from its client credentials at /oauth2/token or from " <code>"gatehouse keys get"</code> "."</p>
                                })}
                            </details>
                        })}
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

    fn field(name: &str, file: bool) -> FormField {
        FormField { name: name.into(), required: false, file, description: String::new(), sample: String::new() }
    }

    #[test]
    fn curl_repeats_a_json_request_with_the_token_as_a_variable() {
        let sent = Sent {
            method: "POST".into(),
            credential: Credential::Token,
            headers: vec![("X-Tag".into(), "it's blue".into())],
            body: Some(SentBody::Text {
                media_type: "application/json".into(),
                text: r#"{"text": "Buy milk"}"#.into(),
            }),
        };
        assert_eq!(
            sent.curl("http://127.0.0.1:8081/notes/v1/notes?pinned=true"),
            "curl \\\n  -X POST \\\n  'http://127.0.0.1:8081/notes/v1/notes?pinned=true' \\\n  \
             -H \"Authorization: Bearer $ACCESS_TOKEN\" \\\n  -H 'X-Tag: it'\\''s blue' \\\n  \
             -H 'content-type: application/json' \\\n  --data-binary '{\"text\": \"Buy milk\"}'"
        );
    }

    #[test]
    fn curl_sends_forms_field_by_field_and_files_from_disk() {
        let values = vec![
            (field("title", false), FormValue::Text("@home".into())),
            (field("note", false), FormValue::Text(String::new())),
            (
                field("file", true),
                FormValue::File { name: "receipt.png".into(), content_type: "image/png".into(), bytes: vec![1] },
            ),
        ];
        let multipart = Sent {
            method: "POST".into(),
            credential: Credential::ApiKey,
            headers: vec![],
            body: Some(SentBody::Form { media_type: "multipart/form-data".into(), values: values.clone() }),
        };
        let command = multipart.curl("http://gw/notes/v1/upload");
        assert!(command.contains(r#"-H "apikey: $API_KEY""#), "{command}");
        assert!(command.contains("--form-string 'title=@home'"), "a leading @ stays text: {command}");
        assert!(command.contains("-F 'file=@receipt.png;type=image/png'"), "{command}");
        assert!(!command.contains("'note="), "an empty field is not sent: {command}");

        let urlencoded = Sent {
            body: Some(SentBody::Form { media_type: "application/x-www-form-urlencoded".into(), values }),
            credential: Credential::None,
            ..multipart
        };
        let command = urlencoded.curl("http://gw/notes/v1/form");
        assert!(
            command.contains("--data-urlencode 'title=@home'")
                && command.contains("--data-urlencode 'file@receipt.png'"),
            "{command}"
        );
        assert!(!command.contains("-H"), "no credential, no header: {command}");
    }
}
