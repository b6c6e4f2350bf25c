//! Define a workflow: its owner and purpose, and its chain of steps — who performs each, who
//! owns it, and the least-privilege grant it may use. The result is a draft; activation comes
//! after its governability checklist passes.

use super::area::AreaGate;
use crate::api::workflow_builder::{load_builder_options, DefineWorkflow};
use crate::components::grant_editor::{GrantDraft, GrantEditor};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{ErrorPanel, Loading, PageTitle};
use crate::dto::{BuilderOptions, ChoiceView, GrantInput, StepInput, WorkflowInput};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The core refuses more; the builder stops offering them first.
const MAX_STEPS: usize = 20;

const KINDS: [(&str, &str); 5] = [
    ("read_customer_data", "Read customer data"),
    ("draft_content", "Draft content"),
    ("human_review", "Human review"),
    ("publish", "Publish"),
    ("other", "Other"),
];

#[derive(Clone, Copy)]
struct StepDraft {
    key: u32,
    name: RwSignal<String>,
    kind: RwSignal<String>,
    performer: RwSignal<String>,
    owner: RwSignal<String>,
    grant: GrantDraft,
}

impl StepDraft {
    fn new(key: u32) -> Self {
        Self {
            key,
            name: RwSignal::new(String::new()),
            kind: RwSignal::new(String::new()),
            performer: RwSignal::new(String::new()),
            owner: RwSignal::new(String::new()),
            grant: GrantDraft::new(GrantInput::default()),
        }
    }

    fn value(&self) -> StepInput {
        StepInput {
            name: self.name.get_untracked(),
            kind: self.kind.get_untracked(),
            performer: self.performer.get_untracked(),
            owner: self.owner.get_untracked(),
            grant: self.grant.value(),
        }
    }
}

#[component]
pub fn WorkflowBuilderPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| load_builder_options());
    view! {
        <PageTitle
            title="Define a workflow"
            subtitle="A chain of owned steps: who acts, what they may do, and where. Agents draft; people review; only Countersign publishes."
        />
        <p class="-mt-4 mb-6 text-sm"><a href="/workflows" class="font-medium underline">"← Back to workflows"</a></p>
        <AreaGate area="workflows">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match options.await {
                        Ok(options) => view! { <Builder options /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

fn choices(list: &[ChoiceView], prefix: &str, chosen: RwSignal<String>) -> impl IntoView {
    list.iter()
        .map(|c| {
            let value = format!("{prefix}{}", c.id);
            let current = value.clone();
            view! { <option value=value selected=move || chosen.get() == current>{c.label.clone()}</option> }
        })
        .collect_view()
}

#[component]
fn Builder(options: BuilderOptions) -> impl IntoView {
    let define = ServerAction::<DefineWorkflow>::new();
    let name = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let next_key = StoredValue::new(1u32);
    let steps: RwSignal<Vec<StepDraft>> = RwSignal::new(vec![StepDraft::new(0)]);
    let options = StoredValue::new(options);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(defined)) = define.value().get() {
            let query = url_escape(&defined.message);
            navigate(
                &format!("/workflows/{}?defined={query}", defined.id),
                Default::default(),
            );
        }
    });
    let add_step = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        steps.update(|s| s.push(StepDraft::new(key)));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        define.dispatch(DefineWorkflow {
            workflow: WorkflowInput {
                name: name.get_untracked(),
                purpose: purpose.get_untracked(),
                owner: owner.get_untracked(),
                steps: steps.get_untracked().iter().map(StepDraft::value).collect(),
            },
        });
    };
    let owner_options = options.with_value(|o| choices(&o.people, "", owner).into_any());
    view! {
        <form on:submit=submit class="space-y-6" aria-labelledby="builder-heading">
            <h2 id="builder-heading" class="sr-only">"Workflow definition"</h2>
            <div class="grid gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-2">
                <label class="block">
                    <span class=LABEL>"Name"</span>
                    <input type="text" class=INPUT required maxlength="80" bind:value=name />
                </label>
                <label class="block">
                    <span class=LABEL>"Workflow owner"</span>
                    <select class=INPUT on:change=move |ev| owner.set(event_target_value(&ev))>
                        <option value="">"Choose a person"</option>
                        {owner_options}
                    </select>
                </label>
                <label class="block md:col-span-2">
                    <span class=LABEL>"Purpose"</span>
                    <textarea class=INPUT rows="2" maxlength="500" bind:value=purpose
                        placeholder="What the workflow does and why, e.g. email the spring offer to customers who opted in." />
                </label>
            </div>
            <ol class="space-y-4" aria-label="Steps, in order">
                <For each=move || steps.get() key=|step| step.key let:step>
                    <StepEditor step steps options />
                </For>
            </ol>
            <div class="flex flex-wrap items-center gap-3">
                <button type="button" class=SECONDARY on:click=add_step
                    disabled=move || { steps.read().len() >= MAX_STEPS }>"Add a step"</button>
                <button type="submit" class=BUTTON disabled=move || define.pending().get()>
                    {move || if define.pending().get() { "Defining…" } else { "Define the workflow" }}
                </button>
            </div>
            <p role="status" aria-live="polite" data-testid="builder-outcome" class="min-h-6 text-sm">
                {move || match define.value().get() {
                    Some(Err(error)) => view! { <span class="font-medium text-red-800">{error.to_string()}</span> }.into_any(),
                    _ => ().into_any(),
                }}
            </p>
        </form>
    }
}

