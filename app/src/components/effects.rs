//! Effects on connected systems as the pages show them: a change's publication and rollback,
//! delivery lists, and a workflow's kill switch with its receipts.

use crate::api::effects::{
    load_revocation, CloneWorkflow, RetryDelivery, RevokeWorkflow, RollBack,
};
use crate::components::gate::GateCommands;
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::dto_effects::{ChangeEffectsView, DeliveryView, RevocationView};
use crate::error::UiError;
use leptos::prelude::*;
use std::time::Duration;

/// Class of the one destructive button style.
const DANGER: &str = "rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-800";

fn state_badge(state: &str) -> (&'static str, &'static str) {
    match state {
        "delivered" => ("Delivered", "bg-emerald-100 text-emerald-900"),
        "pending" => ("Waiting", "bg-amber-100 text-amber-900"),
        "dead" => ("Failed", "bg-red-100 text-red-900"),
        _ => ("Cancelled", "bg-slate-100 text-slate-700"),
    }
}

/// Reloads the page's data every two seconds while `busy` (the client only).
fn poll_while(busy: bool, tick: RwSignal<u32>) {
    Effect::new(move || {
        if busy {
            set_timeout(move || tick.update(|n| *n += 1), Duration::from_secs(2));
        }
    });
}

/// One delivery: where, what state, its receipt or its error.
#[component]
pub fn DeliveryItem(
    delivery: DeliveryView,
    #[prop(optional)] retry: Option<ServerAction<RetryDelivery>>,
) -> impl IntoView {
    let (label, colour) = state_badge(&delivery.state);
    let id = delivery.id.clone();
    let dead = delivery.state == "dead";
    view! {
        <li data-testid="delivery" data-kind=delivery.kind.clone() data-state=delivery.state.clone() class="rounded-md border border-slate-200 p-3 text-sm">
            <div class="flex flex-wrap items-center gap-2">
                <span class="font-medium">{format!("{} → {}", delivery.kind, delivery.destination)}</span>
                <span class=format!("rounded px-1.5 py-0.5 text-xs font-semibold {colour}")>{label}</span>
                <span class="text-xs text-slate-500">{format!("{} attempt{}", delivery.attempts, if delivery.attempts == 1 { "" } else { "s" })}</span>
            </div>
            {delivery.receipt_id.clone().map(|r| view! {
                <p class="text-xs text-slate-600">
                    "Receipt "<code data-testid="receipt-id" class="break-all font-mono">{r}</code>
                    {delivery.receipt_version.clone().map(|v| format!(" · live version {v}"))}
                    {delivery.finished.clone().map(|f| format!(" · {f}"))}
                </p>
            })}
            {delivery.last_error.clone().map(|e| view! { <p class="text-xs text-red-800" data-testid="delivery-error">{e}</p> })}
            {delivery.next_attempt.clone().filter(|_| delivery.attempts > 0).map(|at| view! {
                <p class="text-xs text-slate-600">{format!("Next attempt {at}")}</p>
            })}
            {delivery.change.clone().filter(|(_, title)| !title.is_empty()).map(|(id, title)| view! {
                <p class="text-xs">"For "<a class="underline" href=format!("/changes/{id}")>{title}</a></p>
            })}
            <p class="text-xs text-slate-500">{format!("Requested by {} · {} · “{}”", delivery.requested_by, delivery.created, delivery.reason)}</p>
            <p class="break-all font-mono text-xs text-slate-400">{delivery.id.clone()}</p>
            {(dead && delivery.kind != "drill").then(|| retry.map(|action| view! {
                <button type="button" class=format!("mt-2 {SECONDARY}") disabled=move || action.pending().get()
                    on:click=move |_| { action.dispatch(RetryDelivery { id: id.clone() }); }>
                    "Retry delivery"
                </button>
            }))}
        </li>
    }
}

