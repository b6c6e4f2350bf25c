use super::area::AreaGate;
use super::systems::ConnectedSystems;
use crate::api::workflows::{load_workflows, ActivateWorkflow};
use crate::components::ui::style::BUTTON;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto::{StepView, WorkflowView};
use leptos::prelude::*;

#[component]
pub fn WorkflowsPage() -> impl IntoView {
    view! {
        <PageTitle
            title="Workflows"
            subtitle="AI-agent workflows as chains of owned, least-privilege steps."
        />
        <AreaGate area="workflows">
            <RegistryChanges>
                <WorkflowList />
                <ConnectedSystems />
            </RegistryChanges>
        </AreaGate>
    }
}

/// Bumped when a system changes (a drill, a rotation), so checklists that depend on it reload.
#[derive(Clone, Copy)]
pub struct SystemsChanged(pub RwSignal<u32>);

#[component]
fn RegistryChanges(children: Children) -> impl IntoView {
    provide_context(SystemsChanged(RwSignal::new(0)));
    children()
}

#[component]
fn WorkflowList() -> impl IntoView {
    let activate = ServerAction::<ActivateWorkflow>::new();
    let systems_changed = use_context::<SystemsChanged>().map(|c| c.0);
    let data = Resource::new(
        move || (activate.version().get(), systems_changed.map(|s| s.get())),
        |_| load_workflows(),
    );
    view! {
        <section aria-labelledby="workflows-heading">
            <h2 id="workflows-heading" class="sr-only">"Workflows"</h2>
            <p role="status" aria-live="polite" data-testid="workflow-outcome" class="mb-2 text-sm">
                {move || activate.value().get().map(|result| match result {
                    Ok(message) => view! { <span class="font-medium text-emerald-800">{message}</span> }.into_any(),
                    Err(error) => view! { <span class="font-medium text-red-800">{error.to_string()}</span> }.into_any(),
                })}
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) if view.workflows.is_empty() => view! {
                            <EmptyState title="No workflows defined">
                                <p>"Each workflow appears here as a chain — who acts, what they do, where — with a named human owner at every step, its risk tier and its governability checklist."</p>
                                <p class="text-sm">"Defining workflows in the console is not enabled in this release yet."</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(view) => {
                            let can_manage = view.can_manage;
                            view.workflows
                                .into_iter()
                                .map(|workflow| view! { <WorkflowCard workflow can_manage activate /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn WorkflowCard(
    workflow: WorkflowView,
    can_manage: bool,
    activate: ServerAction<ActivateWorkflow>,
) -> impl IntoView {
    let tier_colour = match workflow.tier {
        3 => "bg-red-100 text-red-900",
        2 => "bg-amber-100 text-amber-900",
        _ => "bg-slate-100 text-slate-800",
    };
    let passing = workflow.checklist.iter().all(|c| c.passed);
    let activatable = matches!(workflow.state.as_str(), "draft" | "needs_review");
    let steps = workflow
        .steps
        .into_iter()
        .enumerate()
        .map(|(n, step)| view! { <StepItem n=n + 1 step /> })
        .collect_view();
    let checks = workflow
        .checklist
        .into_iter()
        .map(|check| {
            let (mark, colour) = if check.passed { ("✓", "text-emerald-800") } else { ("✗", "text-red-800") };
            view! {
                <li class=format!("flex gap-2 {colour}")>
                    <span aria-hidden="true">{mark}</span>
                    <span>
                        <span class="sr-only">{if check.passed { "Passed: " } else { "Missing: " }}</span>
                        {check.text}
                    </span>
                </li>
            }
        })
        .collect_view();
    let id = workflow.id.clone();
    view! {
        <article data-testid="workflow-card" class="mb-6 rounded-lg border border-slate-200 bg-white p-5">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div>
                    <h3 class="text-lg font-semibold">{workflow.name.clone()}</h3>
                    <p class="text-sm text-slate-600">{workflow.purpose.clone()}</p>
                    <p class="text-xs text-slate-500">{format!("Owner: {}", workflow.owner)}</p>
                </div>
                <div class="flex gap-2">
                    <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {tier_colour}")>{format!("Tier {}", workflow.tier)}</span>
                    <span class="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium">{workflow.state.replace('_', " ")}</span>
                </div>
            </div>
            <ol class="mt-4 grid gap-2 md:grid-cols-2 xl:grid-cols-4" aria-label="Steps, in order">{steps}</ol>
            <div class="mt-4">
                <h4 class="text-sm font-semibold">"Governability checklist"</h4>
                <ul class="mt-1 space-y-0.5 text-sm">{checks}</ul>
            </div>
            {(can_manage && activatable).then(|| view! {
                <button type="button" class=format!("mt-4 {BUTTON}") disabled=move || activate.pending().get() || !passing
                    title=if passing { "" } else { "The checklist must pass first" }
                    on:click=move |_| { activate.dispatch(ActivateWorkflow { id: id.clone() }); }>
                    "Activate"
                </button>
            })}
        </article>
    }
}

#[component]
fn StepItem(n: usize, step: StepView) -> impl IntoView {
    let grant = [
        (!step.actions.is_empty()).then(|| format!("may {}", step.actions.join(", "))),
        (!step.fields.is_empty()).then(|| format!("fields {}", step.fields.join(", "))),
        (!step.purposes.is_empty()).then(|| format!("for {}", step.purposes.join(", "))),
        step.human_review
            .then(|| "output reviewed by a person".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm">
            <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("{n}. {}", step.kind)}</p>
            <p class="font-medium">{step.name.clone()}</p>
            <p><span class="text-slate-500">"Who: "</span>{step.performer.clone()}</p>
            <p><span class="text-slate-500">"Where: "</span>{step.system.clone().unwrap_or_else(|| "—".to_owned())}</p>
            <p><span class="text-slate-500">"Owner: "</span>{step.owner.clone().unwrap_or_else(|| "none".to_owned())}</p>
            <p class="mt-1 text-xs text-slate-600">{grant}</p>
        </li>
    }
}
