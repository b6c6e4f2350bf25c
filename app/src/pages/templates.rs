//! Templates (standard changes): the list, a proposal form that finds the slots in the text as
//! it is written, one template with its quorum, sign-off form, withdrawal and the changes made
//! under it, and the queue's spot-check list of what policy approved.

use super::area::AreaGate;
use crate::api::templates::{
    load_pre_approved, load_template, load_templates, ProposeTemplate, SignTemplate,
    WithdrawTemplate,
};
use crate::components::gate::outcome;
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{EmptyState, ErrorPanel, Loading, PageTitle};
use crate::dto_templates::{
    TemplateDetailView, TemplateRowView, TemplatedChangeView, TemplatesView,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let propose = ServerAction::<ProposeTemplate>::new();
    let data = Resource::new(move || propose.version().get(), |_| load_templates());
    view! {
        <PageTitle title="Templates" subtitle="Standard changes: approve a template once; drafts that fill it within its constraints are approved by policy." />
        <AreaGate area="queue">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Templates view propose /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

fn state_badge(state: &str) -> AnyView {
    let class = match state {
        "approved" => "bg-emerald-100 text-emerald-900",
        "proposed" => "bg-amber-100 text-amber-900",
        _ => "bg-slate-200 text-slate-800",
    };
    view! { <span class=format!("rounded px-1.5 py-0.5 text-xs font-semibold {class}") data-testid="template-state">{state.to_owned()}</span> }.into_any()
}

#[component]
fn Templates(view: TemplatesView, propose: ServerAction<ProposeTemplate>) -> impl IntoView {
    let rows = view
        .templates
        .iter()
        .cloned()
        .map(|t| view! { <TemplateRow t /> })
        .collect_view();
    view! {
        <p class="mb-4 text-sm text-slate-600">
            {format!("The operator lets policy approve drafts under a template for {}; tier 3 changes always go to people. ", view.allowed_tiers)}
            <a class="underline" href="/queue?view=pre_approved">"Spot-check what policy approved"</a>
        </p>
        {if view.templates.is_empty() {
            view! {
                <EmptyState title="No templates yet">
                    <p>"An approver or legal reviewer proposes one below: fixed text with {{slots}}, each slot with what may fill it. It is approved once, by the quorum of its workflow's tier."</p>
                </EmptyState>
            }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
                    <table class="min-w-full text-left text-sm" data-testid="templates">
                        <thead class="bg-slate-50 text-xs uppercase text-slate-500">
                            <tr>
                                <th scope="col" class="px-3 py-2">"Template"</th>
                                <th scope="col" class="px-3 py-2">"Workflow"</th>
                                <th scope="col" class="px-3 py-2">"State"</th>
                                <th scope="col" class="px-3 py-2">"Approved by"</th>
                                <th scope="col" class="px-3 py-2">"Until"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {view.may_propose.then(|| view! { <ProposeForm workflows=view.workflows.clone() propose /> })}
    }
}

#[component]
fn TemplateRow(t: TemplateRowView) -> impl IntoView {
    view! {
        <tr class="border-t border-slate-100" data-testid="template-row">
            <td class="px-3 py-2"><a class="font-medium underline" href=format!("/templates/{}", t.id)>{t.name.clone()}</a></td>
            <td class="px-3 py-2">{format!("{} · tier {}", t.workflow, t.tier)}</td>
            <td class="px-3 py-2">{state_badge(&t.state)}</td>
            <td class="px-3 py-2">{if t.approved_by.is_empty() { "—".to_owned() } else { t.approved_by.join(", ") }}</td>
            <td class="px-3 py-2">{t.expires.clone()}</td>
        </tr>
    }
}

/// One slot's constraints as the form holds them.
#[derive(Clone, Default)]
struct SlotFields {
    allowed: RwSignal<String>,
    pattern: RwSignal<String>,
    max_chars: RwSignal<String>,
    no_claims: RwSignal<bool>,
}

/// The slot names of a template text, in order, each once (the server checks the syntax).
fn slot_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = &after[end + 2..];
    }
    names
}

#[component]
fn ProposeForm(
    workflows: Vec<(String, String)>,
    propose: ServerAction<ProposeTemplate>,
) -> impl IntoView {
    let workflow = RwSignal::new(workflows.first().map(|w| w.0.clone()).unwrap_or_default());
    let name = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let format = RwSignal::new("markdown".to_owned());
    let audience = RwSignal::new("external".to_owned());
    let rollback = RwSignal::new("Unpublish the message; send nothing further.".to_owned());
    let days = RwSignal::new("90".to_owned());
    let slots: StoredValue<std::collections::BTreeMap<String, SlotFields>> =
        StoredValue::new(Default::default());
    let fields_of = move |slot: &str| {
        slots.update_value(|all| {
            all.entry(slot.to_owned()).or_insert_with(|| SlotFields {
                max_chars: RwSignal::new("40".to_owned()),
                no_claims: RwSignal::new(true),
                ..SlotFields::default()
            });
        });
        slots.with_value(|all| all.get(slot).cloned().unwrap_or_default())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let names = slot_names(&text.get_untracked());
        let slot_list: Vec<serde_json::Value> = names
            .iter()
            .map(|n| {
                let f = fields_of(n);
                serde_json::json!({
                    "name": n,
                    "allowed": f.allowed.get_untracked().split(',').map(str::trim).filter(|v| !v.is_empty()).collect::<Vec<_>>(),
                    "pattern": f.pattern.get_untracked(),
                    "max_chars": f.max_chars.get_untracked().trim().parse::<usize>().unwrap_or(0),
                    "no_claims": f.no_claims.get_untracked(),
                })
            })
            .collect();
        let proposal = serde_json::json!({
            "workflow": workflow.get_untracked(),
            "name": name.get_untracked(),
            "text": text.get_untracked(),
            "format": format.get_untracked(),
            "audience": audience.get_untracked(),
            "slots": slot_list,
            "rollback_steps": rollback.get_untracked(),
            "valid_days": days.get_untracked().trim().parse::<i64>().unwrap_or(0),
        });
        propose.dispatch(ProposeTemplate {
            proposal: proposal.to_string(),
        });
    };
    let workflow_options = workflows
        .into_iter()
        .map(|(id, label)| view! { <option value=id>{label}</option> })
        .collect_view();
    let slot_rows = move || {
        slot_names(&text.get())
            .into_iter()
            .map(|n| {
                let f = fields_of(&n);
                let id = |part: &str| format!("slot-{n}-{part}");
                view! {
                    <fieldset class="rounded-md border border-slate-200 p-3" data-testid="slot-fields" data-slot=n.clone()>
                        <legend class="px-1 font-mono text-sm font-semibold">{format!("{{{{{n}}}}}")}</legend>
                        <div class="grid gap-2 md:grid-cols-[2fr_2fr_8rem_auto] md:items-end">
                            <label for=id("allowed") class=LABEL>"Allowed values (comma-separated; empty: any)"
                                <input id=id("allowed") class=INPUT bind:value=f.allowed maxlength="2000" />
                            </label>
                            <label for=id("pattern") class=LABEL>"Pattern (regular expression, whole value)"
                                <input id=id("pattern") class=INPUT bind:value=f.pattern maxlength="200" />
                            </label>
                            <label for=id("max") class=LABEL>"Max characters"
                                <input id=id("max") class=INPUT type="number" min="1" max="500" bind:value=f.max_chars />
                            </label>
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" bind:checked=f.no_claims />
                                "No claims"
                            </label>
                        </div>
                    </fieldset>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="propose-heading" class="mt-8 rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="propose-heading" class="text-lg font-semibold">"Propose a template"</h2>
            <p class="mb-3 text-sm text-slate-600">"Write the fixed text with each variable part as {{slot}}; a field appears for each slot's constraints. Slot values are plain words: markup, links and claims in a slot always go to people. Someone else approves it."</p>
            <form class="grid gap-3" on:submit=submit data-testid="propose-template">
                <div class="grid gap-3 md:grid-cols-2">
                    <label for="t-workflow" class=LABEL>"Workflow"
                        <select id="t-workflow" class=INPUT on:change=move |ev| workflow.set(event_target_value(&ev))>{workflow_options}</select>
                    </label>
                    <label for="t-name" class=LABEL>"Name"
                        <input id="t-name" class=INPUT bind:value=name required minlength="3" maxlength="100" placeholder="Store opening reminder" />
                    </label>
                </div>
                <label for="t-text" class=LABEL>"Text"
                    <textarea id="t-text" class=INPUT rows="4" bind:value=text required maxlength="20480" placeholder="Hello {first_name}, our {{city}} store opens on {{day}}."></textarea>
                </label>
                <div class="grid gap-3 md:grid-cols-3">
                    <label for="t-format" class=LABEL>"Format"
                        <select id="t-format" class=INPUT on:change=move |ev| format.set(event_target_value(&ev))>
                            <option value="markdown">"Markdown"</option>
                            <option value="text">"Plain text"</option>
                            <option value="html">"HTML"</option>
                        </select>
                    </label>
                    <label for="t-audience" class=LABEL>"Audience"
                        <select id="t-audience" class=INPUT on:change=move |ev| audience.set(event_target_value(&ev))>
                            <option value="external">"External"</option>
                            <option value="internal">"Internal"</option>
                        </select>
                    </label>
                    <label for="t-days" class=LABEL>"Valid for (days from today)"
                        <input id="t-days" class=INPUT type="number" min="1" max="366" bind:value=days />
                    </label>
                </div>
                <div class="grid gap-2">{slot_rows}</div>
                <label for="t-rollback" class=LABEL>"How a change made from it is undone"
                    <input id="t-rollback" class=INPUT bind:value=rollback required minlength="10" maxlength="2000" />
                </label>
                <div class="flex flex-wrap items-center gap-3">
                    <button type="submit" class=BUTTON disabled=move || propose.pending().get() data-testid="propose-submit">
                        {move || if propose.pending().get() { "Proposing…" } else { "Propose for approval" }}
                    </button>
                    <div aria-live="polite" data-testid="propose-outcome">
                        {move || propose.value().get().map(|r| match r {
                            Ok(id) => view! { <a class="font-medium text-emerald-800 underline" href=format!("/templates/{id}")>"Proposed: open it to follow its approval"</a> }.into_any(),
                            Err(error) => outcome(Some(Err(error))),
                        })}
                    </div>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn TemplatePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let sign = ServerAction::<SignTemplate>::new();
    let withdraw = ServerAction::<WithdrawTemplate>::new();
    let data = Resource::new(
        move || (id(), sign.version().get(), withdraw.version().get()),
        |(id, _, _)| load_template(id),
    );
    view! {
        <p class="mb-2 text-sm"><a class="underline" href="/templates">"← All templates"</a></p>
        // Outcomes live above the template: signing or withdrawing reloads it, and the forms go.
        <div aria-live="polite" class="mb-2" data-testid="template-sign-outcome">{move || outcome(sign.value().get())}</div>
        <div aria-live="polite" class="mb-2" data-testid="template-withdraw-outcome">{move || outcome(withdraw.value().get())}</div>
        <AreaGate area="queue">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <TemplateDetail view sign withdraw /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn TemplateDetail(
    view: TemplateDetailView,
    sign: ServerAction<SignTemplate>,
    withdraw: ServerAction<WithdrawTemplate>,
) -> impl IntoView {
    let t = view.row.clone();
    let slots = view
        .slots
        .iter()
        .map(|s| {
            view! {
                <tr class="border-t border-slate-100" data-testid="slot-row">
                    <td class="px-3 py-2 font-mono">{s.name.clone()}</td>
                    <td class="px-3 py-2">{if s.allowed.is_empty() { "any".to_owned() } else { s.allowed.clone() }}</td>
                    <td class="px-3 py-2 font-mono text-xs">{if s.pattern.is_empty() { "—".to_owned() } else { s.pattern.clone() }}</td>
                    <td class="px-3 py-2">{s.max_chars}</td>
                    <td class="px-3 py-2">{if s.no_claims { "no claims" } else { "—" }}</td>
                </tr>
            }
        })
        .collect_view();
    let signoffs = view
        .signoffs
        .iter()
        .map(|s| view! {
            <li data-testid="template-signoff">{format!("{} — {} as {}, {}", s.signer, s.decision, s.role, s.at)}{(!s.comment.is_empty()).then(|| format!(": “{}”", s.comment))}</li>
        })
        .collect_view();
    let changes = view.changes.clone();
    view! {
        <leptos_meta::Title text=t.name.clone() />
        <h1 class="text-2xl font-semibold">{t.name.clone()}</h1>
        <p class="mb-4 text-sm text-slate-600">
            {state_badge(&t.state)}
            {format!(" · {} · tier {} · proposed by {} · valid until {}", t.workflow, t.tier, t.proposed_by, t.expires)}
        </p>
        {view.withdrawn.clone().map(|w| view! { <p class="mb-4 rounded bg-slate-100 p-2 text-sm" role="note">{w}</p> })}
        <div class="grid gap-6 lg:grid-cols-[2fr_1fr]">
            <div class="space-y-6">
                <section aria-labelledby="t-text-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
                    <h2 id="t-text-heading" class="mb-1 text-lg font-semibold">"Fixed text"</h2>
                    <p class="mb-2 text-xs text-slate-500">{format!("{} · {} audience · ", view.format, view.audience)}<span class="break-all font-mono">{view.hash.clone()}</span></p>
                    <pre class="whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-sans" data-testid="template-text">{view.text.clone()}</pre>
                    <h3 class="mb-1 mt-4 font-semibold">"Slots"</h3>
                    <div class="overflow-x-auto">
                        <table class="min-w-full text-left">
                            <thead class="bg-slate-50 text-xs uppercase text-slate-500">
                                <tr>
                                    <th scope="col" class="px-3 py-2">"Slot"</th>
                                    <th scope="col" class="px-3 py-2">"Allowed values"</th>
                                    <th scope="col" class="px-3 py-2">"Pattern"</th>
                                    <th scope="col" class="px-3 py-2">"Max"</th>
                                    <th scope="col" class="px-3 py-2">"Claims"</th>
                                </tr>
                            </thead>
                            <tbody>{slots}</tbody>
                        </table>
                    </div>
                    <h3 class="mb-1 mt-4 font-semibold">"Rollback"</h3>
                    <p>{view.rollback_steps.clone()}</p>
                </section>
                <section aria-labelledby="t-changes-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
                    <h2 id="t-changes-heading" class="mb-2 text-lg font-semibold">"Changes drafted under it"</h2>
                    <TemplatedChanges changes empty="No draft has declared this template yet." />
                </section>
            </div>
            <div class="space-y-6">
                <section aria-labelledby="t-sign-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
                    <h2 id="t-sign-heading" class="mb-1 text-lg font-semibold">"Approval"</h2>
                    <p class="mb-2 text-slate-600">{format!("Its tier needs {}, none of them its proposer.", view.rule)}</p>
                    <ul class="mb-3 space-y-1">{signoffs}</ul>
                    <SignForm view=view.clone() sign />
                </section>
                {view.may_withdraw.then(|| view! { <WithdrawForm id=t.id.clone() withdraw /> })}
            </div>
        </div>
    }
}

#[component]
fn SignForm(view: TemplateDetailView, sign: ServerAction<SignTemplate>) -> impl IntoView {
    if view.sign_as.is_empty() {
        return view! { <p class="text-slate-600" data-testid="template-cannot-sign">{view.cannot_sign.unwrap_or_default()}</p> }.into_any();
    }
    let roles = view
        .sign_as
        .iter()
        .enumerate()
        .map(|(i, (value, label))| view! {
            <label class="mr-3"><input type="radio" name="role" value=value.clone() checked=i == 0 />" "{label.clone()}</label>
        })
        .collect_view();
    view! {
        <ActionForm action=sign attr:class="grid gap-2" attr:data-testid="template-sign-form">
            <input type="hidden" name="id" value=view.row.id.clone() />
            <input type="hidden" name="template_hash" value=view.hash.clone() />
            <fieldset><legend class=LABEL>"Sign as"</legend>{roles}</fieldset>
            <fieldset>
                <legend class=LABEL>"Decision"</legend>
                <label class="mr-3"><input type="radio" name="decision" value="approve" checked data-testid="template-approve" />" Approve"</label>
                <label><input type="radio" name="decision" value="reject" />" Reject"</label>
            </fieldset>
            <label for="t-comment" class=LABEL>"Comment (required to reject)"
                <textarea id="t-comment" name="comment" class=INPUT rows="2" maxlength="2000"></textarea>
            </label>
            <button type="submit" class=BUTTON disabled=move || sign.pending().get() data-testid="template-sign">"Sign"</button>
        </ActionForm>
    }.into_any()
}

#[component]
fn WithdrawForm(id: String, withdraw: ServerAction<WithdrawTemplate>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let id = StoredValue::new(id);
    view! {
        <section aria-labelledby="t-withdraw-heading" class="rounded-lg border border-red-200 bg-white p-5 text-sm">
            <h2 id="t-withdraw-heading" class="mb-1 text-lg font-semibold">"Withdraw"</h2>
            <p class="mb-2 text-slate-600">"From the moment you withdraw it, no draft is approved under it, and publications queued under it and not yet delivered are refused."</p>
            {move || if confirming.get() {
                view! {
                    <ActionForm action=withdraw attr:class="grid gap-2">
                        <input type="hidden" name="id" value=id.get_value() />
                        <label for="t-reason" class=LABEL>"Why (recorded)"
                            <input id="t-reason" name="reason" class=INPUT required minlength="3" maxlength="500" />
                        </label>
                        <div class="flex gap-2">
                            <button type="submit" class="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800" data-testid="template-withdraw-now">"Withdraw now"</button>
                            <button type="button" class=SECONDARY on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <button type="button" class=SECONDARY on:click=move |_| confirming.set(true) data-testid="template-withdraw">"Withdraw…"</button> }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn TemplatedChanges(changes: Vec<TemplatedChangeView>, empty: &'static str) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="text-slate-600">{empty}</p> }.into_any();
    }
    let rows = changes
        .into_iter()
        .map(|c| view! {
            <tr class="border-t border-slate-100" data-testid="templated-change">
                <td class="px-3 py-2"><a class="font-medium underline" href=format!("/changes/{}", c.change_id)>{c.title}</a></td>
                <td class="px-3 py-2"><a class="underline" href=format!("/templates/{}", c.template_id)>{c.template}</a></td>
                <td class="px-3 py-2">{if c.pre_approved { "by policy".to_owned() } else { "to people".to_owned() }}</td>
                <td class="px-3 py-2">{c.status}</td>
                <td class="px-3 py-2 text-xs">{c.values}</td>
                <td class="px-3 py-2 text-xs">{c.at}</td>
            </tr>
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full text-left text-sm">
                <thead class="bg-slate-50 text-xs uppercase text-slate-500">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Change"</th>
                        <th scope="col" class="px-3 py-2">"Template"</th>
                        <th scope="col" class="px-3 py-2">"Approved"</th>
                        <th scope="col" class="px-3 py-2">"Status"</th>
                        <th scope="col" class="px-3 py-2">"Values"</th>
                        <th scope="col" class="px-3 py-2">"When"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The queue's spot-check view: what policy approved under templates in the last days.
#[component]
pub fn PreApprovedList(days: i64) -> impl IntoView {
    let data = Resource::new(move || days, load_pre_approved);
    view! {
        <p class="mb-3 text-sm text-slate-600">
            {format!("Changes approved by policy under a template in the last {days} days, newest first. Open one to check it; withdraw a template that lets through what it should not. ")}
            <a class="underline" href="/templates">"All templates"</a>
        </p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(changes) => view! {
                        <div class="rounded-lg border border-slate-200 bg-white p-4" data-testid="pre-approved">
                            <TemplatedChanges changes empty="Nothing was pre-approved in these days." />
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
