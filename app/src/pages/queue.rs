use super::area::AreaGate;
use crate::components::ui::{EmptyState, PageTitle};
use leptos::prelude::*;

#[component]
pub fn QueuePage() -> impl IntoView {
    view! {
        <PageTitle title="Queue" subtitle="Production changes waiting for a human sign-off." />
        <AreaGate area="queue">
            <EmptyState title="No change requests yet">
                <p>
                    "Each change an agent drafts will be listed here with its workflow, risk tier and age, "
                    "the agent that drafted it and that agent's owner, and its evidence: provenance, "
                    "legal basis, rollback plan, open claims and the sign-offs it still needs."
                </p>
                <p class="text-sm">
                    "The agent drafting API and the approval gate are not enabled in this release, "
                    "so nothing can arrive here yet."
                </p>
            </EmptyState>
        </AreaGate>
    }
}
