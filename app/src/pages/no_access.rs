use crate::api::current_session;
use crate::components::layout::SignOutButton;
use leptos::prelude::*;

/// Where a person who signed in without any mapped role lands; nothing else is open to them.
#[component]
pub fn NoAccessPage() -> impl IntoView {
    let session = Resource::new(|| (), |()| current_session());
    view! {
        <leptos_meta::Title text="No access" />
        <main id="main" class="mx-auto flex min-h-screen max-w-2xl flex-col justify-center px-4 py-12">
            <h1 class="text-2xl font-semibold tracking-tight">"You have no access to Countersign"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    session.await.ok().flatten().map(|person| view! {
                        <p class="mt-2 text-slate-700">
                            "You are signed in as " <strong>{person.name}</strong> "."
                        </p>
                    })
                })}
            </Suspense>
            <p class="mt-4 text-slate-700">
                "Your account is not in any group that this console maps to a role (approver, legal "
                "reviewer, security admin or auditor). Ask your administrator to add you to the right "
                "group in your identity provider, then sign in again."
            </p>
            <div class="mt-6">
                <SignOutButton />
            </div>
        </main>
    }
}
