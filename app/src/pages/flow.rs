//! Flow: how long governance takes — from draft to first sign-off, to approval, to
//! publication, p50 and p95 per tier, workflow and week — what waits now, and how much went
//! through templates.

use super::area::AreaGate;
use crate::api::flow::load_flow;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_flow::{FlowGroupView, FlowView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FlowPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(30)
    };
    let data = Resource::new(days, load_flow);
    view! {
        <PageTitle title="Flow" subtitle="How long review takes: the cost of governance, and where templates would help." />
        <AreaGate area="flow">
            <nav class="mb-4 flex flex-wrap gap-2 text-sm" aria-label="Window">
                {[7_i64, 30, 90].into_iter().map(|d| view! {
                    <a href=format!("/flow?days={d}") class="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium underline"
                        aria-current=move || (days() == d).then_some("page")>{format!("Last {d} days")}</a>
                }).collect_view()}
            </nav>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Flow view /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Flow(view: FlowView) -> impl IntoView {
    if view.overall.drafted == 0 {
        return view! {
            <EmptyState title="No change was drafted in this window">
                <p>"Once agents draft changes, this page shows how long each stage of review takes. Choose a longer window above."</p>
            </EmptyState>
        }
        .into_any();
    }
    let share = (view.overall.pre_approved * 100)
        .checked_div(view.overall.drafted)
        .unwrap_or(0);
    view! {
        <div class="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="flow-summary">
            <Tile label="Drafted" value=view.overall.drafted.to_string() />
            <Tile label="Waiting for people now" value=view.waiting.to_string() />
            <Tile label="Oldest waiting" value=view.oldest_waiting.clone().unwrap_or_else(|| "—".to_owned()) />
            <Tile label="Through templates" value=format!("{} ({share} %)", view.overall.pre_approved) />
        </div>
        {view.cut.then(|| view! { <p class="mb-4 rounded bg-amber-50 p-2 text-sm text-amber-900" role="note">"The window holds more changes than one report reads: the newest are left out. Choose a shorter window."</p> })}
        <p class="mb-4 text-sm text-slate-600">
            {format!("Times run from the draft. Reviewed by people: every change not approved by policy. Changes approved under a template reached publication in {} (p50), {} (p95).", view.pre_approved_publication.p50, view.pre_approved_publication.p95)}
        </p>
        <FlowTable caption="By tier" rows=std::iter::once(view.overall.clone()).chain(view.by_tier.clone()).collect() testid="flow-by-tier" />
        <FlowTable caption="By workflow" rows=view.by_workflow.clone() testid="flow-by-workflow" />
        <FlowTable caption="By week" rows=view.by_week.clone() testid="flow-by-week" />
    }
    .into_any()
}

#[component]
fn Tile(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-4">
            <p class="text-sm text-slate-600">{label}</p>
            <p class="text-2xl font-semibold">{value}</p>
        </div>
    }
}

#[component]
fn FlowTable(
    caption: &'static str,
    rows: Vec<FlowGroupView>,
    testid: &'static str,
) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|r| {
            let cells = r
                .stages
                .iter()
                .map(|s| view! { <td class="px-3 py-2 tabular-nums">{format!("{} · {}", s.p50, s.p95)}<span class="ml-1 text-xs text-slate-500">{format!("({})", s.count)}</span></td> })
                .collect_view();
            view! {
                <tr class="border-t border-slate-100" data-testid="flow-row">
                    <th scope="row" class="px-3 py-2 text-left font-medium">{r.label}</th>
                    <td class="px-3 py-2 tabular-nums">{format!("{} ({} by template)", r.drafted, r.pre_approved)}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="mb-6 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full text-sm" data-testid=testid>
                <caption class="px-3 pt-3 text-left text-base font-semibold">{caption}</caption>
                <thead class="bg-slate-50 text-xs uppercase text-slate-500">
                    <tr>
                        <th scope="col" class="px-3 py-2 text-left">"Group"</th>
                        <th scope="col" class="px-3 py-2 text-left">"Drafted"</th>
                        <th scope="col" class="px-3 py-2 text-left">"To first sign-off, p50 · p95"</th>
                        <th scope="col" class="px-3 py-2 text-left">"To approval, p50 · p95"</th>
                        <th scope="col" class="px-3 py-2 text-left">"To publication, p50 · p95"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}
