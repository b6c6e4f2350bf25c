use crate::api::{audit_page, log_status, EventProof, VerifyLedger};
use crate::components::ui::style::{INPUT, LABEL, SECONDARY};
use crate::components::ui::{EmptyState, ErrorMessage, ErrorPanel, Loading, PageTitle};
use crate::dto::{AuditEventView, AuditFilterView, AuditPageView, LedgerCheckView, LogStatusView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || {
        let query = query.read();
        let text = |key: &str| query.get(key).unwrap_or_default();
        (
            query.get("before").and_then(|b| b.parse::<i64>().ok()),
            AuditFilterView {
                actor: text("actor"),
                action: text("action"),
                subject: text("subject"),
                from: text("from"),
                to: text("to"),
                flagged: query.get("flagged").is_some_and(|f| f == "1"),
            },
        )
    };
    let page = Resource::new(request, |(before, filter)| {
        let text = |value: String| (!value.trim().is_empty()).then_some(value);
        audit_page(
            before,
            text(filter.actor),
            text(filter.action),
            text(filter.subject),
            text(filter.from),
            text(filter.to),
            filter.flagged.then_some(true),
        )
    });
    view! {
        <PageTitle
            title="Audit ledger"
            subtitle="Every sign-in, decision and change, newest first. Each event is chained to the one before it by SHA-256."
        />
        <VerifyPanel />
        <LogPanel />
        <crate::pages::audit_tokens::AuditorTokensPanel />
        {move || view! { <FilterForm filter=request().1 /> }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let filter = request().1;
                match page.await {
                    Ok(page) => view! { <EventTable page filter /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `?a=b&c=d`, or nothing.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let value: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={value}")
        })
        .collect();
    if encoded.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded.join("&"))
    }
}

/// The filters, as a plain GET form: it works before the page hydrates and gives a link to share.
#[component]
fn FilterForm(filter: AuditFilterView) -> impl IntoView {
    let export = |format: &str| {
        let mut pairs = filter.query_pairs();
        pairs.push(("format", format.to_owned()));
        format!("/audit/export{}", query_string(&pairs))
    };
    let (jsonl, csv) = (export("jsonl"), export("csv"));
    view! {
        <form method="get" action="/audit" aria-label="Filter the ledger" class="mb-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-6">
            <label class="text-sm lg:col-span-2">
                <span class=LABEL>"Actor (name or reference)"</span>
                <input class=INPUT name="actor" value=filter.actor.clone() maxlength="200" placeholder="Amira Haddad or nhi:…" />
            </label>
            <label class="text-sm">
                <span class=LABEL>"Action"</span>
                <input class=INPUT name="action" value=filter.action.clone() maxlength="100" placeholder="change. or change.approved" />
            </label>
            <label class="text-sm lg:col-span-3">
                <span class=LABEL>"Subject (reference)"</span>
                <input class=INPUT name="subject" value=filter.subject.clone() maxlength="200" placeholder="change:… or workflow:…" />
            </label>
            <label class="text-sm">
                <span class=LABEL>"From (UTC)"</span>
                <input class=INPUT name="from" type="date" value=filter.from.clone() />
            </label>
            <label class="text-sm">
                <span class=LABEL>"To (UTC, inclusive)"</span>
                <input class=INPUT name="to" type="date" value=filter.to.clone() />
            </label>
            <label class="flex items-center gap-2 self-end pb-2 text-sm">
                <input type="checkbox" name="flagged" value="1" checked=filter.flagged />
                "Flagged only (refusals, failures, signals)"
            </label>
            <div class="flex flex-wrap items-end gap-2 lg:col-span-3">
                <button type="submit" class=SECONDARY>"Filter"</button>
                <a href="/audit" class="px-2 py-1.5 text-sm font-medium underline">"Clear"</a>
                <span class="grow"></span>
                <a class=SECONDARY href=jsonl rel="external" download data-testid="export-jsonl">"Export JSON Lines"</a>
                <a class=SECONDARY href=csv rel="external" download data-testid="export-csv">"Export CSV"</a>
            </div>
        </form>
    }
}

#[component]
fn VerifyPanel() -> impl IntoView {
    let verify = ServerAction::<VerifyLedger>::new();
    let result = verify.value();
    view! {
        <section class="mb-6 flex flex-wrap items-center gap-4 rounded-lg border border-slate-200 bg-white p-4">
            <button
                type="button"
                class="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 disabled:cursor-wait disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900"
                disabled=move || verify.pending().get()
                on:click=move |_| {
                    verify.dispatch(VerifyLedger {});
                }
            >
                {move || if verify.pending().get() { "Verifying…" } else { "Verify the chain" }}
            </button>
            <p role="status" aria-live="polite" data-testid="verify-result" class="text-sm">
                {move || match result.get() {
                    None => view! {
                        <span class="text-slate-600">
                            "Recompute every hash to prove no event was changed, removed or reordered."
                        </span>
                    }
                        .into_any(),
                    Some(Ok(LedgerCheckView::Intact { events })) => view! {
                        <span class="font-medium text-emerald-800">
                            {format!("Ledger intact: {events} events verified.")}
                        </span>
                    }
                        .into_any(),
                    Some(Ok(LedgerCheckView::Broken { seq, problem, verified })) => view! {
                        <span class="font-medium text-red-800">
                            {format!("Ledger broken at event {seq}: {problem} ({verified} events before it verified).")}
                        </span>
                    }
                        .into_any(),
                    Some(Err(error)) => view! { <span class="text-red-800">{error.to_string()}</span> }.into_any(),
                }}
            </p>
        </section>
    }
}

