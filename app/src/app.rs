//! The page shell and the router: every page of the UI hangs off here.

use crate::AppError;
use crate::components::nav::Nav;
use crate::functions::auth::{SignIn, SignOut, SignUp, current_user};
use crate::routes;
use gatehouse_contract::{Me, Permission};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Gatehouse: decentralized API management"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, and the actions that change it; provided to every page.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<Me>, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
}

impl Auth {
    /// The signed-in person, once loaded (`None` while loading or when signed out).
    pub fn me(&self) -> Option<Me> {
        self.user.get().and_then(|r| r.ok()).flatten()
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.me().is_some_and(|me| me.role.can(permission))
    }

    /// [`Auth::can`] without subscribing, for a component body that is built once the user is
    /// known (a component body is not a reactive context).
    pub fn can_untracked(&self, permission: Permission) -> bool {
        self.user.with_untracked(|user| matches!(user, Some(Ok(Some(me))) if me.role.can(permission)))
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sign_in = ServerAction::<SignIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new(
        move || (sign_in.version().get(), sign_up.version().get(), sign_out.version().get()),
        |_| current_user(),
    );
    provide_context(Auth { user, sign_in, sign_up, sign_out });

    // Marks the page once the wasm has taken over, so tests (and people debugging) can tell.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Gatehouse".to_string() } else { format!("{text} · Gatehouse") }/>
        <Router>
            <Nav/>
            // Pages render whole (SsrMode::Async): their data is small, and complete HTML makes
            // hydration deterministic and the pages readable without JavaScript.
            <main class="page">
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("") ssr=SsrMode::Async view=routes::home::HomePage/>
                    <Route path=path!("signin") ssr=SsrMode::Async view=routes::auth::SignInPage/>
                    <Route path=path!("signup") ssr=SsrMode::Async view=routes::auth::SignUpPage/>
                    <Route path=path!("portal") ssr=SsrMode::Async view=routes::portal::PortalPage/>
                    <Route path=path!("applications") ssr=SsrMode::Async view=routes::applications::ApplicationsPage/>
                    <Route path=path!("portal/apis/:id") ssr=SsrMode::Async view=routes::portal::PortalApiPage/>
                    <Route path=path!("publisher") ssr=SsrMode::Async view=routes::publisher::PublisherPage/>
                    <Route path=path!("publisher/new") ssr=SsrMode::Async view=routes::publisher::new::NewApiPage/>
                    <Route path=path!("publisher/import") ssr=SsrMode::Async view=routes::publisher::import::ImportPage/>
                    <Route path=path!("publisher/apis/:id") ssr=SsrMode::Async view=routes::publisher::api::ApiPage/>
                    <Route path=path!("publisher/approvals") ssr=SsrMode::Async view=routes::publisher::deployments::ApprovalsPage/>
                    <Route path=path!("publisher/groups") ssr=SsrMode::Async view=routes::publisher::deployments::GroupsPage/>
                    <Route path=path!("publisher/groups/:name") ssr=SsrMode::Async view=routes::publisher::deployments::GroupPage/>
                    <Route path=path!("publisher/tiers") ssr=SsrMode::Async view=routes::publisher::tiers::TiersPage/>
                    <Route path=path!("publisher/routing") ssr=SsrMode::Async view=routes::publisher::deployments::RoutingPage/>
                    <Route path=path!("analytics") ssr=SsrMode::Async view=routes::analytics::AnalyticsPage/>
                    <Route path=path!("analytics/alerts") ssr=SsrMode::Async view=routes::analytics::alerts::AlertsPage/>
                    <Route path=path!("admin/users") ssr=SsrMode::Async view=routes::admin::users::UsersPage/>
                    <Route path=path!("admin/audit") ssr=SsrMode::Async view=routes::admin::audit::AuditPage/>
                    <Route path=path!("admin/webhooks") ssr=SsrMode::Async view=routes::admin::webhooks::WebhooksPage/>
                    <Route path=path!("admin/settings") ssr=SsrMode::Async view=routes::admin::settings::SettingsPage/>
                    <Route path=path!("account/tokens") ssr=SsrMode::Async view=routes::account::tokens::TokensPage/>
                    <Route path=path!("account/password") ssr=SsrMode::Async view=routes::account::password::PasswordPage/>
                </Routes>
            </main>
            <footer class="footer">
                <span>"Gatehouse — decentralized API management"</span>
                <a href="/api/v1/openapi.json">"REST API (OpenAPI)"</a>
            </footer>
        </Router>
    }
}
