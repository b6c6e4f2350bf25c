//! One change at the gate: its text with claims and a safe rendered preview, what changed since
//! the previous version, the evidence checks, the rollback plan, the sign-offs it needs and has,
//! and the provenance of each version — the agent and its owners, the model, prompts, the access
//! decisions it cited with each subject's legal basis, its tool calls and raw output.

use super::area::AreaGate;
use crate::api::changes::load_change;
use crate::components::effects::PublicationPanel;
use crate::components::gate::{
    ClaimsPanel, EvidencePanel, GateCommands, ReviewText, RollbackPanel, SignoffHistory,
    SignoffPanel, VersionDiff,
};
use crate::components::published::{ExcludedSigners, PublishedSource};
use crate::components::ui::{ErrorPanel, Loading};
use crate::dto::{ChangeDetailView, DecisionView, VersionView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ChangePage() -> impl IntoView {
    let params = use_params_map();
    let commands = GateCommands::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                commands.version(),
            )
        },
        |(id, _)| load_change(id),
    );
    view! {
        <p class="mb-4 text-sm"><a href="/queue" class="font-medium underline">"← Back to the queue"</a></p>
        <AreaGate area="queue">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(change) => view! { <ChangeView change commands /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

fn list(items: Vec<String>, empty: &'static str) -> AnyView {
    if items.is_empty() {
        return view! { <span class="text-slate-500">{empty}</span> }.into_any();
    }
    view! {
        <ul class="list-inside list-disc">
            {items.into_iter().map(|i| view! { <li class="break-words">{i}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ChangeView(change: ChangeDetailView, commands: GateCommands) -> impl IntoView {
    let title = change.title.clone();
    let gate = change.gate.clone();
    let mut versions = change.versions.into_iter();
    let current = versions.next();
    let older = versions.collect::<Vec<_>>();
    let id = change.id.clone();
    view! {
        <leptos_meta::Title text=title.clone() />
        <div class="mb-6 flex flex-wrap items-start justify-between gap-3">
            <div>
                <h1 class="text-2xl font-semibold">{title}</h1>
                <p class="text-sm text-slate-600" data-testid="change-status" data-status=change.status.clone()>
                    {format!("{} · tier {} · {} · {} · {}", change.status.replace('_', " "), change.tier, change.channel, change.audience, change.target)}
                </p>
            </div>
            <crate::components::ui::EvidenceLink href=format!("/evidence/changes/{id}") />
        </div>
        <div class="grid gap-6 lg:grid-cols-[2fr_1fr]">
            <div class="space-y-6">
                <ReviewText change=id.clone() gate=gate.clone() commands />
                {(!gate.variants.is_empty()).then(|| view! {
                    <crate::components::variants::VariantsPanel variants=gate.variants.clone() set_hash=gate.current_hash.clone() />
                })}
                <details class="rounded-lg border border-slate-200 bg-white p-5">
                    <summary class="cursor-pointer text-lg font-semibold">"Rendered preview"</summary>
                    <p class="mb-2 mt-1 text-xs text-slate-500">"As the content would look. Images are not loaded: each is named by its URL, so opening a draft tells nobody that you read it."</p>
                    <div class="prose max-w-none text-sm" data-testid="rendered-preview" inner_html=gate.rendered_html.clone()></div>
                </details>
                <PublishedSource source=gate.source.clone() format=gate.format.clone() outbound=gate.outbound.clone() base_variant=gate.variants.first().map(|v| v.name.clone()) />
                {gate.has_diff.then(|| view! { <VersionDiff change=id.clone() /> })}
                <ClaimsPanel change=id.clone() gate=gate.clone() commands />
            </div>
            <div class="space-y-6">
                {gate.template_use.clone().map(|used| view! { <crate::components::template_use::TemplateUsePanel used /> })}
                <PublicationPanel change=id.clone() status=change.status.clone() effects=change.effects.clone() commands />
                <SignoffPanel change=id.clone() status=change.status.clone() gate=gate.clone() commands />
                <ExcludedSigners excluded=gate.excluded.clone() />
                <EvidencePanel evidence=gate.evidence.clone() />
                <RollbackPanel change=id.clone() plan=gate.rollback.clone() may_edit=gate.may_edit_rollback commands />
                <section aria-labelledby="who-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
                    <h2 id="who-heading" class="mb-2 text-lg font-semibold">"Who drafted it"</h2>
                    <dl class="grid grid-cols-[7rem_1fr] gap-1">
                        <dt class="text-slate-500">"Agent"</dt><dd data-testid="drafted-by">{change.drafted_by.clone()}</dd>
                        <dt class="text-slate-500">"Its model"</dt><dd>{change.model_of_agent.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                        <dt class="text-slate-500">"Owners"</dt><dd>{change.owners.join(", ")}</dd>
                        <dt class="text-slate-500">"Workflow"</dt><dd>{format!("{} · {}", change.workflow, change.step)}</dd>
                        <dt class="text-slate-500">"Purpose"</dt><dd>{change.purpose.clone()}</dd>
                        <dt class="text-slate-500">"Drafted"</dt><dd>{change.created_at.clone()}</dd>
                    </dl>
                </section>
            </div>
        </div>
        <section aria-labelledby="history-heading" class="mt-6 rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="history-heading" class="mb-2 text-lg font-semibold">"Sign-off history"</h2>
            <SignoffHistory signoffs=gate.signoffs.clone() />
        </section>
        {current.map(|v| view! { <Provenance version=v decisions=change.decisions.clone() /> })}
        {(!older.is_empty()).then(|| view! {
            <section aria-labelledby="older-heading" class="mt-6 rounded-lg border border-slate-200 bg-white p-5">
                <h2 id="older-heading" class="mb-2 text-lg font-semibold">"Earlier versions"</h2>
                {older.into_iter().map(|v| view! {
                    <details class="mb-2">
                        <summary class="cursor-pointer text-sm font-medium">{format!("Version {} · {}", v.version, v.submitted_at)}</summary>
                        <pre class="mt-2 whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-sans text-sm">{v.content}</pre>
                        <p class="break-all font-mono text-xs text-slate-500">{v.content_hash}</p>
                    </details>
                }).collect_view()}
            </section>
        })}
    }
}

#[component]
fn Provenance(version: VersionView, decisions: Vec<DecisionView>) -> impl IntoView {
    view! {
        <section aria-labelledby="provenance-heading" data-testid="provenance" class="mt-6 rounded-lg border border-slate-200 bg-white p-5 text-sm">
            <h2 id="provenance-heading" class="mb-3 text-lg font-semibold">"Provenance"</h2>
            <dl class="grid gap-2 md:grid-cols-[10rem_1fr]">
                <dt class="text-slate-500">"Model"</dt>
                <dd data-testid="provenance-model">{format!("{} ({})", version.model, version.model_version)}</dd>
                <dt class="text-slate-500">"Prompt"</dt>
                <dd><pre class="whitespace-pre-wrap break-words font-sans">{version.prompt}</pre></dd>
                <dt class="text-slate-500">"System prompt"</dt>
                <dd><pre class="whitespace-pre-wrap break-words font-sans">{if version.system_prompt.is_empty() { "—".to_owned() } else { version.system_prompt }}</pre></dd>
                <dt class="text-slate-500">"Customer data used"</dt>
                <dd>{list(version.fields_used, "none")}</dd>
                <dt class="text-slate-500">"Other sources"</dt>
                <dd>{list(version.data_sources, "none")}</dd>
                <dt class="text-slate-500">"Tool calls"</dt>
                <dd>{list(version.tool_calls, "none")}</dd>
                <dt class="text-slate-500">"Raw output"</dt>
                <dd><pre class="max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-xs">{version.raw_output}</pre></dd>
            </dl>
            <h3 class="mb-2 mt-4 font-semibold">"Access decisions cited"</h3>
            {if decisions.is_empty() {
                view! { <p class="text-slate-500">"None: this version uses no customer data."</p> }.into_any()
            } else {
                decisions.into_iter().map(|d| view! {
                    <div data-testid="cited-decision" class="mb-3 rounded border border-slate-200 p-3">
                        <p class="font-mono text-xs">{d.id}</p>
                        <p class="text-xs text-slate-500">{format!("for {} · decided {}", d.purpose, d.decided_at)}</p>
                        <dl class="mt-2 grid gap-1 md:grid-cols-[10rem_1fr]">
                            <dt class="text-slate-500">"Fields allowed"</dt><dd>{list(d.allowed_fields, "none")}</dd>
                            <dt class="text-slate-500">"Fields denied"</dt><dd>{list(d.denied_fields, "none")}</dd>
                            <dt class="text-slate-500">"Subjects and legal basis"</dt><dd>{list(d.allowed_subjects, "none")}</dd>
                            <dt class="text-slate-500">"Basis the draft states"</dt><dd data-testid="stated-basis">{d.stated_basis.clone().unwrap_or_else(|| "none stated".to_owned())}</dd>
                            <dt class="text-slate-500">"Subjects refused"</dt><dd>{list(d.denied_subjects, "none")}</dd>
                        </dl>
                    </div>
                }).collect_view().into_any()
            }}
        </section>
    }
}
