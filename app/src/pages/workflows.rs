use super::area::AreaGate;
use super::systems::ConnectedSystems;
use crate::api::effects::{CloneWorkflow, RevokeWorkflow};
use crate::api::workflows::{
    load_workflow, load_workflows, ActivateWorkflow, ChangeStepGrant, ReviewWidening,
};
use crate::components::effects::{KillSwitch, RevocationStatus};
use crate::components::grant_editor::{GrantDraft, GrantEditor};
use crate::components::pager::Pager;
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{EmptyState, ErrorMessage, ErrorPanel, Loading, PageTitle};
use crate::dto::{PrivilegeView, StepView, SystemChoice, WorkflowView};
use crate::dto_registry::{HistoryEntryView, WorkflowListView, WorkflowRowView};
use crate::error::UiError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn WorkflowsPage() -> impl IntoView {
    view! {
        <PageTitle
            title="Workflows"
            subtitle="AI-agent workflows as chains of owned, least-privilege steps."
        />
        <AreaGate area="workflows">
            <WorkflowDirectory />
        </AreaGate>
    }
}

/// One workflow on its own page, at a stable URL notifications and evidence link to.
#[component]
pub fn WorkflowPage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <p class="mb-2 text-sm"><a class="underline" href="/workflows">"← All workflows"</a></p>
        <PageTitle
            title="Workflow"
            subtitle="Its chain of owned steps, governability checklist, drift, connected systems, history and kill switch."
        />
        <AreaGate area="workflows">
            {move || {
                let id = params.read().get("id").unwrap_or_default();
                let changes = format!("/queue?view=all&workflow={id}");
                view! {
                    <p class="mb-4 text-sm"><a class="underline" href=changes data-testid="workflow-changes">"Changes drafted in this workflow →"</a></p>
                    <RegistryChanges>
                        <WorkflowList id=id.clone() />
                        <ConnectedSystems workflow=id />
                    </RegistryChanges>
                }
            }}
        </AreaGate>
    }
}

