//! On a change's page: the template its draft declared — pre-approved under it (by whom the
//! template was approved, with the values filled in), or why people review it instead.

use crate::dto_templates::TemplateUseView;
use leptos::prelude::*;

#[component]
pub fn TemplateUsePanel(used: TemplateUseView) -> impl IntoView {
    let values = used
        .values
        .iter()
        .map(|(k, v)| view! { <li><span class="font-mono">{k.clone()}</span>" = "{v.clone()}</li> })
        .collect_view();
    let (class, headline) = if used.pre_approved {
        (
            "border-emerald-300 bg-emerald-50",
            format!(
                "Pre-approved under template “{}”, {}.",
                used.template, used.approval
            ),
        )
    } else {
        (
            "border-amber-300 bg-amber-50",
            format!(
                "Declared template “{}”, but people review it:",
                used.template
            ),
        )
    };
    let problems = used
        .problems
        .iter()
        .map(|p| view! { <li>{p.clone()}</li> })
        .collect_view();
    view! {
        <section aria-labelledby="template-use-heading" class=format!("rounded-lg border p-5 text-sm {class}") data-testid="template-use" data-pre-approved=used.pre_approved.to_string()>
            <h2 id="template-use-heading" class="mb-1 text-lg font-semibold">"Template"</h2>
            <p class="font-medium">{headline}</p>
            {(!used.problems.is_empty()).then(|| view! { <ul class="ml-5 list-disc" data-testid="template-problems">{problems}</ul> })}
            <h3 class="mt-2 font-semibold">"Values filled in"</h3>
            <ul class="ml-5 list-disc">{values}</ul>
            <p class="mt-2"><a class="underline" href=format!("/templates/{}", used.template_id)>"Open the template"</a></p>
        </section>
    }
}