/// The change page's publication panel: what is live, every delivery, and the rollback.
#[component]
pub fn PublicationPanel(
    change: String,
    status: String,
    effects: ChangeEffectsView,
    commands: GateCommands,
) -> impl IntoView {
    // Follow the change until what the page shows is final: a pending delivery, or a status
    // that is still on its way to the system, keeps the page refreshing.
    let busy = effects.deliveries.iter().any(|d| d.state == "pending")
        || matches!(status.as_str(), "approved" | "publishing")
        || (status == "published" && effects.rollback_under_way);
    poll_while(busy, commands.tick);
    let publication = effects.publication.clone();
    let live_label = if status == "rolled_back" || status == "cancelled" {
        "Was live as"
    } else {
        "Live version"
    };
    let headline = match status.as_str() {
        "approved" => "Approved: the publisher is delivering it.".to_owned(),
        "publishing" => {
            "Publishing: the system has not confirmed yet; retries follow automatically.".to_owned()
        }
        "published" if effects.rollback_under_way => {
            "Published; a rollback is under way.".to_owned()
        }
        "published" => "Published.".to_owned(),
        "publish_failed" => {
            "Publishing failed: a security admin can retry it from Deliveries.".to_owned()
        }
        "rolled_back" => "Rolled back: what was live before is restored.".to_owned(),
        "cancelled" => "Cancelled: its workflow was revoked.".to_owned(),
        _ => "Not published: it has not passed the gate.".to_owned(),
    };
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let action = commands.roll_back;
    let outcome = action.value();
    let may = effects.may_roll_back;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(RollBack {
            change: change.clone(),
            reason: reason.get_untracked(),
        });
        open.set(false);
    };
    let deliveries = effects.deliveries.clone();
    view! {
        <section aria-labelledby="publication-heading" data-testid="publication" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
            <h2 id="publication-heading" class="mb-2 text-lg font-semibold">"Publication"</h2>
            <p data-testid="publication-headline" class="font-medium">{headline}</p>
            {publication.map(|p| view! {
                <dl class="mt-2 grid grid-cols-[7rem_1fr] gap-1">
                    <dt class="text-slate-500">{live_label}</dt><dd data-testid="live-version">{p.version}</dd>
                    <dt class="text-slate-500">"It replaced"</dt><dd>{p.replaced.unwrap_or_else(|| "nothing (first publication)".to_owned())}</dd>
                    <dt class="text-slate-500">"Published"</dt><dd>{p.at}</dd>
                </dl>
            })}
            <p role="status" aria-live="polite" class="mt-2 min-h-5 text-sm" data-testid="rollback-outcome">
                {move || outcome.get().map(|r: Result<String, UiError>| match r {
                    Ok(m) => view! { <span class="font-medium text-emerald-800">{m}</span> }.into_any(),
                    Err(e) => view! { <span class="font-medium text-red-800">{e.to_string()}</span> }.into_any(),
                })}
            </p>
            {may.then(|| view! {
                <button type="button" class=SECONDARY aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                    "Roll back…"
                </button>
                {move || open.get().then(|| view! {
                    <form role="group" aria-labelledby="rollback-confirm" class="mt-3 rounded-md border border-red-300 bg-red-50 p-3" on:submit=submit.clone()>
                        <p id="rollback-confirm" class="font-medium text-red-900">"Restore what was live before this change? The system is told at once."</p>
                        <label class="mt-2 block">
                            <span class=LABEL>"Why (recorded with the rollback)"</span>
                            <textarea class=INPUT rows="2" required minlength="3" maxlength="500" bind:value=reason></textarea>
                        </label>
                        <div class="mt-2 flex gap-2">
                            <button type="submit" class=DANGER disabled=move || action.pending().get()>"Roll back now"</button>
                            <button type="button" class=SECONDARY on:click=move |_| open.set(false)>"Keep it live"</button>
                        </div>
                    </form>
                })}
            })}
            <h3 class="mb-1 mt-4 font-semibold">"Deliveries"</h3>
            {if deliveries.is_empty() {
                view! { <p class="text-slate-500">"None yet: the publisher delivers a change once it is approved."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-2">
                        {deliveries.into_iter().map(|delivery| view! { <DeliveryItem delivery /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The kill switch of one workflow: confirmation with a required reason, then the receipts.
#[component]
pub fn KillSwitch(
    workflow: String,
    name: String,
    action: ServerAction<RevokeWorkflow>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let revoke_identities = RwSignal::new(false);
    let roll_back_live = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(RevokeWorkflow {
            workflow: workflow.clone(),
            reason: reason.get_untracked(),
            revoke_identities: revoke_identities.get_untracked(),
            roll_back_live: roll_back_live.get_untracked(),
        });
        open.set(false);
    };
    let heading = format!("Revoke “{name}” everywhere?");
    view! {
        <button type="button" class=format!("mt-4 {DANGER}") aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>
            "Revoke workflow…"
        </button>
        {move || open.get().then(|| view! {
            <form role="alertdialog" aria-labelledby="revoke-heading" aria-describedby="revoke-what" data-testid="revoke-dialog"
                class="mt-3 rounded-md border border-red-300 bg-red-50 p-4" on:submit=submit.clone()>
                <h4 id="revoke-heading" class="font-semibold text-red-900">{heading.clone()}</h4>
                <p id="revoke-what" class="mt-1 text-sm text-red-900">
                    "At once, in one step: every credential issued for it stops working, its identities are suspended (in every workflow they serve), its unpublished changes are cancelled, and every connected system it touches is told to revoke. It cannot be reactivated (it can be cloned into a new draft)."
                </p>
                <label class="mt-3 block">
                    <span class=LABEL>"Why (required, recorded and sent to each system)"</span>
                    <textarea class=INPUT rows="2" required minlength="3" maxlength="500" bind:value=reason></textarea>
                </label>
                <label class="mt-2 flex items-center gap-2 text-sm">
                    <input type="checkbox" bind:checked=revoke_identities />
                    "Revoke its identities for good (instead of suspending them)"
                </label>
                <label class="mt-1 flex items-center gap-2 text-sm">
                    <input type="checkbox" bind:checked=roll_back_live />
                    "Also roll back its live publications"
                </label>
                <div class="mt-3 flex gap-2">
                    <button type="submit" class=DANGER disabled=move || action.pending().get()>"Revoke everywhere"</button>
                    <button type="button" class=SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        })}
    }
}

/// Names typed for new drafts, by workflow, kept by the page across refreshes of its list.
#[derive(Clone, Copy)]
pub struct DraftNames(pub RwSignal<std::collections::HashMap<String, String>>);

impl Default for DraftNames {
    fn default() -> Self {
        Self(RwSignal::new(std::collections::HashMap::new()))
    }
}

/// A pulled kill switch: what ended at once, and each system's receipt as it arrives.
#[component]
pub fn RevocationStatus(
    workflow: String,
    revocation: RevocationView,
    can_clone: bool,
    clone: ServerAction<CloneWorkflow>,
) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let id = workflow.clone();
    let live = Resource::new(
        move || tick.get(),
        move |n| {
            let id = id.clone();
            async move {
                if n == 0 {
                    Ok(None)
                } else {
                    load_revocation(id).await
                }
            }
        },
    );
    let initial = revocation.clone();
    let current = move || -> RevocationView {
        match live.get() {
            Some(Ok(Some(fresh))) => fresh,
            _ => initial.clone(),
        }
    };
    Effect::new(move || {
        let complete = match live.get() {
            Some(Ok(Some(fresh))) => fresh.complete,
            _ => revocation.complete,
        };
        if !complete {
            set_timeout(move || tick.update(|n| *n += 1), Duration::from_secs(1));
        }
    });
    // The name being typed lives with the page, not this card: a refresh of the list (another
    // command finishing, a system changed) re-creates the card and must not lose the input.
    let names = use_context::<DraftNames>().unwrap_or_default();
    let key = workflow.clone();
    let name = Signal::derive(move || names.0.with(|m| m.get(&key).cloned().unwrap_or_default()));
    let key = workflow.clone();
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        names.0.update(|m| {
            m.insert(key.clone(), value);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        clone.dispatch(CloneWorkflow {
            workflow: workflow.clone(),
            name: name.get_untracked(),
        });
    };
    view! {
        <div data-testid="revocation" class="mt-4 rounded-md border border-red-300 bg-red-50 p-4 text-sm">
            {move || {
                let r = current();
                let (title, colour) = if r.complete {
                    (format!("Revoked: every system confirmed ({} of {}) in {}", r.confirmed, r.systems, r.took.clone().unwrap_or_default()), "text-red-900")
                } else {
                    let refused = r.calls.iter().filter(|c| c.state == "dead").count();
                    let waiting = if refused == 0 {
                        "retrying the rest".to_owned()
                    } else {
                        format!("{refused} refused for good — fix the system, then retry from Deliveries")
                    };
                    (format!("Revocation incomplete: {} of {} systems confirmed; {waiting}", r.confirmed, r.systems), "text-amber-900")
                };
                view! {
                    <h4 data-testid="revocation-headline" data-complete=r.complete.to_string() class=format!("font-semibold {colour}")>{title}</h4>
                    <p class="mt-1">{format!("By {} at {}: “{}”", r.requested_by, r.requested_at, r.reason)}</p>
                    <p class="mt-1 text-slate-700">{format!(
                        "{} token(s) ended · {} identit{} {} · {} change(s) cancelled · {} rollback(s) queued",
                        r.tokens_ended, r.identities, if r.identities == 1 { "y" } else { "ies" }, r.identities_to, r.changes_cancelled, r.rollbacks_queued
                    )}</p>
                    <p class="text-xs"><a class="underline" href=format!("/audit?before={}", r.event_seq + 1)>"Ledger entry"</a></p>
                    <ul class="mt-2 space-y-2" aria-label="Revoke calls, one per connected system">
                        {r.calls.into_iter().map(|delivery| view! { <DeliveryItem delivery /> }).collect_view()}
                    </ul>
                }
            }}
            {can_clone.then(|| view! {
                <form class="mt-3 flex flex-wrap items-end gap-2" on:submit=submit.clone() aria-label="Clone into a new draft">
                    <label class="block">
                        <span class=LABEL>"Name of the new draft"</span>
                        <input type="text" class=INPUT required minlength="3" maxlength="80" aria-describedby="clone-name-help" prop:value=name on:input=on_input />
                        <span id="clone-name-help" class="text-xs text-slate-500">"Letters, digits, spaces, - _ and ."</span>
                    </label>
                    <button type="submit" class=BUTTON disabled=move || clone.pending().get()>"Clone into a new draft"</button>
                </form>
            })}
        </div>
    }
}
