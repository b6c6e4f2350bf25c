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
                            <DemoTips me=person.name.clone() />
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

/// In demo mode: one thing to try per persona, yours first.
#[component]
fn DemoTips(me: String) -> impl IntoView {
    let choices = Resource::new(|| (), |_| crate::api::load_sign_in_choices());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new({
                let me = me.clone();
                async move {
                    let Ok(choices) = choices.await else { return ().into_any() };
                    let mut tips: Vec<_> = choices
                        .personas
                        .into_iter()
                        .filter_map(|p| p.tip.clone().map(|tip| (p, tip)))
                        .collect();
                    if tips.is_empty() {
                        return ().into_any();
                    }
                    tips.sort_by_key(|(p, _)| p.name != me);
                    let rows = tips
                        .into_iter()
                        .map(|(persona, (what, href))| {
                            let mine = persona.name == me;
                            view! {
                                <li data-testid="demo-tip" data-persona=persona.key.clone() class=if mine { "rounded-md bg-amber-50 p-2" } else { "p-2" }>
                                    <span class="font-medium">{persona.name.clone()}</span>
                                    {if mine { " (you)" } else { "" }}
                                    <span class="text-slate-500">{if persona.roles.is_empty() { " · no role".to_owned() } else { format!(" · {}", persona.roles.join(", ")) }}</span>
                                    <br />
                                    <a class="underline" href=href>{what}</a>
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <section aria-labelledby="try-heading" class="mt-8 rounded-lg border border-amber-300 bg-white p-5" data-testid="demo-tips">
                            <h2 id="try-heading" class="font-semibold">"What to try in this demo"</h2>
                            <p class="mb-2 text-sm text-slate-600">"Every persona has work waiting. Sign out and sign in as another to see the gate from their side."</p>
                            <ul class="space-y-1 text-sm">{rows}</ul>
                        </section>
                    }
                    .into_any()
                }
            })}
        </Suspense>
    }
}
