use super::area::AreaGate;
use super::systems::ConnectedSystems;
use crate::components::ui::{EmptyState, PageTitle};
use leptos::prelude::*;

#[component]
pub fn WorkflowsPage() -> impl IntoView {
    view! {
        <PageTitle
            title="Workflows"
            subtitle="AI-agent workflows as chains of owned, least-privilege steps."
        />
        <AreaGate area="workflows">
            <EmptyState title="No workflows defined">
                <p>
                    "Each workflow will appear as a chain — who acts, what they do, where — with a "
                    "named human owner at every step, its risk tier, its governability checklist and "
                    "a one-click revoke."
                </p>
                <p class="text-sm">
                    "Defining workflows is not enabled in this release yet."
                </p>
            </EmptyState>
            <ConnectedSystems />
        </AreaGate>
    }
}