/// The log's public key and latest signed checkpoint: what an auditor takes away to check the
/// ledger without trusting the console.
#[component]
fn LogPanel() -> impl IntoView {
    let status = Resource::new(|| (), |()| log_status());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                // Someone who may not read the ledger is told so once, by the ledger's own panel.
                status.await.ok().map(|status| view! {
                    <section
                        aria-labelledby="log-heading"
                        class="mb-6 rounded-lg border border-slate-200 bg-white p-4"
                    >
                        <h2 id="log-heading" class="text-base font-semibold text-slate-900">
                            "Signed checkpoints"
                        </h2>
                        <p class="mt-1 text-sm text-slate-600">
                            "The ledger is also a Merkle tree. Its size and root are signed with a key kept outside the database, so rewriting or cutting the ledger contradicts what was signed before."
                        </p>
                        <LogStatus status />
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn LogStatus(status: LogStatusView) -> impl IntoView {
    let key = status.public_key.clone();
    let checkpoint = match status.checkpoint {
        Some(c) => view! {
            <p class="mt-3 text-sm text-slate-800" data-testid="latest-checkpoint">
                {format!(
                    "Latest checkpoint: {} of {} events, signed {}.",
                    c.size,
                    status.events,
                    c.signed_at,
                )}
            </p>
            <details class="mt-2 text-sm">
                <summary class="cursor-pointer text-slate-700 underline">"Show the signed checkpoint"</summary>
                <pre class="mt-2 overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs text-slate-800">{c.note}</pre>
            </details>
        }
            .into_any(),
        None => view! {
            <p class="mt-3 text-sm text-slate-700" data-testid="latest-checkpoint">
                "No checkpoint yet: the console signs one within a minute of new events."
            </p>
        }
            .into_any(),
    };
    view! {
        {match key {
            Some(key) => view! {
                <label class="mt-3 block text-sm font-medium text-slate-800" for="log-key">
                    "Public key (give it to auditors and witnesses)"
                </label>
                <input
                    id="log-key"
                    readonly
                    data-testid="log-key"
                    class="mt-1 w-full rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs text-slate-900"
                    value=key
                />
                <p class="mt-1 text-xs text-slate-600">
                    "Check the ledger yourself: countersign audit verify --key <this key> --checkpoint <a checkpoint you kept>."
                </p>
            }
                .into_any(),
            None => view! {
                <p class="mt-3 text-sm text-slate-700">"This console has no log key configured."</p>
            }
                .into_any(),
        }}
        {checkpoint}
    }
}

#[component]
fn EventTable(page: AuditPageView, filter: AuditFilterView) -> impl IntoView {
    if page.events.is_empty() {
        return if filter.is_empty() {
            view! {
                <EmptyState title="No events yet">
                    <p>"Events appear here as people sign in and the console changes state."</p>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No event matches these filters">
                    <p>"Widen the dates, clear a filter, or look for a kind of action (change. instead of change.approved)."</p>
                </EmptyState>
            }
            .into_any()
        };
    }
    let rows = page
        .events
        .into_iter()
        .map(|event| view! { <EventRow event /> })
        .collect_view();
    let pairs = filter.query_pairs();
    let newest = format!("/audit{}", query_string(&pairs));
    let older = page.next_before.map(|seq| {
        let mut pairs = pairs.clone();
        pairs.push(("before", seq.to_string()));
        view! {
            <a class="font-medium text-slate-900 underline" href=format!("/audit{}", query_string(&pairs))>
                "Older events"
            </a>
        }
    });
    let counted = if filter.is_empty() {
        format!("{} events in the ledger.", page.total)
    } else {
        format!(
            "Matching events, newest first, of {} in the ledger.",
            page.total
        )
    };
    let proven = match page.checkpoint_size {
        Some(size) => format!(" The latest signed checkpoint holds the first {size}."),
        None => " No checkpoint signed yet.".to_owned(),
    };
    view! {
        <p class="mb-2 text-sm text-slate-600">{format!("{counted}{proven}")}</p>
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Audit events, newest first"</caption>
                <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"#"</th>
                        <th scope="col" class="px-3 py-2">"Time (UTC)"</th>
                        <th scope="col" class="px-3 py-2">"Actor"</th>
                        <th scope="col" class="px-3 py-2">"Action"</th>
                        <th scope="col" class="px-3 py-2">"Subject"</th>
                        <th scope="col" class="px-3 py-2">
                            <span class="sr-only">"Details"</span>
                        </th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
        <nav aria-label="Ledger pages" class="mt-4 flex gap-6 text-sm">
            <a class="font-medium text-slate-900 underline" href=newest>
                "Newest"
            </a>
            {older}
        </nav>
    }
    .into_any()
}

#[component]
fn EventRow(event: AuditEventView) -> impl IntoView {
    let open = RwSignal::new(false);
    let panel_id = format!("event-{}", event.seq);
    let flagged = event.action.ends_with("_failed")
        || event.action.contains("denied")
        || event.action.ends_with("_blocked");
    let abuse = event.details.contains("possible_privilege_abuse");
    // A publication that never had the gate behind it (see the delivery worker).
    let bypass = event.details.contains("possible_gate_bypass");
    let action_class = if flagged {
        "rounded bg-red-100 px-1.5 py-0.5 font-mono text-xs text-red-900"
    } else {
        "rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800"
    };
    view! {
        <tr data-testid="audit-row">
            <td class="px-3 py-2 tabular-nums text-slate-500">{event.seq}</td>
            <td class="whitespace-nowrap px-3 py-2 tabular-nums">{event.at.replace('T', " ").replace('Z', "")}</td>
            <td class="px-3 py-2">
                <a class="font-medium underline decoration-slate-300 hover:decoration-slate-900" href=format!("/audit?actor={}", event.actor_ref) title="Show this actor's events">{event.actor_label.clone()}</a>
                <span class="block font-mono text-xs text-slate-500">{event.actor_ref.clone()}</span>
            </td>
            <td class="px-3 py-2">
                <span class=action_class>{event.action.clone()}</span>
                {abuse.then(|| view! {
                    <span data-testid="abuse-signal" class="ml-1 rounded bg-red-700 px-1.5 py-0.5 text-xs font-semibold text-white">
                        "Possible privilege abuse"
                    </span>
                })}
                {bypass.then(|| view! {
                    <span data-testid="bypass-signal" class="ml-1 rounded bg-red-700 px-1.5 py-0.5 text-xs font-semibold text-white">
                        "Possible gate bypass"
                    </span>
                })}
            </td>
            <td class="px-3 py-2">
                {match (event.subject_name.clone(), event.subject_href.clone()) {
                    (Some(name), Some(href)) => view! { <a class="underline" href=href>{name}</a> }.into_any(),
                    (Some(name), None) => view! { <span>{name}</span> }.into_any(),
                    _ => ().into_any(),
                }}
                <a class="block font-mono text-xs text-slate-600 underline decoration-slate-300" href=format!("/audit?subject={}", event.subject) title="Show this subject's events">{event.subject.clone()}</a>
            </td>
            <td class="px-3 py-2 text-right">
                <button
                    type="button"
                    class="rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-900"
                    aria-expanded=move || open.get().to_string()
                    aria-controls=panel_id.clone()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { "Hide details" } else { "Details" }}
                </button>
            </td>
        </tr>
        <tr id=panel_id.clone() hidden=move || !open.get() class="bg-slate-50">
            <td colspan="6" class="px-3 py-3">
                <dl class="grid gap-2 text-xs sm:grid-cols-[8rem_1fr]">
                    <dt class="font-semibold text-slate-600">"Details"</dt>
                    <dd>
                        <pre class="overflow-x-auto whitespace-pre-wrap font-mono">{event.details.clone()}</pre>
                    </dd>
                    <dt class="font-semibold text-slate-600">"Hash"</dt>
                    <dd class="break-all font-mono">{event.hash.clone()}</dd>
                    <dt class="font-semibold text-slate-600">"Previous hash"</dt>
                    <dd class="break-all font-mono">{event.prev_hash.clone()}</dd>
                    <dt class="font-semibold text-slate-600">"In the signed log"</dt>
                    <dd><InclusionProof seq=event.seq provable=event.provable /></dd>
                </dl>
            </td>
        </tr>
    }
}

/// The event's inclusion proof in the latest signed checkpoint, fetched on request.
#[component]
fn InclusionProof(seq: i64, provable: bool) -> impl IntoView {
    if !provable {
        return view! {
            <span class="text-slate-600">"Not in a signed checkpoint yet: the next one (within a minute) will hold it."</span>
        }
        .into_any();
    }
    let proof = ServerAction::<EventProof>::new();
    view! {
        <button
            type="button"
            class="rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-900"
            disabled=move || proof.pending().get()
            on:click=move |_| {
                proof.dispatch(EventProof { seq });
            }
        >
            {move || if proof.pending().get() { "Fetching the proof…" } else { "Show the inclusion proof" }}
        </button>
        <div role="status" aria-live="polite" data-testid="inclusion-proof">
            {move || proof.value().get().map(|result| match result {
                Ok(found) => view! {
                    <p class="mt-1">{format!("Leaf {} of the tree of {} events; leaf hash {}.", found.leaf_index, found.tree_size, found.leaf_hash)}</p>
                    <ol class="mt-1 list-decimal pl-5 font-mono break-all">
                        {found.proof.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                    </ol>
                    <pre class="mt-1 overflow-x-auto whitespace-pre-wrap font-mono">{found.checkpoint}</pre>
                }
                .into_any(),
                Err(error) => view! { <ErrorMessage error /> }.into_any(),
            })}
        </div>
    }
    .into_any()
}
