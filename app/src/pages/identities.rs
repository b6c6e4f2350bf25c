use super::area::AreaGate;
use crate::api::identities::{
    load_identities, ChangeIdentityState, LinkSignIn, PreRegisterPerson, ReassignIdentityOwners,
    RegisterIdentity, RotateClientSecret, SetPersonActive,
};
use crate::components::pager::Pager;
use crate::components::ui::{
    toggle_in, EmptyState, ErrorMessage, ErrorPanel, Loading, PageTitle, PeoplePicker, SecretPanel,
};
use crate::dto::{ClientSecretShown, IdentitiesView, NhiView, PersonView};
use crate::error::UiError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};

/// The outcome of the last command, shown in one live region.
type Outcome = RwSignal<Option<Result<String, UiError>>>;

#[component]
pub fn IdentitiesPage() -> impl IntoView {
    view! {
        <PageTitle
            title="Identities"
            subtitle="Service accounts and AI agents, each with a named human owner, and the people who own them."
        />
        <AreaGate area="identities">
            <Registry />
        </AreaGate>
    }
}

/// The registry's commands, the live region reporting them, a secret shown once, and the
/// counter that reloads what they changed.
#[derive(Clone, Copy)]
pub(crate) struct Commands {
    pub(super) actions: Actions,
    outcome: Outcome,
    secret: RwSignal<Option<ClientSecretShown>>,
    pub(super) refresh: RwSignal<u32>,
}

pub(super) fn commands() -> Commands {
    let register = ServerAction::<RegisterIdentity>::new();
    let change = ServerAction::<ChangeIdentityState>::new();
    let reassign = ServerAction::<ReassignIdentityOwners>::new();
    let pre_register = ServerAction::<PreRegisterPerson>::new();
    let set_active = ServerAction::<SetPersonActive>::new();
    let link = ServerAction::<LinkSignIn>::new();
    let rotate = ServerAction::<RotateClientSecret>::new();
    let outcome: Outcome = RwSignal::new(None);
    let secret: RwSignal<Option<ClientSecretShown>> = RwSignal::new(None);
    // Reload after a command succeeds (not after a refusal, which would throw away what the
    // person typed).
    let refresh = RwSignal::new(0u32);
    for value in [register.value(), rotate.value()] {
        Effect::new(move || {
            if let Some(result) = value.get() {
                match result {
                    Ok(shown) => {
                        refresh.update(|n| *n += 1);
                        outcome.set(Some(Ok(shown.message.clone())));
                        secret.set(Some(shown));
                    }
                    Err(error) => outcome.set(Some(Err(error))),
                }
            }
        });
    }
    for value in [
        change.value().into(),
        reassign.value().into(),
        pre_register.value().into(),
        set_active.value().into(),
        link.value().into(),
    ] {
        let value: Signal<Option<Result<String, UiError>>> = value;
        Effect::new(move || {
            if let Some(result) = value.get() {
                if result.is_ok() {
                    refresh.update(|n| *n += 1);
                }
                outcome.set(Some(result));
            }
        });
    }
    Commands {
        actions: Actions {
            register,
            rotate,
            change,
            reassign,
            pre_register,
            set_active,
            link,
        },
        outcome,
        secret,
        refresh,
    }
}

/// What the last command did, and a client secret to copy once.
#[component]
pub(super) fn CommandOutcome(commands: Commands) -> impl IntoView {
    let Commands {
        outcome, secret, ..
    } = commands;
    view! {
        <p role="status" aria-live="polite" data-testid="identity-outcome" class="mb-4 min-h-6 text-sm">
            {move || match outcome.get() {
                Some(Ok(message)) => view! { <span class="font-medium text-emerald-800">{message}</span> }.into_any(),
                Some(Err(error)) => view! { <ErrorMessage error /> }.into_any(),
                None => ().into_any(),
            }}
        </p>
        {move || secret.get().map(|shown| view! {
            <SecretPanel
                title=format!("Client secret for {}", shown.identity)
                instructions="Give it to the identity's runtime now, with its client id, to request tokens at POST /api/v1/token. It will not be shown again; if it is lost, issue a new one."
                details=vec![("Client id", shown.client_id.clone())]
                secret=shown.secret
                testid="client-secret"
                on_done=move || secret.set(None)
            />
        })}
    }
}

