//! Review quality, for security admins: how long reviewers look before they sign, whether they
//! read the whole text and open the diff, and which approvals were too fast for their length.

use super::area::AreaGate;
use crate::api::review_quality::load_review_quality;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_gate::ReviewQualityView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ReviewQualityPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse().ok())
            .unwrap_or(30)
    };
    let data = Resource::new(days, load_review_quality);
    view! {
        <PageTitle
            title="Review quality"
            subtitle="How sign-offs are given: time on the page, whole text read, diff opened. Approvals faster than about 25 words a second (and under five seconds) stand out."
        />
        <AreaGate area="review-quality">
            <nav class="mb-4 flex gap-3 text-sm" aria-label="Period">
                {[7, 30, 90].into_iter().map(|d| view! {
                    <a class="underline" href=format!("/review-quality?days={d}") aria-current=move || (days() == d).then_some("page")>{format!("Last {d} days")}</a>
                }).collect_view()}
            </nav>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Report view /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Report(view: ReviewQualityView) -> impl IntoView {
    if view.signoffs == 0 {
        return view! {
            <EmptyState title="No sign-offs in this period">
                <p>"When approvers and legal reviewers sign off changes, each reviewer's habits appear here."</p>
            </EmptyState>
        }
        .into_any();
    }
    let reviewers = view
        .reviewers
        .into_iter()
        .map(|r| view! {
            <tr data-testid="reviewer-row">
                <th scope="row" class="px-3 py-2 text-left font-medium">{r.name}</th>
                <td class="px-3 py-2 tabular-nums">{format!("{} ({} approvals)", r.signoffs, r.approvals)}</td>
                <td class="px-3 py-2 tabular-nums">{r.median_dwell}</td>
                <td class="px-3 py-2 tabular-nums">{format!("{} %", r.read_full_percent)}</td>
                <td class="px-3 py-2 tabular-nums">{format!("{} %", r.viewed_diff_percent)}</td>
                <td class="px-3 py-2 tabular-nums" data-testid="hasty-count">
                    {if r.hasty_approvals > 0 {
                        view! { <span class="rounded bg-amber-100 px-1.5 py-0.5 text-amber-900">{r.hasty_approvals}</span> }.into_any()
                    } else {
                        view! { <span>"0"</span> }.into_any()
                    }}
                </td>
            </tr>
        })
        .collect_view();
    let hasty = view
        .hasty
        .into_iter()
        .map(|h| view! {
            <li data-testid="hasty-approval">
                <a class="underline" href=format!("/changes/{}", h.change_id)>{format!("{} ({}) approved {} words in {}", h.reviewer, h.role, h.words, h.dwell)}</a>
                <span class="text-slate-500">{format!(" · {}", h.at)}</span>
            </li>
        })
        .collect_view();
    view! {
        <p class="mb-3 text-sm text-slate-600">{format!("{} sign-offs in the last {} days.", view.signoffs, view.days)}</p>
        <div class="mb-8 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Sign-offs by reviewer"</caption>
                <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Reviewer"</th>
                        <th scope="col" class="px-3 py-2">"Sign-offs"</th>
                        <th scope="col" class="px-3 py-2">"Median time on page"</th>
                        <th scope="col" class="px-3 py-2">"Read the whole text"</th>
                        <th scope="col" class="px-3 py-2">"Opened the diff"</th>
                        <th scope="col" class="px-3 py-2">"Fast approvals"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{reviewers}</tbody>
            </table>
        </div>
        <section aria-labelledby="hasty-heading">
            <h2 id="hasty-heading" class="mb-2 text-lg font-semibold">"Fast approvals"</h2>
            <ul class="list-inside list-disc space-y-1 text-sm">{hasty}</ul>
        </section>
    }
    .into_any()
}