/// The searchable, paged list of workflows.
#[component]
fn WorkflowDirectory() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).unwrap_or_default();
    let data = Resource::new(
        move || (param("q"), param("state"), param("page")),
        |(q, state, page)| {
            load_workflows(
                (!q.is_empty()).then_some(q),
                (!state.is_empty()).then_some(state),
                page.parse().ok(),
            )
        },
    );
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let (q, state) = (param("q"), param("state"));
                match data.await {
                    Ok(list) => view! { <WorkflowTable list q state /> }.into_any(),
                    Err(error) => view! {
                        <SearchForm q state />
                        <ErrorPanel error />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The search, as a plain GET form: it works before the page hydrates and gives a link to share.
#[component]
fn SearchForm(q: String, state: String) -> impl IntoView {
    let states = [
        ("", "Any state"),
        ("draft", "Draft"),
        ("needs_review", "Needs review"),
        ("active", "Active"),
        ("revoked", "Revoked"),
    ]
    .into_iter()
    .map(|(value, label)| {
        let chosen = value == state;
        view! { <option value=value selected=chosen>{label}</option> }
    })
    .collect_view();
    view! {
        <form method="get" action="/workflows" role="search" aria-label="Search workflows"
            class="mb-4 flex flex-wrap items-end gap-4 rounded-lg border border-slate-200 bg-white p-4">
            <label class="min-w-64 flex-1">
                <span class=LABEL>"Name or purpose"</span>
                <input type="search" name="q" class=INPUT value=q maxlength="200" placeholder="e.g. spring offer" />
            </label>
            <label>
                <span class=LABEL>"State"</span>
                <select name="state" class=INPUT>{states}</select>
            </label>
            <button type="submit" class=SECONDARY>"Search"</button>
            <a href="/workflows" class="text-sm font-medium underline">"Clear"</a>
        </form>
    }
}

#[component]
fn WorkflowTable(list: WorkflowListView, q: String, state: String) -> impl IntoView {
    let can_manage = list.can_manage;
    let searching = !q.is_empty() || !state.is_empty();
    let header = view! {
        <div class="mb-4 flex flex-wrap items-center gap-4">
            {can_manage.then(|| view! { <a href="/workflows/new" class=BUTTON>"Define a workflow"</a> })}
            <a href="/systems" class="text-sm font-medium underline">"Connected systems →"</a>
        </div>
    };
    let body = if list.rows.is_empty() && !searching {
        view! {
            <EmptyState title="No workflows defined">
                <p>"Each workflow appears here as a chain — who acts, what they do, where — with a named human owner at every step, its risk tier and its governability checklist."</p>
                <p class="text-sm">{if can_manage {
                    "Define the first one: register its service accounts and agents on the Identities page and its connected systems, then chain them into steps."
                } else {
                    "Security admins define workflows."
                }}</p>
            </EmptyState>
        }
        .into_any()
    } else if list.rows.is_empty() {
        view! {
            <EmptyState title="No workflows match">
                <p>"No workflow's name or purpose contains that text in the state chosen. Try fewer words, or clear the search."</p>
            </EmptyState>
        }
        .into_any()
    } else {
        let rows = list
            .rows
            .into_iter()
            .map(|row| view! { <WorkflowRow row /> })
            .collect_view();
        let params = vec![("q", q.clone()), ("state", state.clone())];
        view! {
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <caption class="sr-only">"Workflows"</caption>
                    <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Workflow"</th>
                            <th scope="col" class="px-3 py-2">"Owner"</th>
                            <th scope="col" class="px-3 py-2">"Tier"</th>
                            <th scope="col" class="px-3 py-2">"State"</th>
                            <th scope="col" class="px-3 py-2">"Checklist"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
            <Pager path="/workflows" params paging=list.paging noun=("workflow", "workflows") />
        }
        .into_any()
    };
    view! {
        {header}
        <SearchForm q state />
        {body}
    }
}

#[component]
fn WorkflowRow(row: WorkflowRowView) -> impl IntoView {
    let checklist = match &row.first_missing {
        None => view! { <span class="text-emerald-800">{format!("✓ all {} pass", row.checks)}</span> }.into_any(),
        Some(missing) => view! {
            <span class="text-red-800">{format!("{} of {} pass", row.checks_passed, row.checks)}</span>
            <span class="block text-xs text-slate-600">{format!("Missing: {missing}")}</span>
        }
        .into_any(),
    };
    view! {
        <tr data-testid="workflow-row">
            <th scope="row" class="px-3 py-2 text-left font-medium">
                <a class="underline decoration-slate-300 hover:decoration-slate-700" href=format!("/workflows/{}", row.id)>{row.name.clone()}</a>
                <span class="block max-w-xl text-xs font-normal text-slate-600">{row.purpose.clone()}</span>
            </th>
            <td class="px-3 py-2">{row.owner.clone()}</td>
            <td class="px-3 py-2">{format!("Tier {}", row.tier)}</td>
            <td class="px-3 py-2">
                <span data-testid="workflow-state">{row.state.replace('_', " ")}</span>
                {row.awaiting_review.then(|| view! { <span class="block text-xs text-amber-900">"widening awaits review"</span> })}
            </td>
            <td class="px-3 py-2">{checklist}<span class="sr-only">{format!(" · {} steps", row.steps)}</span></td>
        </tr>
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

/// The commands of this page and the one live region that reports them.
#[derive(Clone, Copy)]
struct Commands {
    activate: ServerAction<ActivateWorkflow>,
    change: ServerAction<ChangeStepGrant>,
    review: ServerAction<ReviewWidening>,
    revoke: ServerAction<RevokeWorkflow>,
    clone: ServerAction<CloneWorkflow>,
}

/// One workflow, with its commands and the live region reporting them.
#[component]
fn WorkflowList(id: String) -> impl IntoView {
    let commands = Commands {
        activate: ServerAction::new(),
        change: ServerAction::new(),
        review: ServerAction::new(),
        revoke: ServerAction::new(),
        clone: ServerAction::new(),
    };
    let query = use_query_map();
    provide_context(crate::components::effects::DraftNames::default());
    let outcome: RwSignal<Option<Result<String, UiError>>> = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    let values: [Signal<Option<Result<String, UiError>>>; 4] = [
        commands.activate.value().into(),
        commands.change.value().into(),
        commands.review.value().into(),
        commands.revoke.value().into(),
    ];
    // A clone is a new workflow: its own page says what was done.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move || match commands.clone.value().get() {
        Some(Ok(defined)) => navigate(
            &format!(
                "/workflows/{}?defined={}",
                defined.id,
                super::workflow_builder::url_escape(&defined.message)
            ),
            Default::default(),
        ),
        Some(Err(error)) => outcome.set(Some(Err(error))),
        None => {}
    });
    for value in values {
        Effect::new(move || {
            if let Some(result) = value.get() {
                if result.is_ok() {
                    refresh.update(|n| *n += 1);
                }
                outcome.set(Some(result));
            }
        });
    }
    let systems_changed = use_context::<SystemsChanged>().map(|c| c.0);
    let data = Resource::new(
        move || (refresh.get(), systems_changed.map(|s| s.get())),
        move |_| load_workflow(id.clone()),
    );
    view! {
        <section aria-labelledby="workflows-heading">
            <h2 id="workflows-heading" class="sr-only">"Workflows"</h2>
            <p role="status" aria-live="polite" data-testid="workflow-outcome" class="mb-2 min-h-6 text-sm">
                {move || match outcome.get() {
                    Some(Ok(message)) => view! { <span class="font-medium text-emerald-800">{message}</span> }.into_any(),
                    Some(Err(error)) => view! { <ErrorMessage error /> }.into_any(),
                    None => query.read().get("defined").map(|message| view! {
                        <span class="font-medium text-emerald-800">{message}</span>
                    }.into_any()).unwrap_or_else(|| ().into_any()),
                }}
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Overview view commands /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Overview(view: crate::dto::WorkflowsView, commands: Commands) -> impl IntoView {
    let can_manage = view.can_manage;
    let systems = view.systems;
    let subject = view
        .workflows
        .first()
        .map(|w| format!("workflow:{}", w.id))
        .unwrap_or_default();
    let cards = view
        .workflows
        .into_iter()
        .map(|workflow| {
            let systems = systems.clone();
            view! { <WorkflowCard workflow can_manage commands systems /> }
        })
        .collect_view();
    view! {
        {cards}
        <Privileges privileges=view.privileges />
        <History history=view.history subject />
    }
}

/// The workflow's newest events in the ledger: what changed, who did it and why.
#[component]
fn History(history: Vec<HistoryEntryView>, subject: String) -> impl IntoView {
    let empty = history.is_empty();
    let entries = history
        .into_iter()
        .map(|entry| view! {
            <li data-testid="history-entry" class="py-2">
                <span class="font-medium">{entry.what}</span>
                {entry.reason.map(|reason| view! { <span class="text-slate-700">{format!(" — “{reason}”")}</span> })}
                <span class="block text-xs text-slate-500">
                    <time datetime=entry.at.clone()>{entry.at.replace('T', " ").replace('Z', " UTC")}</time>
                    {format!(" · {} · ledger #{}", entry.actor, entry.seq)}
                </span>
            </li>
        })
        .collect_view();
    view! {
        <section aria-labelledby="history-heading" class="mb-10">
            <h2 id="history-heading" class="mb-1 text-lg font-semibold">"History"</h2>
            <p class="mb-3 text-sm text-slate-600">"The newest events recorded for this workflow: its definition, grant changes and scope drift, reviews, activation and revocation."</p>
            {if empty {
                view! { <p class="text-sm text-slate-600">"Nothing is recorded for this workflow yet."</p> }.into_any()
            } else {
                view! { <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white px-4 text-sm">{entries}</ul> }.into_any()
            }}
            <p class="mt-2 text-sm"><a class="underline" href=format!("/audit?subject={subject}")>"Every event of this workflow in the audit ledger →"</a></p>
        </section>
    }
}

#[component]
fn WorkflowCard(
    workflow: WorkflowView,
    can_manage: bool,
    commands: Commands,
    systems: Vec<SystemChoice>,
) -> impl IntoView {
    let tier_colour = match workflow.tier {
        3 => "bg-red-100 text-red-900",
        2 => "bg-amber-100 text-amber-900",
        _ => "bg-slate-100 text-slate-800",
    };
    let passing = workflow.checklist.iter().all(|c| c.passed);
    let awaiting = workflow.steps.iter().any(|s| s.awaiting_review.is_some());
    let activatable = matches!(workflow.state.as_str(), "draft" | "needs_review") && !awaiting;
    let editable = can_manage && workflow.state != "revoked";
    let steps = workflow
        .steps
        .into_iter()
        .enumerate()
        .map(|(n, step)| {
            let systems = systems.clone();
            let workflow_id = workflow.id.clone();
            view! { <StepItem n=n + 1 step editable workflow_id systems commands /> }
        })
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
    let anchor = format!("workflow-{id}");
    let review_id = workflow.id.clone();
    let kill_switch = workflow.can_revoke.then(|| {
        view! { <KillSwitch workflow=workflow.id.clone() name=workflow.name.clone() action=commands.revoke /> }
    });
    let revocation = workflow.revocation.clone().map(|revocation| {
        view! { <RevocationStatus workflow=workflow.id.clone() revocation can_clone=can_manage clone=commands.clone /> }
    });
    view! {
        <article data-testid="workflow-card" id=anchor class="mb-6 scroll-mt-4 rounded-lg border border-slate-200 bg-white p-5">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div>
                    <h3 class="text-lg font-semibold"><a class="hover:underline" href=format!("/workflows/{}", workflow.id)>{workflow.name.clone()}</a></h3>
                    <p class="text-sm text-slate-600">{workflow.purpose.clone()}</p>
                    <p class="text-xs text-slate-500">{format!("Owner: {}", workflow.owner)}</p>
                    <p class="text-xs text-slate-500" data-testid="signoffs">{format!("Each change needs: {}", workflow.signoffs)}</p>
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    <crate::components::ui::EvidenceLink href=format!("/evidence/workflows/{}", workflow.id) />
                    <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {tier_colour}")>{format!("Tier {}", workflow.tier)}</span>
                    <span data-testid="workflow-state" class="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium">{workflow.state.replace('_', " ")}</span>
                </div>
            </div>
            <ol class="mt-4 grid gap-2 md:grid-cols-2 xl:grid-cols-4" aria-label="Steps, in order">{steps}</ol>
            {(can_manage && awaiting).then(|| view! { <ReviewPanel workflow_id=review_id commands /> })}
            <div class="mt-4">
                <h4 class="text-sm font-semibold">"Governability checklist"</h4>
                <ul class="mt-1 space-y-0.5 text-sm">{checks}</ul>
            </div>
            {(can_manage && activatable).then(|| view! {
                <button type="button" class=format!("mt-4 {BUTTON}") disabled=move || commands.activate.pending().get() || !passing
                    title=if passing { "" } else { "The checklist must pass first" }
                    on:click=move |_| { commands.activate.dispatch(ActivateWorkflow { id: id.clone() }); }>
                    "Activate"
                </button>
            })}
            {kill_switch}
            {revocation}
        </article>
    }
}

#[component]
fn StepItem(
    n: usize,
    step: StepView,
    editable: bool,
    workflow_id: String,
    systems: Vec<SystemChoice>,
    commands: Commands,
) -> impl IntoView {
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
    let editing = RwSignal::new(false);
    let draft = GrantDraft::new(step.grant.clone());
    let label = format!("Step {n}");
    let step_id = step.id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        commands.change.dispatch(ChangeStepGrant {
            workflow: workflow_id.clone(),
            step: step_id.clone(),
            grant: draft.value(),
        });
        editing.set(false);
    };
    view! {
        <li data-testid="step" class=move || {
            // The grant editor needs the card's full width.
            let span = if editing.get() { " md:col-span-2 xl:col-span-4" } else { "" };
            format!("rounded-md border border-slate-200 bg-slate-50 p-3 text-sm{span}")
        }>
            <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("{n}. {}", step.kind)}</p>
            <p class="font-medium">{step.name.clone()}</p>
            <p><span class="text-slate-500">"Who: "</span>{match step.performer_href.clone() {
                Some(href) => view! { <a class="underline" href=href>{step.performer.clone()}</a> }.into_any(),
                None => step.performer.clone().into_any(),
            }}</p>
            <p><span class="text-slate-500">"Where: "</span>{step.system.clone().unwrap_or_else(|| "—".to_owned())}</p>
            <p><span class="text-slate-500">"Owner: "</span>{step.owner.clone().unwrap_or_else(|| "none".to_owned())}</p>
            <p class="mt-1 text-xs text-slate-600">{grant}</p>
            {step.token_scope.clone().map(|scope| view! {
                <p class="mt-1 text-xs text-slate-500">
                    "Token scope: "<code data-testid="step-scope" class="break-all font-mono">{scope}</code>
                </p>
            })}
            {step.awaiting_review.clone().map(|added| view! {
                <p data-testid="awaiting-review" class="mt-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900">
                    {format!("Awaiting a security admin: {added}")}
                </p>
            })}
            {editable.then(|| view! {
                <button type="button" class=format!("mt-2 {SECONDARY}") aria-expanded=move || editing.get().to_string()
                    on:click=move |_| editing.update(|e| *e = !*e)>
                    {move || if editing.get() { "Close" } else { "Change grant" }}
                </button>
            })}
            {move || editing.get().then(|| {
                let systems = systems.clone();
                view! {
                    <form class="mt-3 rounded-md border border-slate-300 bg-white p-3" on:submit=save.clone()
                        aria-label=format!("Change the grant of {}", label)>
                        <GrantEditor systems grant=draft label=label.clone() />
                        <p class="mt-2 text-xs text-slate-600">
                            "Narrowing takes effect at once. Widening that raises the tier puts a live workflow in review; the added part waits for a security admin."
                        </p>
                        <button type="submit" class=format!("mt-2 {BUTTON}")>"Save grant"</button>
                    </form>
                }
            })}
        </li>
    }
}

/// Approve or reject every widening awaiting review, with a reason for the ledger.
#[component]
fn ReviewPanel(workflow_id: String, commands: Commands) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let decide = move |approve: bool| {
        commands.review.dispatch(ReviewWidening {
            workflow: workflow_id.clone(),
            approve,
            reason: reason.get_untracked(),
        });
        reason.set(String::new());
    };
    let approve = decide.clone();
    view! {
        <div role="group" aria-labelledby="review-heading" class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3">
            <h4 id="review-heading" class="text-sm font-semibold">"Scope drift awaiting review"</h4>
            <p class="text-sm text-slate-700">"A widened grant raised this workflow's tier. Approve it to put it in force (then activate the workflow), or reject it to keep the previous grant."</p>
            <label class="mt-2 block">
                <span class=LABEL>"Reason"</span>
                <input type="text" class=INPUT bind:value=reason />
            </label>
            <div class="mt-2 flex gap-2">
                <button type="button" class=BUTTON on:click=move |_| approve(true)>"Approve widening"</button>
                <button type="button" class=SECONDARY on:click=move |_| decide(false)>"Reject widening"</button>
            </div>
        </div>
    }
}

/// What each identity can do, across every workflow it performs a step in.
#[component]
fn Privileges(privileges: Vec<PrivilegeView>) -> impl IntoView {
    if privileges.is_empty() {
        return ().into_any();
    }
    let rows = privileges
        .into_iter()
        .map(|p| {
            let in_force = if p.in_force.is_empty() {
                view! { <span class="text-slate-500">"nothing (no active workflow)"</span> }.into_any()
            } else {
                p.in_force
                    .into_iter()
                    .map(|line| view! { <span class="block">{line}</span> })
                    .collect_view()
                    .into_any()
            };
            let steps = p
                .steps
                .into_iter()
                .map(|line| view! { <span class="block">{line}</span> })
                .collect_view();
            view! {
                <tr data-testid="privilege-row">
                    <th scope="row" class="px-3 py-2 text-left font-medium">
                        <a class="underline" href=format!("/identities/{}", p.id)>{p.identity}</a>
                        <span class="block text-xs font-normal text-slate-500">{format!("{} · {}", p.kind, p.state)}</span>
                    </th>
                    <td class="px-3 py-2">{in_force}</td>
                    <td class="px-3 py-2 text-xs text-slate-600">{steps}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="privilege-heading" class="mb-10">
            <h2 id="privilege-heading" class="mb-1 text-lg font-semibold">"Effective privilege by identity"</h2>
            <p class="mb-3 text-sm text-slate-600">"What each identity this workflow names can use now (in every active workflow), and every step it performs."</p>
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Identity"</th>
                            <th scope="col" class="px-3 py-2">"Can use now"</th>
                            <th scope="col" class="px-3 py-2">"Steps"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
