//! Investigate (security admins, auditors): from a customer subject id to every access decision
//! that named it, the changes citing them and where they were published; from a target
//! reference or a change to its chain back and forward, and one click to the kill switch. Each
//! search is recorded in the ledger, and the page says so.

use super::area::AreaGate;
use super::audit::query_string;
use crate::api::investigate::investigate;
use crate::components::ui::style::{INPUT, LABEL};
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_investigate::{
    ChainView, DeliveryLine, InvestigationView, SubjectDecisionView, SubjectTraceView,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const KINDS: [(&str, &str, &str); 3] = [
    ("subject", "Customer subject id", "crm-10482"),
    (
        "target",
        "Published target reference",
        "campaigns/spring-2027",
    ),
    ("change", "Change id", "0193…"),
];

const BUTTON: &str = "rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900";

/// A link to another search.
fn search_href(kind: &str, q: &str) -> String {
    format!(
        "/investigate{}",
        query_string(&[("kind", kind.to_owned()), ("q", q.to_owned())])
    )
}

#[component]
pub fn InvestigatePage() -> impl IntoView {
    let query = use_query_map();
    let request = move || {
        let query = query.read();
        (
            query.get("kind").unwrap_or_else(|| "subject".to_owned()),
            query.get("q").unwrap_or_default(),
            query.get("before"),
        )
    };
    let answer = Resource::new(request, |(kind, q, before)| async move {
        if q.trim().is_empty() {
            Ok(None)
        } else {
            investigate(kind, q, before).await.map(Some)
        }
    });
    view! {
        <PageTitle
            title="Investigate"
            subtitle="Where was a person's data used? What produced a live campaign, and who let it through? Every search is recorded in the ledger."
        />
        <AreaGate area="investigate">
            {move || {
                let (kind, q, _) = request();
                view! { <SearchForm kind q /> }
            }}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match answer.await {
                        Ok(Some(view)) => view! { <Answer view /> }.into_any(),
                        Ok(None) => view! {
                            <EmptyState title="Start from a customer or a change">
                                <p>"Enter a customer's subject id to see every access decision that named them, the changes that cited those decisions and where they were published. Or enter a target reference or a change id to follow a change back to the agent, model, prompt, data and reviewers behind it, and forward to every publication and rollback."</p>
                            </EmptyState>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

/// A plain GET form: it works before the page hydrates and each search has a link to share.
#[component]
fn SearchForm(kind: String, q: String) -> impl IntoView {
    let placeholder = KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or("", |(_, _, p)| *p);
    view! {
        <form method="get" action="/investigate" role="search" aria-label="Trace" class="mb-6 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
            <label class="text-sm">
                <span class=LABEL>"Search by"</span>
                <select name="kind" class=INPUT data-testid="investigate-kind">
                    {KINDS.iter().map(|(value, label, _)| view! {
                        <option value=*value selected=*value == kind>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="min-w-64 grow text-sm">
                <span class=LABEL>"Subject id, target reference or change id"</span>
                <input class=INPUT name="q" value=q required maxlength="512" placeholder=placeholder
                    autocomplete="off" spellcheck="false" data-testid="investigate-q" />
            </label>
            <button type="submit" class=BUTTON>"Trace"</button>
        </form>
    }
}

#[component]
fn Answer(view: InvestigationView) -> impl IntoView {
    let recorded = view! {
        <p class="mt-6 text-xs text-slate-500" data-testid="investigation-recorded">
            {format!("This search is recorded in the ledger (event #{}). ", view.recorded_seq)}
            <a class="underline" href="/audit?action=investigation.searched">"Who searched what"</a>
        </p>
    };
    let body = match view.subject.clone() {
        Some(trace) => view! { <SubjectTrace subject=view.query.clone() trace /> }.into_any(),
        None if view.chains.is_empty() => {
            let what = if view.kind == "change" {
                format!("No change {} is on record.", view.query)
            } else {
                format!("No change was drafted for the target {}.", view.query)
            };
            view! {
                <EmptyState title="Nothing on record">
                    <p data-testid="investigation-empty">{what}" Check the id, or search by a customer's subject id."</p>
                </EmptyState>
            }
            .into_any()
        }
        None => view! {
            <p class="mb-4 text-sm text-slate-700" data-testid="trace-summary">
                {if view.kind == "target" {
                    format!("{} change(s) for the target {}, newest first.", view.chains.len(), view.query)
                } else {
                    "The change's chain: what produced it, and what it did.".to_owned()
                }}
            </p>
            {view.chains.into_iter().map(|chain| view! { <Chain chain /> }).collect_view()}
        }
        .into_any(),
    };
    view! { {body} {recorded} }
}

#[component]
fn SubjectTrace(subject: String, trace: SubjectTraceView) -> impl IntoView {
    if trace.total == 0 {
        return view! {
            <EmptyState title="No access decision named this subject">
                <p data-testid="investigation-empty">{format!("No agent asked Countersign about {subject}: no decision on record names them, so no change can have used their data through Countersign.")}</p>
            </EmptyState>
        }
        .into_any();
    }
    let older = trace.next.clone().map(|before| {
        format!(
            "/investigate{}",
            query_string(&[
                ("kind", "subject".to_owned()),
                ("q", subject.clone()),
                ("before", before),
            ])
        )
    });
    view! {
        <p class="mb-4 text-sm text-slate-700" data-testid="trace-summary">
            <strong>{subject.clone()}</strong>
            {format!(
                ": {} access decision(s) on record. Shown here: {}, cited by {} change(s), {} of them published.",
                trace.total, trace.decisions.len(), trace.changes, trace.published
            )}
        </p>
        <ol class="space-y-4" aria-label="Access decisions, newest first">
            {trace.decisions.into_iter().map(|decision| view! { <li><Decision decision /></li> }).collect_view()}
        </ol>
        {older.map(|href| view! {
            <a class="mt-4 inline-block text-sm font-medium underline" href=href data-testid="trace-older">"Older decisions →"</a>
        })}
    }
    .into_any()
}

#[component]
fn Decision(decision: SubjectDecisionView) -> impl IntoView {
    let badge = if decision.allowed {
        "rounded bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900"
    } else {
        "rounded bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-800"
    };
    let fields = if decision.fields.is_empty() {
        "no field".to_owned()
    } else {
        decision.fields.join(", ")
    };
    view! {
        <article class="rounded-lg border border-slate-200 bg-white p-4" data-testid="trace-decision">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="font-semibold">{format!("{} › {}", decision.workflow, decision.step)}</h3>
                <span class=badge data-testid="trace-standing">{decision.standing.clone()}</span>
            </div>
            <p class="mt-1 text-sm text-slate-600">
                {format!("{} · asked by {} · purpose {} · fields allowed: {fields}", decision.decided, decision.agent, decision.purpose)}
            </p>
            <p class="mt-1 font-mono text-xs text-slate-500">{format!("decision {}", decision.id)}</p>
            {if decision.citing.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-600">"No change cites this decision."</p> }.into_any()
            } else {
                view! {
                    <h4 class="mt-3 text-sm font-semibold">"Cited by"</h4>
                    <ul class="mt-1 space-y-2">
                        {decision.citing.into_iter().map(|c| {
                            let chain = search_href("change", &c.id);
                            view! {
                                <li class="rounded border border-slate-100 bg-slate-50 p-3 text-sm" data-testid="trace-citing">
                                    <div class="flex flex-wrap items-baseline gap-x-3">
                                        <a class="font-medium underline" href=chain data-testid="trace-chain-link">{c.title.clone()}</a>
                                        <span class="text-slate-600">{format!("{} · {} · cited in {}{}", c.status, c.target, c.versions, if c.current_cites { "" } else { " (not in its current version)" })}</span>
                                        <a class="underline" href=format!("/changes/{}", c.id)>"Open change"</a>
                                    </div>
                                    <Deliveries deliveries=c.deliveries />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </article>
    }
}

#[component]
fn Deliveries(deliveries: Vec<DeliveryLine>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="mt-1 text-sm text-slate-600">"Never published."</p> }.into_any();
    }
    view! {
        <ul class="mt-1 space-y-0.5 text-sm" aria-label="Publications and rollbacks">
            {deliveries.into_iter().map(|d| {
                let what = if d.kind == "rollback" { "Rolled back" } else { "Published" };
                let variant = d.variant.map(|v| format!(" ({v})")).unwrap_or_default();
                let receipt = d.receipt_version.map(|v| format!(", live version {v}")).unwrap_or_default();
                let line = if d.state == "delivered" {
                    format!("{what}{variant} at {} on {}{receipt}", d.target, d.at)
                } else {
                    format!("{what}{variant} at {}: {} ({})", d.target, d.state, d.at)
                };
                view! { <li data-testid="trace-delivery">{line}</li> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Chain(chain: ChainView) -> impl IntoView {
    let kill_switch = if chain.workflow_revoked {
        view! { <p class="text-sm font-medium text-red-900" data-testid="kill-switch-pulled">{format!("“{}” is revoked: its kill switch has been pulled.", chain.workflow)}</p> }.into_any()
    } else if chain.may_revoke {
        view! {
            <a class="inline-block rounded-md border border-red-300 bg-red-50 px-3 py-1.5 text-sm font-medium text-red-900 underline hover:bg-red-100"
                href=format!("/workflows/{0}#workflow-{0}", chain.workflow_id) rel="external" data-testid="kill-switch-link">
                {format!("Kill switch: revoke “{}” everywhere →", chain.workflow)}
            </a>
        }.into_any()
    } else {
        view! { <p class="text-sm text-slate-600">"A security admin or the workflow's owner can revoke it."</p> }.into_any()
    };
    let owners = chain.agent.as_ref().map(|a| {
        a.owners
            .iter()
            .map(|o| {
                if o.active {
                    o.name.clone()
                } else {
                    format!("{} (inactive)", o.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    view! {
        <article class="mb-6 rounded-lg border border-slate-200 bg-white p-5" data-testid="chain">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="text-lg font-semibold">
                    <a class="underline" href=format!("/changes/{}", chain.id)>{chain.title.clone()}</a>
                </h3>
                <span class="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium" data-testid="chain-status">{format!("{} · tier {}", chain.status, chain.tier)}</span>
            </div>
            <p class="text-sm text-slate-600">{format!("Drafted {} · {}", chain.drafted, chain.target)}</p>
            <div class="mt-4 grid gap-6 lg:grid-cols-2">
                <section aria-label="Back: what produced it">
                    <h4 class="mb-2 font-semibold">"Back: what produced it"</h4>
                    <dl class="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm" data-testid="chain-back">
                        <dt class="text-slate-600">"Workflow"</dt><dd>{format!("{} › {}", chain.workflow, chain.step)}</dd>
                        <dt class="text-slate-600">"Agent"</dt>
                        <dd>{chain.agent.as_ref().map_or_else(|| "unknown".to_owned(), |a| format!("{} ({}, {})", a.name, a.kind, a.state))}</dd>
                        <dt class="text-slate-600">"Owners"</dt><dd data-testid="chain-owners">{owners.unwrap_or_default()}</dd>
                        <dt class="text-slate-600">"Model"</dt><dd>{chain.model.clone()}</dd>
                        <dt class="text-slate-600">"Fields used"</dt><dd>{list(&chain.fields_used)}</dd>
                        <dt class="text-slate-600">"Data sources"</dt><dd>{list(&chain.data_sources)}</dd>
                        <dt class="text-slate-600">"Content"</dt><dd class="break-all font-mono text-xs">{chain.content_hash.clone()}</dd>
                    </dl>
                    <details class="mt-2 text-sm">
                        <summary class="cursor-pointer font-medium">"Prompt"</summary>
                        <pre class="mt-1 max-h-64 overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-2 text-xs">{chain.prompt.clone()}{chain.prompt_cut.then_some("\n…")}</pre>
                    </details>
                    <h5 class="mt-3 text-sm font-semibold">"Data decisions"</h5>
                    {if chain.decisions.is_empty() {
                        view! { <p class="text-sm text-slate-600">"It cites no access decision: it used no customer data through Countersign."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="text-sm" data-testid="chain-decisions">
                                {chain.decisions.iter().map(|d| view! {
                                    <li>{format!("{} · {} · {} · {} allowed, {} denied · fields {}", d.decided, d.purpose, d.id, d.allowed, d.denied, d.fields.join(", "))}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <h5 class="mt-3 text-sm font-semibold">"Reviewers"</h5>
                    {chain.pre_approved.clone().map(|line| view! { <p class="text-sm" data-testid="chain-pre-approved">{line}</p> })}
                    {if chain.reviewers.is_empty() {
                        view! { <p class="text-sm text-slate-600">"No one has signed off."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="text-sm" data-testid="chain-reviewers">
                                {chain.reviewers.iter().map(|r| view! {
                                    <li>{format!("{} · {} · {} · {}", r.name, r.role, r.verdict, r.at)}{(!r.comment.is_empty()).then(|| format!(" — “{}”", r.comment))}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <section aria-label="Forward: what it did">
                    <h4 class="mb-2 font-semibold">"Forward: what it did"</h4>
                    <Deliveries deliveries=chain.deliveries.clone() />
                    <div class="mt-4">{kill_switch}</div>
                </section>
            </div>
        </article>
    }
}
