//! Countersign's user interface: server-rendered with Leptos and hydrated in the browser.
//! Pages are thin: they call server functions (`api`), which resolve the actor, make one call to
//! the core service layer and return DTOs. No SQL and no policy decisions live here.

pub mod api;
mod components;
pub mod dto;
pub mod error;
mod pages;

use components::layout::Layout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use pages::{
    audit::AuditPage, home::HomePage, identities::IdentitiesPage, no_access::NoAccessPage,
    not_found::NotFound, queue::QueuePage, signin::SignInPage, workflows::WorkflowsPage,
};

/// The HTML document around the application.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="countersign" href="/pkg/countersign.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Countersign".to_owned() } else { format!("{page} · Countersign") }
        } />
        <Router>
            <Routes fallback=|| view! { <Layout><NotFound /></Layout> }>
                <Route path=path!("/signin") view=SignInPage />
                <Route path=path!("/no-access") view=NoAccessPage />
                <Route path=path!("/") view=|| view! { <Layout><HomePage /></Layout> } />
                <Route path=path!("/queue") view=|| view! { <Layout><QueuePage /></Layout> } />
                <Route path=path!("/workflows") view=|| view! { <Layout><WorkflowsPage /></Layout> } />
                <Route path=path!("/identities") view=|| view! { <Layout><IdentitiesPage /></Layout> } />
                <Route path=path!("/audit") view=|| view! { <Layout><AuditPage /></Layout> } />
            </Routes>
        </Router>
    }
}
