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
                        view! {
                            <article class="doc-page" data-testid="doc-page">
                                <div class="row">
                                    <h3>{p.title.clone()}</h3>
                                    {editable.then(|| view! {
                                        <button class="link-button danger-text" on:click=move |_| { delete.dispatch(DeleteDoc { id: id.clone(), slug: slug.clone() }); }>"Delete"</button>
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
                <h2>"Write a page"</h2>
                <ActionForm action=save attr:class="form">
                    <input type="hidden" name="id" value=api.summary.id.clone()/>
                    <input type="hidden" name="slug" value=""/>
                    <label>"Title" <input type="text" name="title" required maxlength="120"/></label>
                    <label>"Markdown" <textarea name="markdown" rows="10" class="code"></textarea></label>
                    <button type="submit" class="button">"Save page"</button>
                    {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
                </ActionForm>
            </section>
        })}
    }
}
