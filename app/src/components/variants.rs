//! A variant set on its change's page: every variant with where it goes, its claims and its
//! delivery, and each one after the base as its differences from the base, so a reviewer reads
//! the set once and signs it once.

use crate::components::gate::diff_rows;
use crate::dto_gate::VariantView;
use leptos::prelude::*;

#[component]
pub fn VariantsPanel(variants: Vec<VariantView>, set_hash: String) -> impl IntoView {
    let count = variants.len();
    let open_claims: usize = variants.iter().map(|v| v.open_claims).sum();
    let rows = variants
        .into_iter()
        .enumerate()
        .map(|(i, v)| view! { <VariantRow variant=v base=i == 0 /> })
        .collect_view();
    view! {
        <section aria-labelledby="variants-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm" data-testid="variants">
            <h2 id="variants-heading" class="mb-1 text-lg font-semibold">{format!("Variant set · {count} variants")}</h2>
            <p class="mb-1 text-slate-600">
                "One sign-off covers every variant. It names the set's hash, over each variant's name, audience, target and content in this order; a change to any variant voids it."
            </p>
            <p class="mb-3 break-all font-mono text-xs text-slate-500" data-testid="set-hash">{set_hash}</p>
            {(open_claims > 0).then(|| view! {
                <p class="mb-3 rounded bg-amber-50 p-2 text-amber-900" role="status">
                    {format!("{open_claims} claim(s) across the variants still need a legal reviewer's judgement (listed under Claims).")}
                </p>
            })}
            <ol class="space-y-3">{rows}</ol>
        </section>
    }
}

#[component]
fn VariantRow(variant: VariantView, base: bool) -> impl IntoView {
    let changed = variant.diff.iter().filter(|l| l.kind != "same").count();
    let new_hosts: Vec<String> = variant
        .outbound
        .iter()
        .filter(|o| o.changed)
        .map(|o| o.host.clone())
        .collect();
    let claims = if variant.claims == 0 {
        "no claims found".to_owned()
    } else {
        format!(
            "{} of {} claim(s) open",
            variant.open_claims, variant.claims
        )
    };
    let summary = format!(
        "{} · {} · to {} · {} words · {claims}",
        variant.name, variant.audience, variant.target, variant.words
    );
    let body = if base {
        view! { <p class="mt-2 text-slate-600">"The base: shown in full under “Text under review”."</p> }.into_any()
    } else if changed == 0 {
        view! { <p class="mt-2 text-slate-600">"Identical to the base."</p> }.into_any()
    } else {
        view! {
            <div class="mt-2 max-h-72 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-xs" data-testid="variant-diff" tabindex="0" aria-label=format!("Differences of {} from the base", variant.name)>
                {diff_rows(variant.diff)}
            </div>
        }
        .into_any()
    };
    view! {
        <li class="rounded border border-slate-200 p-3" data-testid="variant" data-name=variant.name.clone()>
            <p class="font-medium">
                {base.then(|| view! { <span class="mr-2 rounded bg-slate-800 px-1.5 py-0.5 text-xs font-semibold text-white">"base"</span> })}
                {summary}
            </p>
            <p class="break-all font-mono text-xs text-slate-500">{variant.content_hash}</p>
            {(!new_hosts.is_empty()).then(|| view! {
                <p class="mt-1 text-amber-900">{format!("Links to hosts the base does not: {}", new_hosts.join(", "))}</p>
            })}
            {variant.delivery.map(|d| view! { <p class="mt-1 text-slate-700" data-testid="variant-delivery">{d}</p> })}
            {body}
        </li>
    }
}
