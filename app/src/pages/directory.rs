//! Directory sync: how the corporate directory (Entra ID, Okta) provisions people over SCIM.
//! Security admins create, rotate and revoke its tokens, see the last sync and what it holds,
//! recent changes with their effects (who left, which identities lost their owner, whose roles
//! moved), the identities that need a new owner, and people the directory does not know.

use super::area::AreaGate;
use crate::api::directory::{
    directory, CreateDirectoryToken, RevokeDirectoryToken, RotateDirectoryToken,
};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{
    EmptyState, ErrorMessage, ErrorPanel, Loading, PageTitle, SecretPanel,
};
use crate::dto_directory::{DirectoryTokenShown, DirectoryView};
use leptos::prelude::*;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let create = ServerAction::<CreateDirectoryToken>::new();
    let rotate = ServerAction::<RotateDirectoryToken>::new();
    let revoke = ServerAction::<RevokeDirectoryToken>::new();
    let shown: RwSignal<Option<DirectoryTokenShown>> = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    Effect::new(move || {
        if let Some(Ok(token)) = create.value().get() {
            shown.set(Some(token));
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move || {
        if let Some(Ok(token)) = rotate.value().get() {
            shown.set(Some(token));
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move || {
        if let Some(Ok(_)) = revoke.value().get() {
            refresh.update(|n| *n += 1);
        }
    });
    let data = Resource::new(move || refresh.get(), |_| directory());
    view! {
        <PageTitle title="Directory sync" subtitle="People arrive, move and leave through your directory (SCIM 2.0): when someone leaves, their agents lose their owner at once." />
        <AreaGate area="directory">
            {move || shown.get().map(|token| view! {
                <SecretPanel
                    title=format!("Directory token \u{201c}{}\u{201d}{}", token.name, if token.rotated { " (rotated: the old one no longer works)" } else { "" })
                    instructions="Paste it into your directory's provisioning settings as the secret token, with the tenant URL below. It will not be shown again; if it is lost, rotate it."
                    details=vec![("Tenant URL", token.scim_url.clone())]
                    secret=token.token
                    testid="directory-token"
                    on_done=move || shown.set(None)
                />
            })}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Directory view create rotate revoke /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Directory(
    view: DirectoryView,
    create: ServerAction<CreateDirectoryToken>,
    rotate: ServerAction<RotateDirectoryToken>,
    revoke: ServerAction<RevokeDirectoryToken>,
) -> impl IntoView {
    view! {
        <div class="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="directory-summary">
            <Tile label="Last sync" value=view.last_sync.clone().unwrap_or_else(|| "never".to_owned()) />
            <Tile label="People provisioned" value=format!("{} ({} active)", view.users, view.active_users) />
            <Tile label="Groups" value=view.groups.to_string() />
            <Tile label="Identities without an owner" value=view.orphaned.len().to_string() />
        </div>
        <Orphans view=view.clone() />
        <Tokens view=view.clone() create rotate revoke />
        <Changes view=view.clone() />
        <Outside view />
    }
}

#[component]
fn Tile(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-4">
            <p class="text-xs font-semibold uppercase tracking-wide text-slate-600">{label}</p>
            <p class="mt-1 text-lg font-semibold text-slate-900">{value}</p>
        </div>
    }
}

#[component]
fn Orphans(view: DirectoryView) -> impl IntoView {
    if view.orphaned.is_empty() {
        return ().into_any();
    }
    let rows = view
        .orphaned
        .into_iter()
        .map(|o| {
            view! {
                <li data-testid="directory-orphan">
                    <a class="font-medium underline" href=format!("/identities/{}", o.id)>{o.name}</a>
                    <span class="text-slate-600">{format!(" ({})", o.kind)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="orphans-heading" class="mb-6 rounded-lg border border-red-300 bg-red-50 p-4" role="alert">
            <h2 id="orphans-heading" class="text-base font-semibold text-red-900">"These identities need a new owner"</h2>
            <p class="mt-1 text-sm text-red-900">"Their owners left or were deactivated: their tokens are refused until someone answerable for them is assigned."</p>
            <ul class="mt-2 list-disc pl-5 text-sm">{rows}</ul>
            <a class="mt-3 inline-block text-sm font-medium underline" href="/identities?orphaned=1">"Reassign them on Identities"</a>
        </section>
    }
    .into_any()
}

#[component]
fn Tokens(
    view: DirectoryView,
    create: ServerAction<CreateDirectoryToken>,
    rotate: ServerAction<RotateDirectoryToken>,
    revoke: ServerAction<RevokeDirectoryToken>,
) -> impl IntoView {
    let confirming: RwSignal<Option<(String, &'static str)>> = RwSignal::new(None);
    let rows = view
        .tokens
        .iter()
        .cloned()
        .map(|token| {
            let live = token.state.starts_with("active");
            let (rotate_id, revoke_id, confirm_id) = (token.id.clone(), token.id.clone(), token.id.clone());
            let name = token.name.clone();
            let asking = move |what: &'static str| {
                let id = confirm_id.clone();
                move || confirming.get() == Some((id.clone(), what))
            };
            let (asking_rotate, asking_revoke) = (asking("rotate"), asking("revoke"));
            let ask = move |what: &'static str, id: String| confirming.set(Some((id, what)));
            let (ask_rotate_id, ask_revoke_id) = (token.id.clone(), token.id.clone());
            view! {
                <tr data-testid="directory-token-row">
                    <td class="px-3 py-2 font-medium">{token.name.clone()}</td>
                    <td class="px-3 py-2">{token.created_by}</td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{token.created_at}</td>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums" data-testid="directory-token-last-used">{token.last_used}</td>
                    <td class="px-3 py-2">{token.state}</td>
                    <td class="px-3 py-2 text-right">
                        {live.then(move || {
                            let (name_a, name_b) = (name.clone(), name.clone());
                            let (rotate_id, revoke_id) = (rotate_id.clone(), revoke_id.clone());
                            let (ask_rotate_id, ask_revoke_id) = (ask_rotate_id.clone(), ask_revoke_id.clone());
                            view! {
                                <div class="flex flex-wrap justify-end gap-2">
                                    <Show when=asking_rotate.clone() fallback=move || {
                                        let id = ask_rotate_id.clone();
                                        view! { <button type="button" class=SECONDARY aria-label=format!("Rotate the token {name_a}") on:click=move |_| ask("rotate", id.clone())>"Rotate"</button> }
                                    }>
                                        {
                                            let id = rotate_id.clone();
                                            view! {
                                                <button type="button" class=BUTTON disabled=move || rotate.pending().get()
                                                    on:click=move |_| { confirming.set(None); rotate.dispatch(RotateDirectoryToken { id: id.clone() }); }>
                                                    "Confirm rotate: the old token stops now"
                                                </button>
                                            }
                                        }
                                    </Show>
                                    <Show when=asking_revoke.clone() fallback=move || {
                                        let id = ask_revoke_id.clone();
                                        view! { <button type="button" class=SECONDARY aria-label=format!("Revoke the token {name_b}") on:click=move |_| ask("revoke", id.clone())>"Revoke"</button> }
                                    }>
                                        {
                                            let id = revoke_id.clone();
                                            view! {
                                                <button type="button" class=BUTTON disabled=move || revoke.pending().get()
                                                    on:click=move |_| { confirming.set(None); revoke.dispatch(RevokeDirectoryToken { id: id.clone() }); }>
                                                    "Confirm revoke: provisioning stops"
                                                </button>
                                            }
                                        }
                                    </Show>
                                </div>
                            }
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let empty = view.tokens.is_empty();
    view! {
        <section aria-labelledby="directory-tokens-heading" class="mb-6 rounded-lg border border-slate-200 bg-white p-4">
            <h2 id="directory-tokens-heading" class="text-base font-semibold text-slate-900">"Connect your directory"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "In Entra ID (Enterprise application → Provisioning) or Okta (SCIM provisioning), set the tenant URL to "
                <code class="rounded bg-slate-100 px-1 font-mono" data-testid="scim-url">{view.scim_url.clone()}</code>
                " and the secret token to one created here. Group names map to roles through COUNTERSIGN_ROLE_MAP."
            </p>
            {if empty {
                view! { <p class="mt-3 text-sm text-slate-700" data-testid="directory-tokens-empty">"No directory is connected yet. Create a token below and paste it into your directory's provisioning settings."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm">
                            <caption class="sr-only">"Directory tokens, newest first"</caption>
                            <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                <tr>
                                    <th scope="col" class="px-3 py-2">"Name"</th>
                                    <th scope="col" class="px-3 py-2">"Created by"</th>
                                    <th scope="col" class="px-3 py-2">"Created"</th>
                                    <th scope="col" class="px-3 py-2">"Last used"</th>
                                    <th scope="col" class="px-3 py-2">"State"</th>
                                    <th scope="col" class="px-3 py-2"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <p role="status" aria-live="polite" class="mt-2 text-sm">
                {move || rotate.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
                {move || revoke.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
            </p>
            <ActionForm action=create attr:class="mt-4 flex flex-wrap items-end gap-4">
                <label class="grow text-sm">
                    <span class=LABEL>"Which directory uses it"</span>
                    <input class=INPUT name="name" required minlength="3" maxlength="80" placeholder="Entra ID (production tenant)" />
                </label>
                <button type="submit" class=BUTTON disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create directory token" }}
                </button>
            </ActionForm>
            <p role="status" aria-live="polite" class="mt-2 text-sm">
                {move || create.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
            </p>
        </section>
    }
}

#[component]
fn Changes(view: DirectoryView) -> impl IntoView {
    if view.changes.is_empty() {
        return view! {
            <EmptyState title="No directory changes yet">
                <p>"When your directory provisions, updates or deactivates people, each change and its effect shows here."</p>
            </EmptyState>
        }
        .into_any();
    }
    let rows = view
        .changes
        .into_iter()
        .map(|c| {
            let class = if c.departure { "bg-red-50" } else { "" };
            let effects = if c.effects.is_empty() {
                view! { <span class="text-slate-500">"—"</span> }.into_any()
            } else {
                view! { <ul class="list-disc pl-4">{c.effects.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul> }.into_any()
            };
            view! {
                <tr class=class data-testid="directory-change">
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">{c.at}</td>
                    <td class="px-3 py-2 font-medium">{c.what}</td>
                    <td class="px-3 py-2">{c.about}</td>
                    <td class="px-3 py-2">{effects}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="changes-heading" class="mb-6 rounded-lg border border-slate-200 bg-white p-4">
            <h2 id="changes-heading" class="text-base font-semibold text-slate-900">"Recent directory changes"</h2>
            <div class="mt-3 overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <caption class="sr-only">"Recent directory changes, newest first"</caption>
                    <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"When"</th>
                            <th scope="col" class="px-3 py-2">"What"</th>
                            <th scope="col" class="px-3 py-2">"Who or which group"</th>
                            <th scope="col" class="px-3 py-2">"Effect"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn Outside(view: DirectoryView) -> impl IntoView {
    if view.outside.is_empty() {
        return ().into_any();
    }
    let rows = view
        .outside
        .into_iter()
        .map(|p| view! {
            <li data-testid="directory-outside">
                <span class="font-medium">{p.name}</span>
                <span class="text-slate-600">{format!(" {} · {}", p.email.unwrap_or_default(), p.status)}</span>
            </li>
        })
        .collect_view();
    view! {
        <section aria-labelledby="outside-heading" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4">
            <h2 id="outside-heading" class="text-base font-semibold text-amber-900">"People the directory does not know"</h2>
            <p class="mt-1 text-sm text-amber-900">"They signed in or were registered here but your directory has not provisioned them: nobody will tell Countersign when they leave. Add them to the provisioning scope or deactivate them on Identities."</p>
            <ul class="mt-2 list-disc pl-5 text-sm">{rows}</ul>
        </section>
    }
    .into_any()
}
