//! Documentation pages in Markdown, shown rendered (sanitized on the server).

use crate::functions::apis::{DeleteDoc, ListDocs, SaveDoc};
use gatehouse_contract::ApiDetail;
use leptos::prelude::*;

#[component]
pub fn DocsTab(api: ApiDetail) -> impl IntoView {
    let save = ServerAction::<SaveDoc>::new();
    let delete = ServerAction::<DeleteDoc>::new();
    let id = api.summary.id.clone();
    // Loaded in the browser, as an action dispatched by an effect (effects run only after
    // hydration): a resource nested in the workspace's <Transition> did not always find its
    // server-rendered data in hydration, which stopped the page. The server renders "Loading…",
    // and so does the browser until the list arrives.
    let pages = ServerAction::<ListDocs>::new();
    Effect::new({
        let id = id.clone();
        move |_| {
            save.version().get();
            delete.version().get();
            pages.dispatch(ListDocs { id: id.clone() });
        }
    });
    let editable = api.editable;
    // The form writes a new page, or rewrites the one whose Edit was pressed (by its slug, so
    // a rewritten title keeps the page's address).
    let editing = RwSignal::new(None::<String>);
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
            title.set(String::new());
            text.set(String::new());
        }
    });
    // Pages are part of revisions, like the definition: say which ones consumers read.
    let shown = match api.live_revision {
        Some(n) => format!(
            "The portal shows the pages of revision {n}, which is live. Pages saved here go with the next revision and reach the portal when it is approved."
        ),
        None => "Pages go with the next revision. The portal shows the pages of the revision the gateways serve, and these until the API is first deployed.".to_string(),
    };
    view! {
        <section class="panel">
            <h2>"Documentation"</h2>
            <p class="muted" data-testid="docs-shown">{shown}</p>
            {move || match pages.value().get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(r) => match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No pages yet."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|p| {
                        let slug = p.slug.clone();
                        let id = id.clone();
                        let page = p.clone();
                        view! {
                            <article class="doc-page" data-testid="doc-page">
                                <div class="row">
                                    <h3>{p.title.clone()}</h3>
                                    {editable.then(|| view! {
                                        <span class="row-actions">
                                            <button class="link-button" data-testid="edit-doc" on:click=move |_| {
                                                editing.set(Some(page.slug.clone()));
                                                title.set(page.title.clone());
                                                text.set(page.markdown.clone());
                                            }>"Edit"</button>
                                            <button class="link-button danger-text" on:click=move |_| { delete.dispatch(DeleteDoc { id: id.clone(), slug: slug.clone() }); }>"Delete"</button>
                                        </span>
                                    })}
                                </div>
                                <div class="markdown" inner_html=p.html.clone()></div>
                            </article>
                        }
                    }).collect_view().into_any(),
                },
            }}
        </section>
        {editable.then(|| view! {
            <section class="panel">
                <h2>{move || if editing.get().is_some() { "Edit the page" } else { "Write a page" }}</h2>
                <ActionForm action=save attr:class="form">
                    <input type="hidden" name="id" value=api.summary.id.clone()/>
                    <input type="hidden" name="slug" prop:value=move || editing.get().unwrap_or_default()/>
                    <label>"Title" <input type="text" name="title" required maxlength="120"
                        prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/></label>
                    <label>"Markdown" <textarea name="markdown" rows="10" class="code"
                        prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea></label>
                    <div class="row">
                        <button type="submit" class="button">"Save page"</button>
                        {move || editing.get().is_some().then(|| view! {
                            <button type="button" class="link-button" on:click=move |_| {
                                editing.set(None);
                                title.set(String::new());
                                text.set(String::new());
                            }>"Cancel"</button>
                        })}
                    </div>
                    {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
                </ActionForm>
            </section>
        })}
    }
}
