use crate::components::layout::SessionResource;
use crate::components::ui::{ErrorPanel, Loading};
use leptos::prelude::*;

const CARDS: [(&str, &str, &str, &str); 4] = [
    (
        "queue",
        "/queue",
        "Queue",
        "Pending production changes with their evidence, waiting for your sign-off.",
    ),
    (
        "workflows",
        "/workflows",
        "Workflows",
        "Agent workflows as chains of owned steps, with risk tiers and the kill switch.",
    ),
    (
        "identities",
        "/identities",
        "Identities",
        "Service accounts and agents, their owners, expiry and last use.",
    ),
    (
        "audit",
        "/audit",
        "Audit",
        "The tamper-evident ledger of every sign-in, decision and change.",
    ),
];

#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    view! {
        <leptos_meta::Title text="" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(person)) => {
                        let first_name = person.name.split_whitespace().next().unwrap_or("").to_owned();
                        let cards = CARDS
                            .iter()
                            .filter(|(key, ..)| person.can(key))
                            .map(|(_, href, title, text)| {
                                view! {
                                    <li>
                                        <a
                                            href=*href
                                            class="block h-full rounded-lg border border-slate-200 bg-white p-5 shadow-sm hover:border-slate-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900"
                                        >
                                            <h2 class="font-semibold text-slate-900">{*title}</h2>
                                            <p class="mt-1 text-sm text-slate-600">{*text}</p>
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view();
                        view! {
                            <h1 class="text-2xl font-semibold tracking-tight">
                                {format!("Welcome, {first_name}")}
                            </h1>
                            <p class="mt-1 text-slate-600">
                                "Agents draft; humans countersign; only the console publishes."
                            </p>
                            <ul class="mt-6 grid gap-4 sm:grid-cols-2">{cards}</ul>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <ErrorPanel error=crate::error::UiError::SignInRequired /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
