//! Data access, for security admins: the consent ledger (load a CSV: preview with row errors,
//! then import all or nothing) and the policy simulator (what would Cedar decide, and why).

use super::area::AreaGate;
use crate::api::data_access::{load_data_access, ConsentCsv, SimulatePolicy};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{ErrorPanel, Loading, PageTitle};
use crate::dto::{ChoiceView, CsvPreview, DataAccessView};
use leptos::prelude::*;

#[component]
pub fn DataAccessPage() -> impl IntoView {
    let csv = ServerAction::<ConsentCsv>::new();
    // Kept above the reloading part of the page, so a preview keeps what was pasted.
    let text = RwSignal::new(String::new());
    let preview: RwSignal<Option<CsvPreview>> = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    Effect::new(move || {
        if let Some(Ok(result)) = csv.value().get() {
            if result.imported.is_some() {
                text.set(String::new());
                refresh.update(|n| *n += 1);
            }
            preview.set(Some(result));
        }
    });
    let data = Resource::new(move || refresh.get(), |_| load_data_access());
    view! {
        <PageTitle
            title="Data access"
            subtitle="The consent ledger agents' access decisions rely on, and a simulator for the policy that makes them."
        />
        <AreaGate area="data-access">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Overview view csv text preview /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaGate>
    }
}

