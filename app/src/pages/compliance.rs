//! The framework map, for security admins and auditors: each control of OWASP's agentic and NHI
//! top tens, CSA MAESTRO's layers and the NIST AI RMF and CSF 2.0 functions, what Countersign
//! does for it, and its status computed now from live facts, with links to the evidence.

use super::area::AreaGate;
use crate::api::compliance::load_compliance;
use crate::components::ui::style::SECONDARY;
use crate::components::ui::{ErrorPanel, Loading, PageTitle};
use crate::dto::{ComplianceControlView, ComplianceView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn badge(status: &str) -> &'static str {
    match status {
        "not_met" => "bg-red-100 text-red-900 ring-red-300",
        "attention" => "bg-amber-100 text-amber-900 ring-amber-300",
        "met" => "bg-emerald-100 text-emerald-900 ring-emerald-300",
        _ => "bg-slate-100 text-slate-800 ring-slate-300",
    }
}

#[component]
pub fn CompliancePage() -> impl IntoView {
    let query = use_query_map();
    let workflow = move || query.read().get("workflow").filter(|w| !w.is_empty());
    let data = Resource::new(workflow, load_compliance);
    view! {
        <PageTitle
            title="Compliance"
            subtitle="The frameworks security teams report against, control by control: what Countersign does for each, and its status computed now from live facts."
        />
        <AreaGate area="compliance">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Map view /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Map(view: ComplianceView) -> impl IntoView {
    let scope_id = view
        .scope
        .as_ref()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let query = if scope_id.is_empty() {
        String::new()
    } else {
        format!("?workflow={scope_id}")
    };
    let options = view
        .workflows
        .iter()
        .map(|(id, name)| {
            let chosen = *id == scope_id;
            view! { <option value=id.clone() selected=chosen>{name.clone()}</option> }
        })
        .collect_view();
    let summary = view
        .counts
        .iter()
        .map(|(status, count)| {
            let label = match status.as_str() {
                "not_met" => "not met",
                "attention" => "need attention",
                "met" => "met",
                _ => "by design",
            };
            view! {
                <li class=format!("rounded px-2 py-1 text-sm font-medium ring-1 {}", badge(status)) data-testid=format!("count-{status}")>
                    {format!("{count} {label}")}
                </li>
            }
        })
        .collect_view();
    let scope_text = match &view.scope {
        Some((_, name)) => format!("For the workflow \u{201c}{name}\u{201d}: its identities, systems, changes and reviews; token lifetime, signals and the ledger stay console-wide."),
        None => "For the whole console.".to_owned(),
    };
    let frameworks = view
        .frameworks
        .into_iter()
        .map(|framework| {
            let heading = format!("framework-{}", framework.id);
            let labelled_by = heading.clone();
            let rows = framework
                .controls
                .into_iter()
                .map(|control| view! { <ControlRow control /> })
                .collect_view();
            view! {
                <section aria-labelledby=labelled_by class="mb-8">
                    <h2 id=heading class="mb-2 text-lg font-semibold">{framework.title}</h2>
                    <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                        <table class="min-w-full divide-y divide-slate-200 text-sm">
                            <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                <tr>
                                    <th scope="col" class="px-3 py-2">"Control"</th>
                                    <th scope="col" class="px-3 py-2">"Status"</th>
                                    <th scope="col" class="px-3 py-2">"What Countersign does"</th>
                                    <th scope="col" class="px-3 py-2">"Measured now"</th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                </section>
            }
        })
        .collect_view();
    view! {
        <form method="get" action="/compliance" class="mb-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
            <label class="text-sm">
                <span class="block font-medium text-slate-800">"Scope"</span>
                <select name="workflow" class="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                    <option value="">"The whole console"</option>
                    {options}
                </select>
            </label>
            <button type="submit" class=SECONDARY>"Show"</button>
            <span class="grow"></span>
            <a class=SECONDARY href=format!("/compliance/csv{query}") rel="external" download data-testid="export-csv">"Export CSV"</a>
            <a class=SECONDARY href=format!("/compliance/oscal{query}") rel="external" download data-testid="export-oscal">"Export OSCAL"</a>
        </form>
        <p class="mb-2 text-sm text-slate-600">{format!("{scope_text} Assessed {}.", view.assessed_at.replace('T', " ").replace('Z', " UTC"))}</p>
        <ul class="mb-6 flex flex-wrap gap-2" aria-label="Controls by status">{summary}</ul>
        {frameworks}
    }
}

#[component]
fn ControlRow(control: ComplianceControlView) -> impl IntoView {
    let mechanisms = control
        .mechanisms
        .into_iter()
        .map(|m| view! { <li>{m}</li> })
        .collect_view();
    let facts = if control.facts.is_empty() {
        view! { <p class="text-slate-500">"Nothing to measure: addressed by how Countersign works."</p> }.into_any()
    } else {
        control
            .facts
            .into_iter()
            .map(|fact| {
                let items = (!fact.items.is_empty()).then(|| {
                    let shown = fact.items.join("; ");
                    view! { <p class="text-xs text-slate-600">{shown}</p> }
                });
                view! {
                    <div class="mb-1" data-testid=format!("fact-{}", fact.id)>
                        <a class="underline" href=fact.link>{fact.summary}</a>
                        <span class=format!("ml-1 rounded px-1 text-xs ring-1 {}", badge(&fact.status))>{fact.status.replace('_', " ")}</span>
                        {items}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let (id, status) = (control.id.clone(), control.status.clone());
    view! {
        <tr data-testid="control-row" data-control=id data-status=status>
            <th scope="row" class="px-3 py-2 text-left align-top">
                <span class="font-mono text-xs text-slate-500">{control.id}</span>
                <span class="block font-medium">{control.title}</span>
            </th>
            <td class="px-3 py-2 align-top">
                <span class=format!("whitespace-nowrap rounded px-2 py-0.5 text-xs font-semibold ring-1 {}", badge(&control.status))>{control.status_label}</span>
            </td>
            <td class="px-3 py-2 align-top"><ul class="list-disc space-y-1 pl-4">{mechanisms}</ul></td>
            <td class="px-3 py-2 align-top">{facts}</td>
        </tr>
    }
}
