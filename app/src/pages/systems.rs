//! Connected systems: the downstream systems Countersign publishes to, their data fields, and
//! their signing secrets.

use crate::api::systems::{
    load_systems, RegisterSystem, RotateSystemSecret, RunDrill, SetContentHosts,
};
use crate::components::ui::{EmptyState, ErrorMessage, ErrorPanel, Loading, SecretPanel};
use crate::dto::{SecretShown, SystemView};
use crate::error::UiError;
use leptos::prelude::*;

use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};

/// The connected systems page, where security admins register systems and run drills.
#[component]
pub fn SystemsPage() -> impl IntoView {
    view! {
        <p class="mb-2 text-sm"><a class="underline" href="/workflows">"← Workflows"</a></p>
        <crate::components::ui::PageTitle
            title="Connected systems"
            subtitle="The CRMs, campaign systems, ad platforms and CMSs workflows read from and publish to."
        />
        <super::area::AreaGate area="workflows">
            <ConnectedSystems />
        </super::area::AreaGate>
    }
}

/// Every connected system, or only those `workflow` uses (on its own page, without the form to
/// register more).
#[component]
pub fn ConnectedSystems(#[prop(optional)] workflow: Option<String>) -> impl IntoView {
    // Shared with the workflows' checklists when both are on the page.
    let refresh = use_context::<super::workflows::SystemsChanged>()
        .map_or_else(|| RwSignal::new(0u32), |c| c.0);
    let register = ServerAction::<RegisterSystem>::new();
    let rotate = ServerAction::<RotateSystemSecret>::new();
    let drill = ServerAction::<RunDrill>::new();
    Effect::new(move || {
        if drill.value().get().is_some() {
            refresh.update(|n| *n += 1);
        }
    });
    let shown: RwSignal<Option<Result<SecretShown, UiError>>> = RwSignal::new(None);
    for value in [register.value().into(), rotate.value().into()] {
        let value: Signal<Option<Result<SecretShown, UiError>>> = value;
        Effect::new(move || {
            if let Some(result) = value.get() {
                if result.is_ok() {
                    refresh.update(|n| *n += 1);
                }
                shown.set(Some(result));
            }
        });
    }
    let scoped = workflow.is_some();
    let data = Resource::new(
        move || refresh.get(),
        move |_| load_systems(workflow.clone()),
    );
    view! {
        <section aria-labelledby="systems-heading" class="mt-10">
            <h2 id="systems-heading" class="text-lg font-semibold">"Connected systems"</h2>
            <p class="mb-4 text-sm text-slate-600">
                "Where approved changes are published. Countersign signs every call to a system with its secret; a system must pass a revocation drill before a workflow that uses it can be activated."
            </p>
            <div role="status" aria-live="polite" data-testid="system-outcome">
                {move || match shown.get() {
                    Some(Ok(secret)) => view! {
                        <SecretPanel
                            title=format!("Signing secret for {} (version {})", secret.system, secret.version)
                            instructions="Copy it into the connected system's configuration now. It will not be shown again; if it is lost, rotate it."
                            secret=secret.secret
                            testid="signing-secret"
                            on_done=move || shown.set(None)
                        />
                    }.into_any(),
                    Some(Err(error)) => view! { <p class="mb-4 text-sm"><ErrorMessage error /></p> }.into_any(),
                    None => ().into_any(),
                }}
                {move || drill.value().get().map(|result| match result {
                    Ok(message) => view! { <p class="mb-4 text-sm font-medium text-slate-800">{message}</p> }.into_any(),
                    Err(error) => view! { <p class="mb-4 text-sm font-medium text-red-800">{error.to_string()}</p> }.into_any(),
                })}
            </div>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => {
                            let can_manage = view.can_manage;
                            view! {
                                <SystemList systems=view.systems can_manage rotate drill scoped />
                                {(can_manage && !scoped).then(|| view! { <RegisterSystemForm register /> })}
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SystemList(
    systems: Vec<SystemView>,
    can_manage: bool,
    rotate: ServerAction<RotateSystemSecret>,
    drill: ServerAction<RunDrill>,
    scoped: bool,
) -> impl IntoView {
    if systems.is_empty() && scoped {
        return view! {
            <p class="text-sm text-slate-600">"No step of this workflow names a connected system."</p>
        }
        .into_any();
    }
    if systems.is_empty() {
        return view! {
            <EmptyState title="No connected systems">
                <p>{if can_manage {
                    "Register the CRM, campaign system, ad platform or CMS that workflows will read from or publish to."
                } else {
                    "Security admins register the systems workflows read from and publish to."
                }}</p>
            </EmptyState>
        }
        .into_any();
    }
    systems
        .into_iter()
        .map(|system| view! { <SystemCard system can_manage rotate drill /> })
        .collect_view()
        .into_any()
}

#[component]
fn SystemCard(
    system: SystemView,
    can_manage: bool,
    rotate: ServerAction<RotateSystemSecret>,
    drill: ServerAction<RunDrill>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let id = system.id.clone();
    let fields = system
        .fields
        .iter()
        .map(|f| {
            let colour = match f.category.as_str() {
                "special_category" => "bg-red-100 text-red-900",
                "financial" => "bg-amber-100 text-amber-900",
                "contact" | "behavioural" => "bg-sky-100 text-sky-900",
                _ => "bg-slate-100 text-slate-700",
            };
            view! {
                <li class=format!("rounded px-1.5 py-0.5 text-xs {colour}")>
                    <span class="font-mono">{f.name.clone()}</span>
                    {format!(" · {}", f.category.replace('_', " "))}
                </li>
            }
        })
        .collect_view();
    view! {
        <article data-testid="system-card" class="mb-3 rounded-lg border border-slate-200 bg-white p-4">
            <div class="flex flex-wrap items-start justify-between gap-2">
                <div>
                    <h3 class="font-semibold">{system.name.clone()}</h3>
                    <p class="text-sm text-slate-600">
                        {system.kind.replace('_', " ")} " · " <span class="font-mono">{system.base_url.clone()}</span>
                    </p>
                    <p class="text-xs text-slate-500">{format!("Signing secret version {} · connected {}", system.secret_version, system.created_on)}</p>
                </div>
                {can_manage.then(|| view! {
                    <Show when=move || open.get() fallback=move || view! {
                        <button type="button" class=SECONDARY on:click=move |_| open.set(true)>"Rotate secret"</button>
                    }>
                        {
                            let id = id.clone();
                            view! {
                                <form class="flex items-end gap-2" on:submit=move |ev| {
                                    ev.prevent_default();
                                    rotate.dispatch(RotateSystemSecret { id: id.clone(), reason: reason.get_untracked() });
                                    open.set(false);
                                }>
                                    <label><span class=LABEL>"Reason"</span><input type="text" class=INPUT bind:value=reason /></label>
                                    <button type="submit" class=BUTTON>"Confirm: rotate"</button>
                                    <button type="button" class=SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
                                </form>
                            }
                        }
                    </Show>
                })}
            </div>
            <ul class="mt-3 flex flex-wrap gap-1" aria-label="Data fields">{fields}</ul>
            <ContentHosts id=system.id.clone() hosts=system.content_hosts.clone() can_manage />
            <div class="mt-3 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-3 text-sm" data-testid="drill-status">
                {match system.last_drill.clone() {
                    None => view! { <span class="text-amber-800">"Revocation drill: never run. A workflow using this system cannot be activated until one passes."</span> }.into_any(),
                    Some(d) if d.passed => view! {
                        <span class="text-emerald-800">{format!("Revocation drill passed {} in {} ms ({})", d.at, d.duration_ms, d.detail)}</span>
                    }.into_any(),
                    Some(d) => view! {
                        <span class="text-red-800">{format!("Revocation drill failed {} after {} ms: {}", d.at, d.duration_ms, d.detail)}</span>
                    }.into_any(),
                }}
                {can_manage.then(|| {
                    let id = system.id.clone();
                    view! {
                        <button type="button" class=SECONDARY disabled=move || drill.pending().get()
                            on:click=move |_| { drill.dispatch(RunDrill { id: id.clone() }); }>
                            {move || if drill.pending().get() { "Running drill…" } else { "Run revocation drill" }}
                        </button>
                    }
                })}
            </div>
        </article>
    }
}

/// The hosts content published to a system may link to and load images from; anything else is
/// refused when an agent drafts.
#[component]
fn ContentHosts(id: String, hosts: Vec<String>, can_manage: bool) -> impl IntoView {
    let save = ServerAction::<SetContentHosts>::new();
    let editing = RwSignal::new(false);
    let text = RwSignal::new(hosts.join("\n"));
    let current = RwSignal::new(hosts);
    Effect::new(move || {
        if let Some(Ok(saved)) = save.value().get() {
            current.set(saved);
        }
    });
    let summary = move || {
        let hosts = current.get();
        if hosts.is_empty() {
            "none: its content may not link anywhere or load images".to_owned()
        } else {
            hosts.join(", ")
        }
    };
    view! {
        <div class="mt-3 border-t border-slate-100 pt-3 text-sm" data-testid="content-hosts">
            <p>
                <span class="text-slate-500">"Content may link to and load images from: "</span>
                <span class="font-mono" data-testid="content-hosts-list">{summary}</span>
            </p>
            {can_manage.then(|| view! {
                <Show when=move || editing.get() fallback=move || view! {
                    <button type="button" class=format!("{SECONDARY} mt-2") on:click=move |_| editing.set(true)>"Change allowed hosts"</button>
                }>
                    {
                        let id = id.clone();
                        view! {
                            <form class="mt-2 grid gap-2" on:submit=move |ev| {
                                ev.prevent_default();
                                save.dispatch(SetContentHosts { id: id.clone(), hosts: text.get_untracked() });
                                editing.set(false);
                            }>
                                <label>
                                    <span class=LABEL>"Allowed hosts, one per line"</span>
                                    <textarea class=format!("{INPUT} font-mono") rows="3" bind:value=text placeholder="www.example.com\n*.cdn.example.com"></textarea>
                                    <span class="text-xs text-slate-500">"Exact host names, or *.example.com for its subdomains. Drafts linking elsewhere are refused."</span>
                                </label>
                                <div class="flex gap-2">
                                    <button type="submit" class=BUTTON>"Save hosts"</button>
                                    <button type="button" class=SECONDARY on:click=move |_| editing.set(false)>"Cancel"</button>
                                </div>
                            </form>
                        }
                    }
                </Show>
            })}
            <div role="status" aria-live="polite">
                {move || save.value().get().map(|result| match result {
                    Ok(_) => view! { <p class="mt-2 font-medium text-slate-800" data-testid="content-hosts-outcome">"Allowed hosts saved. New drafts and versions are checked against them."</p> }.into_any(),
                    Err(error) => view! { <p class="mt-2" data-testid="content-hosts-outcome"><ErrorMessage error /></p> }.into_any(),
                })}
            </div>
        </div>
    }
}

#[component]
fn RegisterSystemForm(register: ServerAction<RegisterSystem>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("campaign".to_owned());
    let base_url = RwSignal::new(String::new());
    let fields = RwSignal::new(String::new());
    view! {
        <form class="mt-6 grid gap-4 rounded-lg border border-slate-200 bg-white p-6 sm:grid-cols-2" aria-labelledby="register-system-heading"
            on:submit=move |ev| {
                ev.prevent_default();
                register.dispatch(RegisterSystem {
                    name: name.get_untracked(),
                    kind: kind.get_untracked(),
                    base_url: base_url.get_untracked(),
                    fields: fields.get_untracked(),
                });
            }>
            <h3 id="register-system-heading" class="font-semibold sm:col-span-2">"Register a connected system"</h3>
            <label><span class=LABEL>"System name"</span><input type="text" class=INPUT bind:value=name placeholder="Campaign Manager" /></label>
            <label>
                <span class=LABEL>"Kind"</span>
                <select class=INPUT on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                    <option value="crm">"CRM"</option>
                    <option value="campaign">"Campaign system"</option>
                    <option value="ad_platform">"Ad platform"</option>
                    <option value="cms">"CMS"</option>
                    <option value="ticketing">"Ticketing"</option>
                    <option value="other">"Other"</option>
                </select>
            </label>
            <label class="sm:col-span-2"><span class=LABEL>"Base URL"</span><input type="url" class=INPUT bind:value=base_url placeholder="https://campaigns.example.com" /></label>
            <label class="sm:col-span-2">
                <span class=LABEL>"Data fields, one per line as name:category"</span>
                <textarea class=format!("{INPUT} font-mono") rows="4" bind:value=fields placeholder="email:contact\nlast_purchase:behavioural"></textarea>
                <span class="text-xs text-slate-500">"Categories: contact, behavioural, financial, special_category (GDPR art. 9), none."</span>
            </label>
            <div class="sm:col-span-2"><button type="submit" class=BUTTON disabled=move || register.pending().get()>"Register system"</button></div>
        </form>
    }
}
