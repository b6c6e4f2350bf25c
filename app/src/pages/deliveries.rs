//! Deliveries to connected systems and notices to people's email and chat, for security admins:
//! what failed for good (with a retry) and what is still waiting for an answer.

use super::area::AreaGate;
use crate::api::effects::{load_deliveries, RetryDelivery};
use crate::components::effects::DeliveryItem;
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_effects::DeliveriesView;
use crate::error::UiError;
use leptos::prelude::*;

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let retry = ServerAction::<RetryDelivery>::new();
    let data = Resource::new(move || retry.version().get(), |_| load_deliveries());
    view! {
        <PageTitle
            title="Deliveries"
            subtitle="Publish, rollback and revoke calls to connected systems, and notices sent by email and chat. Temporary failures retry by themselves with backoff; what failed for good waits here for you."
        />
        <AreaGate area="deliveries">
            <p role="status" aria-live="polite" data-testid="delivery-outcome" class="mb-2 min-h-6 text-sm">
                {move || retry.value().get().map(|r: Result<String, UiError>| match r {
                    Ok(m) => view! { <span class="font-medium text-emerald-800">{m}</span> }.into_any(),
                    Err(e) => view! { <span class="font-medium text-red-800">{e.to_string()}</span> }.into_any(),
                })}
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Lists view retry /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Lists(view: DeliveriesView, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let listed = view.listed;
    let more = move |n: usize| {
        (n >= listed).then(|| {
            view! { <p class="mb-2 text-sm text-slate-600">{format!("The newest {listed} are shown.")}</p> }
        })
    };
    let dead_more = more(view.dead.len());
    let pending_more = more(view.pending.len());
    let dead = if view.dead.is_empty() {
        view! {
            <EmptyState title="No failed deliveries">
                <p>"Every call either reached its system or is still being retried. A call lands here when a system refuses it for good (a bad signature, an unknown target, a wrong receipt) or stays unreachable through every attempt."</p>
            </EmptyState>
        }
        .into_any()
    } else {
        view! {
            <ul class="space-y-2">
                {view.dead.into_iter().map(|delivery| view! { <DeliveryItem delivery retry /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let pending = if view.pending.is_empty() {
        view! { <p class="text-sm text-slate-500">"Nothing waiting."</p> }.into_any()
    } else {
        view! {
            <ul class="space-y-2">
                {view.pending.into_iter().map(|delivery| view! { <DeliveryItem delivery /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="dead-heading" class="mb-8">
            <h2 id="dead-heading" class="mb-2 text-lg font-semibold">"Failed for good"</h2>
            {dead_more}
            {dead}
        </section>
        <section aria-labelledby="pending-heading">
            <h2 id="pending-heading" class="mb-2 text-lg font-semibold">"Waiting to be delivered"</h2>
            {pending_more}
            {pending}
        </section>
    }
}
