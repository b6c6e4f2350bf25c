//! Countersign's user interface: server-rendered with Leptos and hydrated in the browser.
//! Pages are thin: they call server functions (`api`), which resolve the actor, make one call to
//! the core service layer and return DTOs. No SQL and no policy decisions live here.

// Leptos view types nest deeply; a plain `cargo build` (without cargo-leptos's
// `--cfg erase_components`) needs the higher limit.
#![recursion_limit = "256"]

pub mod api;
mod components;
pub mod dto;
pub mod dto_directory;
pub mod dto_effects;
pub mod dto_flow;
pub mod dto_gate;
pub mod dto_investigate;
pub mod dto_notices;
pub mod dto_registry;
pub mod dto_templates;
pub mod error;
mod pages;

use components::layout::Layout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;
use pages::{
    audit::AuditPage, change::ChangePage, compliance::CompliancePage, data_access::DataAccessPage,
    deliveries::DeliveriesPage, directory::DirectoryPage, flow::FlowPage, home::HomePage,
    identities::IdentitiesPage, identity::IdentityPage, inbox::InboxPage,
    investigate::InvestigatePage, no_access::NoAccessPage, not_found::NotFound, queue::QueuePage,
    review_quality::ReviewQualityPage, signin::SignInPage, systems::SystemsPage,
    templates::TemplatePage, templates::TemplatesPage, workflow_builder::WorkflowBuilderPage,
    workflows::WorkflowPage, workflows::WorkflowsPage,
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

/// Pages render whole on the server (`SsrMode::Async`: their data is a few fast queries), so they
/// read complete before, and without, the WebAssembly.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as interactive (tests wait for it).
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="countersign" href="/pkg/countersign.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Countersign".to_owned() } else { format!("{page} · Countersign") }
        } />
        <Router>
            <Routes fallback=|| view! { <Layout><NotFound /></Layout> }>
                <Route path=path!("/signin") ssr=SsrMode::Async view=SignInPage />
                <Route path=path!("/no-access") ssr=SsrMode::Async view=NoAccessPage />
                <Route path=path!("/") ssr=SsrMode::Async view=|| view! { <Layout><HomePage /></Layout> } />
                <Route path=path!("/queue") ssr=SsrMode::Async view=|| view! { <Layout><QueuePage /></Layout> } />
                <Route path=path!("/inbox") ssr=SsrMode::Async view=|| view! { <Layout><InboxPage /></Layout> } />
                <Route path=path!("/changes/:id") ssr=SsrMode::Async view=|| view! { <Layout><ChangePage /></Layout> } />
                <Route path=path!("/templates") ssr=SsrMode::Async view=|| view! { <Layout><TemplatesPage /></Layout> } />
                <Route path=path!("/templates/:id") ssr=SsrMode::Async view=|| view! { <Layout><TemplatePage /></Layout> } />
                <Route path=path!("/workflows") ssr=SsrMode::Async view=|| view! { <Layout><WorkflowsPage /></Layout> } />
                <Route path=path!("/workflows/new") ssr=SsrMode::Async view=|| view! { <Layout><WorkflowBuilderPage /></Layout> } />
                <Route path=path!("/workflows/:id") ssr=SsrMode::Async view=|| view! { <Layout><WorkflowPage /></Layout> } />
                <Route path=path!("/identities") ssr=SsrMode::Async view=|| view! { <Layout><IdentitiesPage /></Layout> } />
                <Route path=path!("/identities/:id") ssr=SsrMode::Async view=|| view! { <Layout><IdentityPage /></Layout> } />
                <Route path=path!("/systems") ssr=SsrMode::Async view=|| view! { <Layout><SystemsPage /></Layout> } />
                <Route path=path!("/data-access") ssr=SsrMode::Async view=|| view! { <Layout><DataAccessPage /></Layout> } />
                <Route path=path!("/deliveries") ssr=SsrMode::Async view=|| view! { <Layout><DeliveriesPage /></Layout> } />
                <Route path=path!("/flow") ssr=SsrMode::Async view=|| view! { <Layout><FlowPage /></Layout> } />
                <Route path=path!("/investigate") ssr=SsrMode::Async view=|| view! { <Layout><InvestigatePage /></Layout> } />
                <Route path=path!("/directory") ssr=SsrMode::Async view=|| view! { <Layout><DirectoryPage /></Layout> } />
                <Route path=path!("/review-quality") ssr=SsrMode::Async view=|| view! { <Layout><ReviewQualityPage /></Layout> } />
                <Route path=path!("/compliance") ssr=SsrMode::Async view=|| view! { <Layout><CompliancePage /></Layout> } />
                <Route path=path!("/audit") ssr=SsrMode::Async view=|| view! { <Layout><AuditPage /></Layout> } />
            </Routes>
        </Router>
    }
}