#[component]
fn StepEditor(
    step: StepDraft,
    steps: RwSignal<Vec<StepDraft>>,
    options: StoredValue<BuilderOptions>,
) -> impl IntoView {
    let position = move || {
        steps
            .read()
            .iter()
            .position(|s| s.key == step.key)
            .map_or(0, |p| p + 1)
    };
    let label = move || format!("Step {}", position());
    let kinds = KINDS
        .into_iter()
        .map(|(value, text)| {
            view! { <option value=value selected=move || step.kind.get() == value>{text}</option> }
        })
        .collect_view();
    let (identities, people, owners, systems) = options.with_value(|o| {
        (
            choices(&o.identities, "nhi:", step.performer).into_any(),
            choices(&o.people, "human:", step.performer).into_any(),
            choices(&o.people, "", step.owner).into_any(),
            o.systems.clone(),
        )
    });
    let remove = move |_| steps.update(|s| s.retain(|x| x.key != step.key));
    view! {
        <li data-testid="step-editor" class="rounded-lg border border-slate-200 bg-white p-5">
            <div class="mb-3 flex items-center justify-between">
                <h3 class="font-semibold">{label}</h3>
                <button type="button" class=SECONDARY on:click=remove
                    disabled=move || { steps.read().len() <= 1 }
                    aria-label=move || format!("Remove {}", label())>"Remove"</button>
            </div>
            <div class="grid gap-3 md:grid-cols-2">
                <label class="block">
                    <span class=LABEL>"Step name"</span>
                    <input type="text" class=INPUT required maxlength="80" bind:value=step.name />
                </label>
                <label class="block">
                    <span class=LABEL>"Kind"</span>
                    <select class=INPUT on:change=move |ev| {
                        let kind = event_target_value(&ev);
                        if kind == "publish" {
                            step.performer.set("publisher".to_owned());
                        } else if step.performer.get_untracked() == "publisher" {
                            step.performer.set(String::new());
                        }
                        step.kind.set(kind);
                    }>
                        <option value="">"Choose"</option>
                        {kinds}
                    </select>
                </label>
                <label class="block">
                    <span class=LABEL>"Performed by"</span>
                    <select class=INPUT on:change=move |ev| step.performer.set(event_target_value(&ev))>
                        <option value="" selected=move || step.performer.get().is_empty()>"Choose"</option>
                        <optgroup label="Service accounts and agents">{identities}</optgroup>
                        <optgroup label="People">{people}</optgroup>
                        <option value="publisher" selected=move || step.performer.get() == "publisher">
                            "Countersign publisher"
                        </option>
                    </select>
                </label>
                <label class="block">
                    <span class=LABEL>"Step owner"</span>
                    <select class=INPUT on:change=move |ev| step.owner.set(event_target_value(&ev))>
                        <option value="">"Choose a person"</option>
                        {owners}
                    </select>
                </label>
            </div>
            <h4 class="mb-2 mt-4 text-sm font-semibold">"Grant: the most this step may use"</h4>
            <GrantEditor systems grant=step.grant label=label() />
        </li>
    }
}

/// Percent-encodes a message for a query string.
pub(crate) fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
