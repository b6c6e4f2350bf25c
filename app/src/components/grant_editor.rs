//! The editor of a step's grant — connected system, actions, fields, purposes, human review —
//! shared by the workflow builder and the scope-drift form.

use super::ui::style::{INPUT, LABEL};
use super::ui::toggle_in;
use crate::dto::{GrantInput, SystemChoice};
use leptos::prelude::*;

pub const ACTIONS: [(&str, &str); 5] = [
    ("read", "Read customer data"),
    ("infer_traits", "Infer customer traits"),
    ("draft", "Submit drafts"),
    ("record_consent", "Load consent records"),
    ("publish", "Publish (Countersign's publisher only)"),
];

/// A grant being edited, one signal per part.
#[derive(Clone, Copy)]
pub struct GrantDraft {
    pub system: RwSignal<String>,
    pub actions: RwSignal<Vec<String>>,
    pub fields: RwSignal<Vec<String>>,
    pub purposes: RwSignal<String>,
    pub human_review: RwSignal<bool>,
}

impl GrantDraft {
    pub fn new(from: GrantInput) -> Self {
        Self {
            system: RwSignal::new(from.system),
            actions: RwSignal::new(from.actions),
            fields: RwSignal::new(from.fields),
            purposes: RwSignal::new(from.purposes),
            human_review: RwSignal::new(from.human_review),
        }
    }

    pub fn value(&self) -> GrantInput {
        GrantInput {
            system: self.system.get_untracked(),
            actions: self.actions.get_untracked(),
            fields: self.fields.get_untracked(),
            purposes: self.purposes.get_untracked(),
            human_review: self.human_review.get_untracked(),
        }
    }
}

fn category_label(category: &str) -> &'static str {
    match category {
        "contact" => "contact",
        "behavioural" => "behavioural",
        "financial" => "financial",
        "special_category" => "special category (GDPR art. 9)",
        _ => "not personal",
    }
}

/// `label` names the step in accessible labels ("Step 2"), so each control is unambiguous.
#[component]
pub fn GrantEditor(systems: Vec<SystemChoice>, grant: GrantDraft, label: String) -> impl IntoView {
    let system_options = systems
        .iter()
        .map(|s| {
            let id = s.id.clone();
            let selected = move || grant.system.get() == id;
            view! { <option value=s.id.clone() selected=selected>{s.name.clone()}</option> }
        })
        .collect_view();
    let actions = ACTIONS
        .into_iter()
        .map(|(key, text)| {
            view! {
                <label class="flex items-center gap-2 text-sm">
                    <input
                        type="checkbox"
                        prop:checked=move || grant.actions.read().iter().any(|a| a == key)
                        on:change=move |_| grant.actions.update(|list| toggle_in(list, key))
                    />
                    {text}
                </label>
            }
        })
        .collect_view();
    let fields = move || {
        let chosen = grant.system.get();
        let Some(system) = systems.iter().find(|s| s.id == chosen) else {
            return view! { <p class="text-sm text-slate-500">"Choose a connected system to grant its fields."</p> }.into_any();
        };
        if system.fields.is_empty() {
            return view! { <p class="text-sm text-slate-500">"This system exposes no fields."</p> }.into_any();
        }
        system
            .fields
            .iter()
            .map(|field| {
                let name = field.name.clone();
                let toggle = field.name.clone();
                view! {
                    <label class="flex items-center gap-2 text-sm">
                        <input
                            type="checkbox"
                            prop:checked=move || grant.fields.read().contains(&name)
                            on:change=move |_| grant.fields.update(|list| toggle_in(list, &toggle))
                        />
                        <span class="font-mono">{field.name.clone()}</span>
                        <span class="text-xs text-slate-500">{category_label(&field.category)}</span>
                    </label>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="grid gap-3 md:grid-cols-2">
            <label class="block">
                <span class=LABEL>"Connected system"</span>
                <select class=INPUT aria-label=format!("{label}: connected system")
                    on:change=move |ev| {
                        grant.system.set(event_target_value(&ev));
                        grant.fields.set(Vec::new());
                    }>
                    <option value="" selected=move || grant.system.get().is_empty()>"None"</option>
                    {system_options}
                </select>
            </label>
            <label class="block">
                <span class=LABEL>"Purposes"</span>
                <input type="text" class=INPUT placeholder="spring_offer" aria-label=format!("{label}: purposes")
                    bind:value=grant.purposes />
                <span class="text-xs text-slate-500">"Machine names, separated by commas."</span>
            </label>
            <fieldset>
                <legend class=LABEL>"Actions"</legend>
                <div class="mt-1 space-y-1">{actions}</div>
            </fieldset>
            <fieldset>
                <legend class=LABEL>"Fields"</legend>
                <div class="mt-1 space-y-1">{fields}</div>
            </fieldset>
            <label class="flex items-center gap-2 text-sm md:col-span-2">
                <input type="checkbox" bind:checked=grant.human_review />
                "A person reviews this step's output before it goes further"
            </label>
        </div>
    }
}
