//! The queue: production changes waiting for a human sign-off, oldest first.

use super::area::AreaGate;
use crate::api::changes::load_queue;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto::ChangeRowView;
use leptos::prelude::*;

#[component]
pub fn QueuePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_queue());
    view! {
        <PageTitle title="Queue" subtitle="Production changes waiting for a human sign-off." />
        <AreaGate area="queue">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) if view.changes.is_empty() => view! {
                            <EmptyState title="Nothing is waiting for review">
                                <p>
                                    "When an agent drafts a change in an active workflow it appears here with its "
                                    "workflow, risk tier and age, the agent that drafted it and that agent's owner. "
                                    "Open it to read the content and its provenance."
                                </p>
                            </EmptyState>
                        }.into_any(),
                        Ok(view) => view! { <QueueTable changes=view.changes /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn QueueTable(changes: Vec<ChangeRowView>) -> impl IntoView {
    let rows = changes
        .into_iter()
        .map(|c| {
            let tier_colour = match c.tier {
                3 => "bg-red-100 text-red-900",
                2 => "bg-amber-100 text-amber-900",
                _ => "bg-slate-100 text-slate-800",
            };
            view! {
                <tr data-testid="queue-row">
                    <td class="px-3 py-2">
                        <a href=format!("/changes/{}", c.id) class="font-medium underline">{c.title}</a>
                        <span class="block text-xs text-slate-500">{format!("{} · {} · version {}", c.channel, c.audience, c.version)}</span>
                    </td>
                    <td class="px-3 py-2">{c.workflow}</td>
                    <td class="px-3 py-2"><span class=format!("rounded px-1.5 py-0.5 text-xs font-semibold {tier_colour}")>{format!("Tier {}", c.tier)}</span></td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{c.age}</td>
                    <td class="px-3 py-2">
                        {c.drafted_by}
                        <span class="block text-xs text-slate-500">{format!("owned by {}", if c.owners.is_empty() { "nobody".to_owned() } else { c.owners.join(", ") })}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Changes waiting for review, oldest first"</caption>
                <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Change"</th>
                        <th scope="col" class="px-3 py-2">"Workflow"</th>
                        <th scope="col" class="px-3 py-2">"Tier"</th>
                        <th scope="col" class="px-3 py-2">"Age"</th>
                        <th scope="col" class="px-3 py-2">"Drafted by"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}
