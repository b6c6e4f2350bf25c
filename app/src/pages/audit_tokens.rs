//! The Audit page's panel for auditors' machine tokens: who may read the ledger's proofs by
//! machine, and (for security admins) issuing and revoking them.

use crate::api::auditor_tokens::{auditor_tokens, IssueAuditorToken, RevokeAuditorToken};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{ErrorMessage, Loading, SecretPanel};
use crate::dto::{AuditorTokenShown, AuditorTokensView};
use leptos::prelude::*;

#[component]
pub fn AuditorTokensPanel() -> impl IntoView {
    let issue = ServerAction::<IssueAuditorToken>::new();
    let revoke = ServerAction::<RevokeAuditorToken>::new();
    let shown: RwSignal<Option<AuditorTokenShown>> = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    Effect::new(move || {
        if let Some(Ok(token)) = issue.value().get() {
            shown.set(Some(token));
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move || {
        if let Some(Ok(_)) = revoke.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    let tokens = Resource::new(move || refresh.get(), |_| auditor_tokens());
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                tokens.await.ok().map(|view| view! {
                    <section
                        aria-labelledby="auditor-tokens-heading"
                        class="mb-6 rounded-lg border border-slate-200 bg-white p-4"
                    >
                        <h2 id="auditor-tokens-heading" class="text-base font-semibold text-slate-900">
                            "Machine access for auditors' tools"
                        </h2>
                        <p class="mt-1 text-sm text-slate-600">
                            "A token here reads the ledger's checkpoint and proofs at /api/v1/ledger, and nothing else. It ends when it expires, when it is revoked, or when the person who issued it is deactivated."
                        </p>
                        {move || shown.get().map(|token| view! {
                            <SecretPanel
                                title=format!("Auditor token \u{201c}{}\u{201d}", token.name)
                                instructions="Give it to the auditor's tool now: it sends it as Authorization: Bearer. It will not be shown again; if it is lost, revoke it and issue another."
                                details=vec![("Expires", token.expires_at.clone())]
                                secret=token.token
                                testid="auditor-token"
                                on_done=move || shown.set(None)
                            />
                        })}
                        <TokenList view=view.clone() revoke />
                        {view.can_manage.then(|| view! { <IssueForm issue max_days=view.max_days /> })}
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn TokenList(view: AuditorTokensView, revoke: ServerAction<RevokeAuditorToken>) -> impl IntoView {
    if view.tokens.is_empty() {
        return view! {
            <p class="mt-3 text-sm text-slate-700" data-testid="auditor-tokens-empty">
                {if view.can_manage {
                    "No auditor tokens. Issue one below when an auditor's tool needs to fetch proofs itself."
                } else {
                    "No auditor tokens. A security admin issues them when an auditor's tool needs to fetch proofs itself."
                }}
            </p>
        }
        .into_any();
    }
    let can_manage = view.can_manage;
    let rows = view
        .tokens
        .into_iter()
        .map(|token| {
            let live = token.state == "active";
            let id = token.id.clone();
            let label = format!("Revoke the token {}", token.name);
            view! {
                <tr data-testid="auditor-token-row">
                    <td class="px-3 py-2 font-medium">{token.name}</td>
                    <td class="px-3 py-2">{token.issued_by}</td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{token.issued_at}</td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{token.expires_at}</td>
                    <td class="px-3 py-2">{token.state}</td>
                    <td class="px-3 py-2 text-right">
                        {(can_manage && live).then(|| view! {
                            <button
                                type="button"
                                class=SECONDARY
                                aria-label=label
                                disabled=move || revoke.pending().get()
                                on:click=move |_| {
                                    revoke.dispatch(RevokeAuditorToken { id: id.clone() });
                                }
                            >
                                "Revoke"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="mt-3 overflow-x-auto">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Auditor tokens, newest first"</caption>
                <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Name"</th>
                        <th scope="col" class="px-3 py-2">"Issued by"</th>
                        <th scope="col" class="px-3 py-2">"Issued (UTC)"</th>
                        <th scope="col" class="px-3 py-2">"Expires (UTC)"</th>
                        <th scope="col" class="px-3 py-2">"State"</th>
                        <th scope="col" class="px-3 py-2"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
        <p role="status" aria-live="polite" class="mt-2 text-sm">
            {move || revoke.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
        </p>
    }
    .into_any()
}

#[component]
fn IssueForm(issue: ServerAction<IssueAuditorToken>, max_days: i64) -> impl IntoView {
    view! {
        <ActionForm action=issue attr:class="mt-4 flex flex-wrap items-end gap-4">
            <label class="grow text-sm">
                <span class=LABEL>"Whose tool is it"</span>
                <input class=INPUT name="name" required minlength="3" maxlength="80" placeholder="External audit 2026 (Acme LLP)" />
            </label>
            <label class="text-sm">
                <span class=LABEL>{format!("Valid for (days, at most {max_days})")}</span>
                <input class=INPUT name="days" type="number" min="1" max=max_days.to_string() value="30" required />
            </label>
            <button type="submit" class=BUTTON disabled=move || issue.pending().get()>
                {move || if issue.pending().get() { "Issuing…" } else { "Issue auditor token" }}
            </button>
        </ActionForm>
        <p role="status" aria-live="polite" class="mt-2 text-sm">
            {move || issue.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
        </p>
    }
}
