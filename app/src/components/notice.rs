//! The outcome of an action, shown next to the form that ran it.

use crate::AppError;
use leptos::prelude::*;

/// Shows the error of the last run of an action, if it failed.
#[component]
pub fn ActionError<T: Clone + Send + Sync + 'static>(result: Signal<Option<Result<T, AppError>>>) -> impl IntoView {
    move || {
        result.get().and_then(|r| r.err()).map(|e| {
            view! { <p class="error" role="alert">{e.message}</p> }
        })
    }
}
