use super::area::AreaGate;
use crate::components::ui::{EmptyState, PageTitle};
use leptos::prelude::*;

#[component]
pub fn IdentitiesPage() -> impl IntoView {
    view! {
        <PageTitle
            title="Identities"
            subtitle="Service accounts and AI agents, each with a named human owner."
        />
        <AreaGate area="identities">
            <EmptyState title="No non-human identities registered">
                <p>
                    "Service accounts and agents will be listed here with their owners, state, expiry "
                    "and last use, with filters for orphaned, expiring and unused identities."
                </p>
                <p class="text-sm">
                    "Registering service accounts and agents is not enabled in this release yet. "
                    "People appear in the audit ledger as they sign in."
                </p>
            </EmptyState>
        </AreaGate>
    }
}