#[component]
fn Registry() -> impl IntoView {
    let query = use_query_map();
    let flag = move |key: &str| query.read().get(key).is_some_and(|v| v == "1" || v == "on");
    let text = move |key: &str| query.read().get(key).unwrap_or_default();
    let commands = commands();
    let refresh = commands.refresh;
    let data = Resource::new(
        move || {
            (
                (flag("orphaned"), flag("expiring"), flag("unused")),
                query.read().get("owner"),
                text("q"),
                text("page"),
                refresh.get(),
            )
        },
        |((orphaned, expiring, unused), owner, q, page, _)| {
            load_identities(
                orphaned,
                expiring,
                unused,
                owner,
                (!q.is_empty()).then_some(q),
                page.parse().ok(),
            )
        },
    );
    let actions = commands.actions;
    view! {
        <CommandOutcome commands />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let filters = Filters {
                    orphaned: flag("orphaned"),
                    expiring: flag("expiring"),
                    unused: flag("unused"),
                    owner: text("owner"),
                    q: text("q"),
                };
                match data.await {
                    Ok(view) => view! { <RegistryView view actions filters /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The registry's filters as the address has them.
#[derive(Clone, Default)]
struct Filters {
    orphaned: bool,
    expiring: bool,
    unused: bool,
    owner: String,
    q: String,
}

impl Filters {
    fn params(&self) -> Vec<(&'static str, String)> {
        let flag = |on: bool| if on { "1".to_owned() } else { String::new() };
        vec![
            ("q", self.q.clone()),
            ("orphaned", flag(self.orphaned)),
            ("expiring", flag(self.expiring)),
            ("unused", flag(self.unused)),
            ("owner", self.owner.clone()),
        ]
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Actions {
    register: ServerAction<RegisterIdentity>,
    rotate: ServerAction<RotateClientSecret>,
    change: ServerAction<ChangeIdentityState>,
    reassign: ServerAction<ReassignIdentityOwners>,
    pre_register: ServerAction<PreRegisterPerson>,
    set_active: ServerAction<SetPersonActive>,
    link: ServerAction<LinkSignIn>,
}

#[component]
fn RegistryView(view: IdentitiesView, actions: Actions, filters: Filters) -> impl IntoView {
    let (flag_orphaned, flag_expiring, flag_unused) =
        (filters.orphaned, filters.expiring, filters.unused);
    let owner = filters.owner.clone();
    let paging = view.paging.clone();
    let selected: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let active_people: Vec<PersonView> = view.people.iter().filter(|p| p.active).cloned().collect();
    let owner_options = view
        .people
        .iter()
        .map(|p| {
            let chosen = p.id == owner;
            view! { <option value=p.id.clone() selected=chosen>{p.name.clone()}</option> }
        })
        .collect_view();
    let can_manage = view.can_manage;
    view! {
        <section aria-labelledby="nhi-heading" class="mb-10">
            <h2 id="nhi-heading" class="mb-3 text-lg font-semibold">"Service accounts and agents"</h2>
            <form method="get" action="/identities" role="search" aria-label="Search identities" class="mb-4 flex flex-wrap items-end gap-4 rounded-lg border border-slate-200 bg-white p-4">
                <label class="min-w-56 flex-1 text-sm">
                    <span class=LABEL>"Name or purpose"</span>
                    <input type="search" name="q" class=INPUT value=filters.q.clone() maxlength="200" placeholder="e.g. crm-reader" />
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="orphaned" value="1" checked=flag_orphaned />
                    "Orphaned"
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="expiring" value="1" checked=flag_expiring />
                    "Expiring within 30 days"
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="unused" value="1" checked=flag_unused />
                    "Unused for 90 days"
                </label>
                <label class="text-sm">
                    <span class=LABEL>"Owner"</span>
                    <select name="owner" class=INPUT>
                        <option value="">"Anyone"</option>
                        {owner_options}
                    </select>
                </label>
                <button type="submit" class=SECONDARY>"Search"</button>
                <a href="/identities" class="text-sm font-medium underline">"Clear"</a>
            </form>
            {if view.nhis.is_empty() {
                view! {
                    <EmptyState title="No identities match">
                        <p>
                            {if can_manage {
                                "Register a service account or an agent below, naming at least one human owner."
                            } else {
                                "Security admins register service accounts and agents; they appear here with their owners."
                            }}
                        </p>
                    </EmptyState>
                }
                    .into_any()
            } else {
                view! {
                    <NhiTable nhis=view.nhis.clone() can_manage selected actions />
                    <Pager path="/identities" params=filters.params() paging noun=("identity", "identities") />
                }.into_any()
            }}
            {can_manage.then(|| view! { <ReassignPanel people=active_people.clone() selected actions /> })}
        </section>
        {can_manage.then(|| view! {
            <RegisterForm people=active_people.clone() actions today=view.today.clone() latest=view.latest_expiry.clone() />
        })}
        <PeopleSection people=view.people can_manage actions />
    }
}

#[component]
pub(super) fn NhiTable(
    nhis: Vec<NhiView>,
    can_manage: bool,
    selected: RwSignal<Vec<String>>,
    actions: Actions,
) -> impl IntoView {
    let pending: RwSignal<Option<(String, String, &'static str)>> = RwSignal::new(None);
    let rows = nhis
        .into_iter()
        .map(|nhi| view! { <NhiRow nhi can_manage selected pending /> })
        .collect_view();
    view! {
        <ConfirmLifecycle pending actions />
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Service accounts and agents"</caption>
                <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        {can_manage.then(|| view! { <th scope="col" class="px-3 py-2"><span class="sr-only">"Select"</span></th> })}
                        <th scope="col" class="px-3 py-2">"Identity"</th>
                        <th scope="col" class="px-3 py-2">"Owners"</th>
                        <th scope="col" class="px-3 py-2">"State"</th>
                        <th scope="col" class="px-3 py-2">"Expires"</th>
                        <th scope="col" class="px-3 py-2">"Last used"</th>
                        {can_manage.then(|| view! { <th scope="col" class="px-3 py-2"><span class="sr-only">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn NhiRow(
    nhi: NhiView,
    can_manage: bool,
    selected: RwSignal<Vec<String>>,
    pending: RwSignal<Option<(String, String, &'static str)>>,
) -> impl IntoView {
    let id = nhi.id.clone();
    let kind = if nhi.kind == "agent" {
        "Agent"
    } else {
        "Service account"
    };
    let owners = if nhi.owners.is_empty() {
        view! { <span class="text-red-800">"none"</span> }.into_any()
    } else {
        nhi.owners
            .iter()
            .map(|o| {
                let class = if o.active {
                    "mr-1 inline-block"
                } else {
                    "mr-1 inline-block text-slate-400 line-through"
                };
                let label = if o.active {
                    o.name.clone()
                } else {
                    format!("{} (inactive)", o.name)
                };
                view! { <span class=class>{label}</span> }
            })
            .collect_view()
            .into_any()
    };
    let mut badges = vec![match nhi.state.as_str() {
        "active" => ("Active", "bg-emerald-100 text-emerald-900"),
        "suspended" => ("Suspended", "bg-amber-100 text-amber-900"),
        _ => ("Revoked", "bg-slate-200 text-slate-700"),
    }];
    if nhi.orphaned && nhi.state != "revoked" {
        badges.push(("Orphaned", "bg-red-100 text-red-900"));
    }
    if nhi.expired && nhi.state != "revoked" {
        badges.push(("Expired", "bg-red-100 text-red-900"));
    }
    let badges = badges
        .into_iter()
        .map(|(text, colour)| view! { <span class=format!("mr-1 rounded px-1.5 py-0.5 text-xs font-medium {colour}")>{text}</span> })
        .collect_view();
    let expires = if nhi.expired {
        format!("{} (expired)", nhi.expires_on)
    } else {
        format!("{} (in {} days)", nhi.expires_on, nhi.expires_in_days)
    };
    let commands: Vec<(&'static str, &'static str)> = match nhi.state.as_str() {
        "active" => vec![
            ("rotate", "New secret"),
            ("suspend", "Suspend"),
            ("revoke", "Revoke"),
        ],
        "suspended" => vec![
            ("rotate", "New secret"),
            ("reactivate", "Reactivate"),
            ("revoke", "Revoke"),
        ],
        _ => vec![],
    };
    let name = nhi.name.clone();
    let checkbox_id = id.clone();
    view! {
        <tr data-testid="nhi-row">
            {can_manage.then(|| {
                let toggle_id = checkbox_id.clone();
                let checked_id = checkbox_id.clone();
                view! {
                    <td class="px-3 py-2">
                        <input
                            type="checkbox"
                            aria-label=format!("Select {}", name)
                            prop:checked=move || selected.read().contains(&checked_id)
                            on:change=move |_| selected.update(|s| toggle_in(s, &toggle_id))
                        />
                    </td>
                }
            })}
            <td class="px-3 py-2">
                <a class="font-medium underline decoration-slate-300 hover:decoration-slate-700" href=format!("/identities/{}", nhi.id)>{nhi.name.clone()}</a>
                <span class="block text-xs text-slate-500">
                    {kind} {nhi.model.clone().map(|m| format!(" · {m}"))}
                </span>
                <span class="block max-w-md text-xs text-slate-600">{nhi.purpose.clone()}</span>
                {(!nhi.reaches.is_empty()).then(|| view! {
                    <span class="block text-xs text-slate-500">{format!("Reaches: {}", nhi.reaches.join(", "))}</span>
                })}
            </td>
            <td class="px-3 py-2">{owners}</td>
            <td class="px-3 py-2">{badges}</td>
            <td class="whitespace-nowrap px-3 py-2 tabular-nums">{expires}</td>
            <td class="whitespace-nowrap px-3 py-2">{nhi.last_used.clone().unwrap_or_else(|| "never".to_owned())}</td>
            {can_manage.then(|| {
                let buttons = commands
                    .into_iter()
                    .map(|(command, label)| {
                        let id = id.clone();
                        let name = nhi.name.clone();
                        view! {
                            <button type="button" class=SECONDARY
                                on:click=move |_| pending.set(Some((id.clone(), name.clone(), command)))>
                                {label}
                            </button>
                        }
                    })
                    .collect_view();
                view! { <td class="space-x-2 whitespace-nowrap px-3 py-2 text-right">{buttons}</td> }
            })}
        </tr>
    }
}

/// Suspend, reactivate or revoke needs a reason and a deliberate confirmation; a new client
/// secret needs a confirmation (it ends the current secret and its tokens).
#[component]
fn ConfirmLifecycle(
    pending: RwSignal<Option<(String, String, &'static str)>>,
    actions: Actions,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    view! {
        {move || pending.get().map(|(id, name, command)| {
            if command == "rotate" {
                return view! {
                    <div role="dialog" aria-labelledby="confirm-heading" class="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-4">
                        <h3 id="confirm-heading" class="font-semibold">{format!("Issue a new client secret for {name}?")}</h3>
                        <p class="text-sm text-slate-700">"The current secret and every token issued with it stop working at once."</p>
                        <div class="mt-3 flex gap-3">
                            <button type="button" class=BUTTON autofocus=true on:click=move |_| {
                                actions.rotate.dispatch(RotateClientSecret { id: id.clone() });
                                pending.set(None);
                            }>"Confirm: new secret"</button>
                            <button type="button" class=SECONDARY on:click=move |_| pending.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
                .into_any();
            }
            let verb = match command { "suspend" => "Suspend", "reactivate" => "Reactivate", _ => "Revoke" };
            let warning = if command == "revoke" { " Revocation is final." } else { "" };
            view! {
                <div role="dialog" aria-labelledby="confirm-heading" class="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-4">
                    <h3 id="confirm-heading" class="font-semibold">{format!("{verb} {name}?")}</h3>
                    <p class="text-sm text-slate-700">{format!("The reason is recorded in the audit ledger.{warning}")}</p>
                    <form class="mt-3 flex flex-wrap items-end gap-3" on:submit=move |ev| {
                        ev.prevent_default();
                        actions.change.dispatch(ChangeIdentityState { id: id.clone(), command: command.to_owned(), reason: reason.get_untracked() });
                        reason.set(String::new());
                        pending.set(None);
                    }>
                        <label class="min-w-64 flex-1">
                            <span class=LABEL>"Reason"</span>
                            <input type="text" required minlength="3" class=INPUT bind:value=reason autofocus=true />
                        </label>
                        <button type="submit" class=BUTTON>{format!("Confirm: {}", verb.to_lowercase())}</button>
                        <button type="button" class=SECONDARY on:click=move |_| pending.set(None)>"Cancel"</button>
                    </form>
                </div>
            }
            .into_any()
        })}
    }
}

#[component]
fn ReassignPanel(
    people: Vec<PersonView>,
    selected: RwSignal<Vec<String>>,
    actions: Actions,
) -> impl IntoView {
    let owners: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let reason = RwSignal::new(String::new());
    view! {
        <form class="mt-4 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby="reassign-heading"
            on:submit=move |ev| {
                ev.prevent_default();
                actions.reassign.dispatch(ReassignIdentityOwners {
                    ids: selected.get_untracked(),
                    owners: owners.get_untracked(),
                    reason: reason.get_untracked(),
                });
                selected.set(Vec::new());
                owners.set(Vec::new());
                reason.set(String::new());
            }>
            <h3 id="reassign-heading" class="font-semibold">
                {move || format!("Reassign owners of the {} selected", selected.read().len())}
            </h3>
            <p class="text-sm text-slate-600">"The new owners replace the current ones on every selected identity."</p>
            <fieldset class="mt-3">
                <legend class=LABEL>"New owners"</legend>
                <div class="mt-1 grid gap-1 sm:grid-cols-3"><PeoplePicker people=people.clone() chosen=owners /></div>
            </fieldset>
            <label class="mt-3 block">
                <span class=LABEL>"Reason"</span>
                <input type="text" class=INPUT bind:value=reason />
            </label>
            <button type="submit" class=format!("mt-3 {BUTTON}") disabled=move || selected.read().is_empty()>
                "Reassign owners"
            </button>
        </form>
    }
}

#[component]
fn RegisterForm(
    people: Vec<PersonView>,
    actions: Actions,
    today: String,
    latest: String,
) -> impl IntoView {
    let kind = RwSignal::new("agent".to_owned());
    let name = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let expires_on = RwSignal::new(String::new());
    let owners: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    view! {
        <section aria-labelledby="register-heading" class="mb-10 rounded-lg border border-slate-200 bg-white p-6">
            <h2 id="register-heading" class="text-lg font-semibold">"Register a service account or agent"</h2>
            <form class="mt-4 grid gap-4 sm:grid-cols-2" on:submit=move |ev| {
                ev.prevent_default();
                actions.register.dispatch(RegisterIdentity {
                    kind: kind.get_untracked(),
                    name: name.get_untracked(),
                    purpose: purpose.get_untracked(),
                    model: model.get_untracked(),
                    owners: owners.get_untracked(),
                    expires_on: expires_on.get_untracked(),
                });
            }>
                <fieldset>
                    <legend class=LABEL>"Kind"</legend>
                    <label class="mr-4 text-sm"><input type="radio" name="kind" value="agent" prop:checked=move || kind.get() == "agent" on:change=move |_| kind.set("agent".into()) />" Agent"</label>
                    <label class="text-sm"><input type="radio" name="kind" value="service_account" prop:checked=move || kind.get() == "service_account" on:change=move |_| kind.set("service_account".into()) />" Service account"</label>
                </fieldset>
                <label>
                    <span class=LABEL>"Name"</span>
                    <input type="text" class=INPUT bind:value=name placeholder="spring-offer-drafter" />
                </label>
                <label class="sm:col-span-2">
                    <span class=LABEL>"Purpose"</span>
                    <textarea class=INPUT rows="2" bind:value=purpose placeholder="What it does and why"></textarea>
                </label>
                <label>
                    <span class=LABEL>"Model and provider (agents)"</span>
                    <input type="text" class=INPUT bind:value=model placeholder="claude-sonnet-4.5 (Anthropic)" />
                </label>
                <label>
                    <span class=LABEL>"Expires on"</span>
                    <input type="date" class=INPUT bind:value=expires_on min=today max=latest.clone() />
                    <span class="text-xs text-slate-500">{format!("Required; no later than {latest}.")}</span>
                </label>
                <fieldset class="sm:col-span-2">
                    <legend class=LABEL>"Owners (at least one)"</legend>
                    <div class="mt-1 grid gap-1 sm:grid-cols-3"><PeoplePicker people=people.clone() chosen=owners /></div>
                </fieldset>
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON disabled=move || actions.register.pending().get()>"Register"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn PeopleSection(people: Vec<PersonView>, can_manage: bool, actions: Actions) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let rows = people
        .into_iter()
        .map(|person| view! { <PersonRow person can_manage actions /> })
        .collect_view();
    view! {
        <section aria-labelledby="people-heading">
            <h2 id="people-heading" class="mb-3 text-lg font-semibold">"People"</h2>
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <caption class="sr-only">"People known to the console"</caption>
                    <thead class="bg-slate-100 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th scope="col" class="px-3 py-2">"Name"</th>
                            <th scope="col" class="px-3 py-2">"Roles"</th>
                            <th scope="col" class="px-3 py-2">"Status"</th>
                            {can_manage.then(|| view! { <th scope="col" class="px-3 py-2"><span class="sr-only">"Actions"</span></th> })}
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">{rows}</tbody>
                </table>
            </div>
            {can_manage.then(|| view! {
                <form class="mt-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4" on:submit=move |ev| {
                    ev.prevent_default();
                    actions.pre_register.dispatch(PreRegisterPerson { email: email.get_untracked(), name: name.get_untracked() });
                    email.set(String::new());
                    name.set(String::new());
                }>
                    <p class="w-full text-sm text-slate-600">"Pre-register someone by email so they can be named as an owner before their first sign-in."</p>
                    <label><span class=LABEL>"Email"</span><input type="email" class=INPUT bind:value=email /></label>
                    <label><span class=LABEL>"Name"</span><input type="text" class=INPUT bind:value=name /></label>
                    <button type="submit" class=BUTTON>"Pre-register"</button>
                </form>
            })}
        </section>
    }
}

/// Links a pre-registered person to a sign-in with their address that the IdP did not vouch
/// for, once a security admin has checked it is them.
#[component]
fn LinkSignInForm(
    pre: String,
    other: String,
    other_name: String,
    action: ServerAction<LinkSignIn>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let label = format!("Link the sign-in of {other_name}…");
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <button type="button" class=format!("mb-2 {SECONDARY}") on:click=move |_| open.set(true)>{label.clone()}</button>
        }>
            {
                let (pre, other) = (pre.clone(), other.clone());
                view! {
                    <form class="mb-2 flex items-end justify-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        action.dispatch(LinkSignIn { pre_registered: pre.clone(), signed_in: other.clone(), reason: reason.get_untracked() });
                        open.set(false);
                    }>
                        <p class="max-w-xs text-left text-xs text-slate-600">"The identity provider did not verify this address. Link only after checking it is the same person."</p>
                        <label class="text-left"><span class=LABEL>"How you checked"</span><input type="text" class=INPUT bind:value=reason /></label>
                        <button type="submit" class=BUTTON>"Confirm: link"</button>
                        <button type="button" class=SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
                    </form>
                }
            }
        </Show>
    }
}

#[component]
fn PersonRow(person: PersonView, can_manage: bool, actions: Actions) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let id = person.id.clone();
    let active = person.active;
    let verb = if active { "Deactivate" } else { "Reactivate" };
    view! {
        <tr data-testid="person-row">
            <td class="px-3 py-2">
                <span class="font-medium">{person.name.clone()}</span>
                <span class="block text-xs text-slate-500">{person.email.clone()}</span>
            </td>
            <td class="px-3 py-2">{if person.roles.is_empty() { "—".to_owned() } else { person.roles.join(", ") }}</td>
            <td class="px-3 py-2">{person.status.clone()}</td>
            {can_manage.then(|| view! {
                <td class="px-3 py-2 text-right">
                    {person.link_candidate.clone().map(|(other, other_name)| {
                        let pre = person.id.clone();
                        view! { <LinkSignInForm pre other other_name action=actions.link /> }
                    })}
                    <Show when=move || open.get() fallback=move || view! {
                        <button type="button" class=SECONDARY on:click=move |_| open.set(true)>{verb}</button>
                    }>
                        {
                            let id = id.clone();
                            view! {
                                <form class="flex items-end justify-end gap-2" on:submit=move |ev| {
                                    ev.prevent_default();
                                    actions.set_active.dispatch(SetPersonActive { id: id.clone(), active: !active, reason: reason.get_untracked() });
                                    open.set(false);
                                }>
                                    <label class="text-left"><span class=LABEL>"Reason"</span><input type="text" class=INPUT bind:value=reason /></label>
                                    <button type="submit" class=BUTTON>{format!("Confirm: {}", verb.to_lowercase())}</button>
                                    <button type="button" class=SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
                                </form>
                            }
                        }
                    </Show>
                </td>
            })}
        </tr>
    }
}
