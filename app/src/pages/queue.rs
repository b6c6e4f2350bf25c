//! The queue: changes at the gate, by default those that need one of the reader's roles, with
//! filters, counts, keyset pages and each change's evidence at a glance.

use super::area::AreaGate;
use crate::api::changes::load_queue;
use crate::components::ui::style::{INPUT, LABEL, SECONDARY};
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_gate::{ChangeRowView, QueueFilters, QueueView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const STATUSES: [(&str, &str); 5] = [
    ("pending_review", "Pending review"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("published", "Published"),
];

#[component]
pub fn QueuePage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let q = query.read();
        let get = |key: &str| q.get(key).unwrap_or_default();
        QueueFilters {
            view: get("view"),
            status: get("status"),
            tier: get("tier"),
            workflow: get("workflow"),
            channel: get("channel"),
            audience: get("audience"),
            age: get("age"),
            sort: get("sort"),
            after: get("after"),
        }
    };
    let spot_checks = move || filters().view == "pre_approved";
    // The spot-check view reads its own list; the gate's is read only when shown.
    let data = Resource::new(
        move || (!spot_checks()).then(filters),
        |filters| async move {
            match filters {
                Some(filters) => load_queue(filters).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let tab = |href: &'static str, label: &'static str, current: bool| {
        view! {
            <a href=href aria-current=current.then_some("page")
                class=if current { "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white" } else { "rounded-md px-3 py-1.5 text-sm font-medium text-slate-800 underline" }>
                {label}
            </a>
        }
    };
    view! {
        <PageTitle title="Queue" subtitle="Production changes at the gate: read the evidence, then sign off." />
        <nav class="mb-4 flex flex-wrap gap-2" aria-label="Queue views">
            {move || tab("/queue", "At the gate", !spot_checks())}
            {move || tab("/queue?view=pre_approved", "Pre-approved, last 7 days", spot_checks())}
            <a href="/templates" class="rounded-md px-3 py-1.5 text-sm font-medium text-slate-800 underline">"Templates"</a>
        </nav>
        <AreaGate area="queue">
            {move || if spot_checks() {
                view! { <super::templates::PreApprovedList days=7 /> }.into_any()
            } else {
                view! {
                    <Transition fallback=Loading>
                        {move || Suspend::new(async move {
                            let current = filters();
                            match data.await {
                                Ok(Some(view)) => view! { <Queue view filters=current /> }.into_any(),
                                Ok(None) => ().into_any(),
                                Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            }
                        })}
                    </Transition>
                }.into_any()
            }}
        </AreaGate>
    }
}

/// A `<select>` whose options are (value, label), the current value selected.
fn select(
    name: &'static str,
    label: &'static str,
    current: &str,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let selected = value == current;
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect_view();
    view! {
        <label class="block">
            <span class=LABEL>{label}</span>
            <select name=name class=INPUT>{options}</select>
        </label>
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

#[component]
fn Queue(view: QueueView, filters: QueueFilters) -> impl IntoView {
    // Someone who signs nothing sees every change, whatever the default view.
    let mine = filters.view != "all" && !view.my_roles.is_empty();
    let filtered = [
        &filters.status,
        &filters.tier,
        &filters.workflow,
        &filters.channel,
        &filters.audience,
        &filters.age,
    ]
    .iter()
    .any(|v| !v.is_empty());
    let mut workflows = vec![(String::new(), "Any workflow".to_owned())];
    workflows.extend(view.workflows.clone());
    let mut statuses = owned(&[("", "Any status")]);
    statuses.extend(owned(&STATUSES));
    let next_href = view.next.clone().map(|cursor| {
        let mut params: Vec<String> = [
            ("view", &filters.view),
            ("status", &filters.status),
            ("tier", &filters.tier),
            ("workflow", &filters.workflow),
            ("channel", &filters.channel),
            ("audience", &filters.audience),
            ("age", &filters.age),
            ("sort", &filters.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
        params.push(format!("after={}", urlencode(&cursor)));
        format!("/queue?{}", params.join("&"))
    });
    let paged = !filters.after.is_empty();
    let count = |n: i64, capped: bool| {
        if capped {
            format!("more than {n}")
        } else {
            n.to_string()
        }
    };
    let any_capped = view.capped.iter().any(|c| *c);
    let summary = format!(
        "{} change{} match · tier 3: {} · tier 2: {} · tier 1: {}",
        count(view.total, any_capped),
        if view.total == 1 && !any_capped {
            ""
        } else {
            "s"
        },
        count(view.by_tier[2], view.capped[2]),
        count(view.by_tier[1], view.capped[1]),
        count(view.by_tier[0], view.capped[0])
    );
    let empty = view.changes.is_empty();
    let my_roles = view.my_roles.clone();
    view! {
        <form method="get" action="/queue" class="mb-4 rounded-lg border border-slate-200 bg-white p-4" aria-label="Filter the queue">
            <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                {select("view", "Show", if mine { "mine" } else { "all" }, owned(&[("mine", "Needs my role"), ("all", "All changes")]))}
                {select("status", "Status (all changes)", &filters.status, statuses)}
                {select("tier", "Tier", &filters.tier, owned(&[("", "Any tier"), ("3", "Tier 3"), ("2", "Tier 2"), ("1", "Tier 1")]))}
                {select("workflow", "Workflow", &filters.workflow, workflows)}
                <label class="block">
                    <span class=LABEL>"Channel"</span>
                    <input name="channel" type="text" class=INPUT value=filters.channel.clone() placeholder="e.g. email" maxlength="40" />
                </label>
                {select("audience", "Audience", &filters.audience, owned(&[("", "Any audience"), ("external", "External"), ("internal", "Internal")]))}
                {select("age", "Age", &filters.age, owned(&[("", "Any age"), ("1", "Older than 1 hour"), ("24", "Older than 1 day"), ("72", "Older than 3 days")]))}
                {select("sort", "Order", &filters.sort, owned(&[("oldest", "Oldest first"), ("newest", "Newest first")]))}
            </div>
            <div class="mt-3 flex gap-2">
                <button type="submit" class=SECONDARY>"Apply filters"</button>
                <a href="/queue" class="self-center text-sm underline">"Reset"</a>
            </div>
        </form>
        <p class="mb-2 text-sm text-slate-600" data-testid="queue-count" role="status">{summary}</p>
        {if empty {
            if mine {
                view! {
                    <EmptyState title="Nothing needs your sign-off">
                        <p>{format!("No pending change needs a {} sign-off that you have not given. Choose “All changes” to see the rest of the gate.", my_roles.join(" or ").to_lowercase())}</p>
                    </EmptyState>
                }.into_any()
            } else if filtered {
                view! {
                    <EmptyState title="No change matches these filters">
                        <p>"Reset the filters to see every change at the gate."</p>
                    </EmptyState>
                }.into_any()
            } else {
                view! {
                    <EmptyState title="Nothing is waiting for review">
                        <p>"When an agent drafts a change in an active workflow it appears here with its workflow, tier, age, the agent that drafted it and its owners, and its evidence at a glance."</p>
                    </EmptyState>
                }.into_any()
            }
        } else {
            view! { <QueueTable changes=view.changes /> }.into_any()
        }}
        <nav class="mt-3 flex gap-4 text-sm" aria-label="Queue pages">
            {paged.then(|| view! { <a class="underline" href="/queue">"← First page"</a> })}
            {next_href.map(|href| view! { <a class="font-medium underline" href=href data-testid="queue-next">"Next page →"</a> })}
        </nav>
    }
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A small pass/fail badge with a text label (never colour alone).
fn badge(ok: bool, label: String) -> impl IntoView {
    let class = if ok {
        "rounded bg-emerald-100 px-1.5 py-0.5 text-xs text-emerald-900"
    } else {
        "rounded bg-red-100 px-1.5 py-0.5 text-xs text-red-900"
    };
    view! { <span class=class>{format!("{} {label}", if ok { "✓" } else { "✗" })}</span> }
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
            let claims = c.open_claims.map(|n| badge(n == 0, if n == 0 { "claims".to_owned() } else { format!("{n} open claim{}", if n == 1 { "" } else { "s" }) }));
            view! {
                <tr data-testid="queue-row">
                    <td class="px-3 py-2">
                        <a href=format!("/changes/{}", c.id) class="font-medium underline">{c.title}</a>
                        <span class="block text-xs text-slate-500">{format!("{} · {} · version {} · {}", c.channel, c.audience, c.version, c.status.replace('_', " "))}</span>
                    </td>
                    <td class="px-3 py-2">{c.workflow}</td>
                    <td class="whitespace-nowrap px-3 py-2"><span class=format!("rounded px-1.5 py-0.5 text-xs font-semibold {tier_colour}")>{format!("Tier {}", c.tier)}</span></td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">
                        {c.age}
                        {c.due.map(|due| {
                            let class = if c.overdue { "block text-xs font-semibold text-red-800" } else { "block text-xs text-slate-600" };
                            view! { <span class=class data-testid="queue-due">{due}</span> }
                        })}
                    </td>
                    <td class="px-3 py-2">
                        {c.drafted_by}
                        <span class="block text-xs text-slate-500">{format!("owned by {}", if c.owners.is_empty() { "nobody".to_owned() } else { c.owners.join(", ") })}</span>
                    </td>
                    <td class="px-3 py-2">
                        <div class="flex flex-wrap gap-1" data-testid="evidence-badges">
                            {badge(c.provenance, "provenance".to_owned())}
                            {badge(c.legal_basis, "legal basis".to_owned())}
                            {badge(c.rollback_plan, "rollback plan".to_owned())}
                            {claims}
                        </div>
                    </td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums" data-testid="signoff-count">{format!("{}/{}", c.approvals, c.approvals_needed)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Changes at the gate"</caption>
                <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Change"</th>
                        <th scope="col" class="px-3 py-2">"Workflow"</th>
                        <th scope="col" class="px-3 py-2">"Tier"</th>
                        <th scope="col" class="px-3 py-2">"Age, deadline"</th>
                        <th scope="col" class="px-3 py-2">"Drafted by"</th>
                        <th scope="col" class="px-3 py-2">"Evidence"</th>
                        <th scope="col" class="px-3 py-2">"Sign-offs"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}