#[component]
fn Overview(
    view: DataAccessView,
    csv: ServerAction<ConsentCsv>,
    text: RwSignal<String>,
    preview: RwSignal<Option<CsvPreview>>,
) -> impl IntoView {
    let batches = view
        .batches
        .iter()
        .map(|b| {
            view! {
                <li class="text-sm">
                    {format!("{} rows · {} · by {}", b.rows, b.recorded_at, b.recorded_by)}
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="consent-heading" class="mb-10 rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="consent-heading" class="text-lg font-semibold">"Consent ledger"</h2>
            <p data-testid="consent-counts" class="text-sm text-slate-600">
                {format!("{} records for {} customers. Records are only ever added: a withdrawal is a new record, and the newest event for a purpose decides.", view.records, view.subjects)}
            </p>
            {(!view.batches.is_empty()).then(|| view! {
                <h3 class="mt-3 text-sm font-semibold">"Latest imports"</h3>
                <ul class="list-inside list-disc">{batches}</ul>
            })}
            <CsvImport csv text preview />
        </section>
        <Simulator identities=view.identities steps=view.steps actions=view.actions />
    }
}

#[component]
fn CsvImport(
    csv: ServerAction<ConsentCsv>,
    text: RwSignal<String>,
    preview: RwSignal<Option<CsvPreview>>,
) -> impl IntoView {
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                    if let Some(content) = read.ok().and_then(|v| v.as_string()) {
                        text.set(content);
                        preview.set(None);
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let can_import = move || {
        preview
            .read()
            .as_ref()
            .is_some_and(|p| p.errors.is_empty() && p.valid_rows > 0 && p.imported.is_none())
    };
    view! {
        <form class="mt-4 space-y-3" aria-labelledby="csv-heading"
            on:submit=move |ev| {
                ev.prevent_default();
                csv.dispatch(ConsentCsv { text: text.get_untracked(), import: false });
            }>
            <h3 id="csv-heading" class="font-semibold">"Load consent records from CSV"</h3>
            <p class="text-sm text-slate-600">
                "Header: "<code class="font-mono">"subject,purpose,legal_basis,granted_at,withdrawn_at,source"</code>
                ". Legal basis: consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests. Dates as 2026-03-01 or RFC 3339."
            </p>
            <label class="block">
                <span class=LABEL>"CSV file"</span>
                <input type="file" accept=".csv,text/csv" class="mt-1 block text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium" on:change=on_file />
            </label>
            <label class="block">
                <span class=LABEL>"Or paste the rows"</span>
                <textarea class=format!("{INPUT} font-mono") rows="6" bind:value=text
                    on:input=move |_| preview.set(None) />
            </label>
            <div class="flex flex-wrap gap-3">
                <button type="submit" class=SECONDARY disabled=move || csv.pending().get()>"Preview"</button>
                <button type="button" class=BUTTON disabled=move || !can_import() || csv.pending().get()
                    on:click=move |_| { csv.dispatch(ConsentCsv { text: text.get_untracked(), import: true }); }>
                    "Import all rows"
                </button>
            </div>
            <div role="status" aria-live="polite" data-testid="csv-outcome" class="text-sm">
                {move || match csv.value().get() {
                    Some(Err(error)) => view! { <p class="font-medium text-red-800">{error.to_string()}</p> }.into_any(),
                    _ => match preview.get() {
                        None => ().into_any(),
                        Some(p) => view! { <PreviewView preview=p /> }.into_any(),
                    },
                }}
            </div>
        </form>
    }
}

#[component]
fn PreviewView(preview: CsvPreview) -> impl IntoView {
    if let Some(done) = preview.imported {
        return view! { <p class="font-medium text-emerald-800">{done}</p> }.into_any();
    }
    let errors = preview
        .errors
        .iter()
        .map(|e| {
            let place = if e.row == 0 {
                "File".to_owned()
            } else {
                format!("Row {}", e.row)
            };
            view! { <li>{format!("{place}: {}", e.problem)}</li> }
        })
        .collect_view();
    let sample = preview
        .sample
        .iter()
        .map(|s| view! { <li class="font-mono text-xs">{s.clone()}</li> })
        .collect_view();
    view! {
        <p class="font-medium">
            {format!("{} valid rows, {} with problems.", preview.valid_rows, preview.errors.len())}
            {if preview.errors.is_empty() { " Nothing is imported until you choose Import." } else { " Fix every row: nothing is imported while any row has a problem." }}
        </p>
        {(!preview.errors.is_empty()).then(|| view! {
            <ul data-testid="csv-errors" class="mt-1 list-inside list-disc text-red-800">{errors}</ul>
        })}
        {(!preview.sample.is_empty()).then(|| view! {
            <p class="mt-2 text-xs text-slate-500">"First rows as they will be recorded:"</p>
            <ul class="list-inside list-disc">{sample}</ul>
        })}
    }
    .into_any()
}

fn options(choices: &[ChoiceView]) -> impl IntoView {
    choices
        .iter()
        .map(|c| view! { <option value=c.id.clone()>{c.label.clone()}</option> })
        .collect_view()
}

#[component]
fn Simulator(
    identities: Vec<ChoiceView>,
    steps: Vec<ChoiceView>,
    actions: Vec<String>,
) -> impl IntoView {
    let simulate = ServerAction::<SimulatePolicy>::new();
    let nhi = RwSignal::new(identities.first().map(|c| c.id.clone()).unwrap_or_default());
    let step = RwSignal::new(steps.first().map(|c| c.id.clone()).unwrap_or_default());
    let action = RwSignal::new("read_data".to_owned());
    let purpose = RwSignal::new(String::new());
    let fields = RwSignal::new(String::new());
    let action_options = actions
        .into_iter()
        .map(|a| {
            let label = a.replace('_', " ");
            view! { <option value=a.clone() selected=a == "read_data">{label}</option> }
        })
        .collect_view();
    view! {
        <section aria-labelledby="simulator-heading" class="mb-10 rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="simulator-heading" class="text-lg font-semibold">"Policy simulator"</h2>
            <p class="text-sm text-slate-600">"Ask what the policy would decide for an identity in a step, and which policies decide it. Nothing is recorded and no data is read."</p>
            <form class="mt-3 grid gap-3 md:grid-cols-2" on:submit=move |ev| {
                ev.prevent_default();
                simulate.dispatch(SimulatePolicy {
                    nhi: nhi.get_untracked(),
                    step: step.get_untracked(),
                    action: action.get_untracked(),
                    purpose: purpose.get_untracked(),
                    fields: fields.get_untracked(),
                });
            }>
                <label class="block">
                    <span class=LABEL>"Identity"</span>
                    <select class=INPUT on:change=move |ev| nhi.set(event_target_value(&ev))>{options(&identities)}</select>
                </label>
                <label class="block">
                    <span class=LABEL>"Step"</span>
                    <select class=INPUT on:change=move |ev| step.set(event_target_value(&ev))>{options(&steps)}</select>
                </label>
                <label class="block">
                    <span class=LABEL>"Action"</span>
                    <select class=INPUT on:change=move |ev| action.set(event_target_value(&ev))>{action_options}</select>
                </label>
                <label class="block">
                    <span class=LABEL>"Purpose"</span>
                    <input type="text" class=INPUT placeholder="spring_offer" bind:value=purpose />
                </label>
                <label class="block md:col-span-2">
                    <span class=LABEL>"Fields (for read data), separated by commas"</span>
                    <input type="text" class=INPUT placeholder="email, first_name" bind:value=fields />
                </label>
                <div class="md:col-span-2">
                    <button type="submit" class=BUTTON disabled=move || simulate.pending().get()>"Simulate"</button>
                </div>
            </form>
            <div role="status" aria-live="polite" data-testid="simulation" class="mt-3 text-sm">
                {move || simulate.value().get().map(|result| match result {
                    Err(error) => view! { <p class="font-medium text-red-800">{error.to_string()}</p> }.into_any(),
                    Ok(decisions) => decisions.into_iter().map(|d| {
                        let (verdict, colour) = if d.allowed { ("Allow", "text-emerald-800") } else { ("Deny", "text-red-800") };
                        let by = if d.policies.is_empty() {
                            if d.allowed { "allowed".to_owned() } else { "no policy permits it".to_owned() }
                        } else {
                            format!("decided by {}", d.policies.join(", "))
                        };
                        view! {
                            <p data-testid="simulated-decision">
                                <span class=format!("font-semibold {colour}")>{verdict}</span>
                                {d.field.map(|f| format!(" {f}")).unwrap_or_default()}
                                <span class="text-slate-600">{format!(" — {by}")}</span>
                            </p>
                        }
                    }).collect_view().into_any(),
                })}
            </div>
        </section>
    }
}
