//! One service account or agent on its own page: owners and lifecycle, credentials, the steps
//! it performs and what is in force, its newest access decisions and the changes it drafted.

use super::area::AreaGate;
use super::identities::{commands, CommandOutcome, NhiTable};
use crate::api::identities::load_identity;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_registry::{
    IdentityChangeView, IdentityDecisionView, IdentityDetailView, IdentityStepView,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn IdentityPage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <p class="mb-2 text-sm"><a class="underline" href="/identities">"← All identities"</a></p>
        <PageTitle
            title="Identity"
            subtitle="Its owners, credentials, grants, newest access decisions and drafts."
        />
        <AreaGate area="identities">
            {move || view! { <IdentityDetail id=params.read().get("id").unwrap_or_default() /> }}
        </AreaGate>
    }
}

#[component]
fn IdentityDetail(id: String) -> impl IntoView {
    let commands = commands();
    let refresh = commands.refresh;
    let data = Resource::new(move || refresh.get(), move |_| load_identity(id.clone()));
    view! {
        <CommandOutcome commands />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <Detail detail commands /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(detail: IdentityDetailView, commands: super::identities::Commands) -> impl IntoView {
    let nhi = detail.nhi.clone();
    let selected = RwSignal::new(Vec::new());
    let kind = if nhi.kind == "agent" {
        "Agent"
    } else {
        "Service account"
    };
    let secret = if detail.secret_issued {
        "issued (only its hash is kept)"
    } else {
        "none issued"
    };
    view! {
        <section aria-labelledby="identity-heading" class="mb-8">
            <h2 id="identity-heading" class="text-xl font-semibold" data-testid="identity-name">{nhi.name.clone()}</h2>
            <p class="text-sm text-slate-600">
                {kind}{nhi.model.clone().map(|m| format!(" · {m}"))}
            </p>
            <p class="mb-4 max-w-3xl text-sm text-slate-700">{nhi.purpose.clone()}</p>
            <NhiTable nhis=vec![nhi.clone()] can_manage=detail.can_manage selected actions=commands.actions />
        </section>
        <section aria-labelledby="credentials-heading" class="mb-8">
            <h2 id="credentials-heading" class="mb-2 text-lg font-semibold">"Credentials"</h2>
            <dl class="grid max-w-2xl grid-cols-[max-content_1fr] gap-x-6 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="credentials">
                <dt class="text-slate-500">"Client secret"</dt><dd>{secret}</dd>
                <dt class="text-slate-500">"Access tokens live now"</dt><dd>{detail.live_tokens}</dd>
                <dt class="text-slate-500">"Expires"</dt><dd>{nhi.expires_on.clone()}</dd>
                <dt class="text-slate-500">"Last used"</dt><dd>{nhi.last_used.clone().unwrap_or_else(|| "never".to_owned())}</dd>
            </dl>
        </section>
        <Grants in_force=detail.in_force steps=detail.steps />
        <Decisions decisions=detail.decisions />
        <Drafts changes=detail.changes />
    }
}

#[component]
fn Grants(in_force: Vec<String>, steps: Vec<IdentityStepView>) -> impl IntoView {
    let in_force = if in_force.is_empty() {
        view! { <p class="text-sm text-slate-600">"Nothing is in force: it performs no step of an active workflow."</p> }.into_any()
    } else {
        view! {
            <ul class="list-inside list-disc text-sm" data-testid="in-force">
                {in_force.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let steps = if steps.is_empty() {
        view! {
            <EmptyState title="No workflow names it">
                <p>"A security admin adds it to a workflow's step on the workflow's page; only then can it ask for a token."</p>
            </EmptyState>
        }
        .into_any()
    } else {
        let rows = steps
            .into_iter()
            .map(|s| view! {
                <tr data-testid="identity-step">
                    <td class="px-3 py-2"><a class="underline" href=format!("/workflows/{}", s.workflow_id)>{s.workflow}</a></td>
                    <td class="px-3 py-2">{s.workflow_state}</td>
                    <td class="px-3 py-2">{s.step}</td>
                    <td class="px-3 py-2 text-xs text-slate-700">
                        {s.grant}
                        {s.awaiting_review.then(|| view! { <span class="block font-medium text-amber-900">"A widening awaits review"</span> })}
                    </td>
                </tr>
            })
            .collect_view();
        view! {
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <caption class="sr-only">"Steps it performs"</caption>
                    <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Workflow"</th>
                            <th scope="col" class="px-3 py-2">"State"</th>
                            <th scope="col" class="px-3 py-2">"Step"</th>
                            <th scope="col" class="px-3 py-2">"Grant"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="grants-heading" class="mb-8">
            <h2 id="grants-heading" class="mb-1 text-lg font-semibold">"Grants"</h2>
            <h3 class="mt-2 text-sm font-semibold">"Can use now"</h3>
            {in_force}
            <h3 class="mb-1 mt-4 text-sm font-semibold">"Steps it performs"</h3>
            {steps}
        </section>
    }
}

#[component]
fn Decisions(decisions: Vec<IdentityDecisionView>) -> impl IntoView {
    let body = if decisions.is_empty() {
        view! { <p class="text-sm text-slate-600">"It has asked for no customer data yet."</p> }
            .into_any()
    } else {
        let rows = decisions
            .into_iter()
            .map(|d| view! {
                <tr data-testid="identity-decision">
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{d.decided}</td>
                    <td class="px-3 py-2"><a class="underline" href=format!("/workflows/{}", d.workflow_id)>{d.workflow}</a></td>
                    <td class="px-3 py-2">{d.purpose}</td>
                    <td class="px-3 py-2">{format!("{} allowed · {} denied", d.allowed_subjects, d.denied_subjects)}</td>
                    <td class="px-3 py-2 text-xs">{if d.fields.is_empty() { "none".to_owned() } else { d.fields.join(", ") }}</td>
                </tr>
            })
            .collect_view();
        view! {
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <caption class="sr-only">"Newest access decisions"</caption>
                    <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"When"</th>
                            <th scope="col" class="px-3 py-2">"Workflow › step"</th>
                            <th scope="col" class="px-3 py-2">"Purpose"</th>
                            <th scope="col" class="px-3 py-2">"Customers"</th>
                            <th scope="col" class="px-3 py-2">"Fields allowed"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="decisions-heading" class="mb-8">
            <h2 id="decisions-heading" class="mb-1 text-lg font-semibold">"Newest access decisions"</h2>
            <p class="mb-2 text-sm text-slate-600">"Each time it asked for customer records: the 20 newest. Investigate traces a customer's records through every decision."</p>
            {body}
        </section>
    }
}

#[component]
fn Drafts(changes: Vec<IdentityChangeView>) -> impl IntoView {
    let body = if changes.is_empty() {
        view! { <p class="text-sm text-slate-600">"It has drafted no change."</p> }.into_any()
    } else {
        changes
            .into_iter()
            .map(|c| view! {
                <li data-testid="identity-change" class="py-2">
                    <a class="font-medium underline" href=format!("/changes/{}", c.id)>{c.title}</a>
                    <span class="block text-xs text-slate-500">{format!("{} · tier {} · drafted {}", c.status, c.tier, c.created)}</span>
                </li>
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section aria-labelledby="drafts-heading" class="mb-8">
            <h2 id="drafts-heading" class="mb-1 text-lg font-semibold">"Drafts"</h2>
            <p class="mb-2 text-sm text-slate-600">"The 20 newest changes it drafted, whatever became of them."</p>
            <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white px-4 text-sm">{body}</ul>
        </section>
    }
}
