//! What a reviewer must see beside the preview: the exact bytes that will be published, every
//! link and media URL with its full host (new ones marked), and who may not sign and why.

use crate::dto_gate::{ExcludedView, OutboundView};
use leptos::prelude::*;

/// The canonical source and its outbound URLs.
#[component]
pub fn PublishedSource(
    source: String,
    format: String,
    outbound: Vec<OutboundView>,
    /// The base variant's name, when the change is a variant set.
    #[prop(default = None)]
    base_variant: Option<String>,
) -> impl IntoView {
    let changed = outbound.iter().filter(|o| o.changed).count();
    let format = match format.as_str() {
        "html" => "HTML",
        "markdown" => "Markdown",
        _ => "plain-text",
    };
    let rows = outbound
        .into_iter()
        .map(|o| {
            let row_class = if o.changed { "bg-amber-50" } else { "" };
            view! {
                <tr class=row_class data-testid="outbound-link" data-changed=o.changed.to_string()>
                    <td class="px-3 py-2 align-top">{o.kind}</td>
                    <td class="px-3 py-2 align-top font-mono font-semibold" data-testid="outbound-host">{o.host}</td>
                    <td class="break-all px-3 py-2 align-top font-mono text-xs" data-testid="outbound-url">{o.url}</td>
                    <td class="px-3 py-2 align-top">{if o.label.is_empty() { "—".to_owned() } else { o.label }}</td>
                    <td class="px-3 py-2 align-top">
                        {o.changed.then(|| view! {
                            <span class="rounded bg-amber-200 px-2 py-0.5 text-xs font-medium text-amber-900" data-testid="outbound-changed">"New in this version"</span>
                        })}
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = rows.is_empty();
    view! {
        <section aria-labelledby="source-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm" data-testid="published-form">
            <h2 id="source-heading" class="mb-1 text-lg font-semibold">"Exactly what will be published"</h2>
            <p class="mb-2 text-xs text-slate-500">
                {match &base_variant {
                    Some(name) => format!("The base variant {name}: the {format} bytes its connected system receives, byte for byte. Every other variant is delivered as the bytes shown under Variant set."),
                    None => format!("The {format} bytes the content hash covers and the connected system receives, byte for byte."),
                }}
            </p>
            <pre
                data-testid="published-source"
                tabindex="0"
                aria-label="Source that will be published"
                class="max-h-72 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-900 p-3 font-mono text-xs text-slate-100"
            >{source}</pre>
            <h3 class="mb-1 mt-4 font-semibold">"Links and media"</h3>
            {if empty {
                view! { <p class="text-slate-500" data-testid="outbound-none">"No links or media: the content points nowhere else."</p> }.into_any()
            } else {
                view! {
                    {(changed > 0).then(|| view! {
                        <p role="note" class="mb-2 rounded-md border border-amber-300 bg-amber-50 p-2 text-amber-900">
                            {format!("{changed} URL(s) are new since the previous version. Check where they lead.")}
                        </p>
                    })}
                    <div class="overflow-x-auto">
                        <table class="min-w-full text-left" data-testid="outbound-links">
                            <thead class="bg-slate-50 text-xs uppercase text-slate-500">
                                <tr>
                                    <th scope="col" class="px-3 py-2">"Kind"</th>
                                    <th scope="col" class="px-3 py-2">"Host"</th>
                                    <th scope="col" class="px-3 py-2">"Full URL"</th>
                                    <th scope="col" class="px-3 py-2">"Text readers see"</th>
                                    <th scope="col" class="px-3 py-2"><span class="sr-only">"Changed"</span></th>
                                </tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// The people separation of duties keeps from signing this change, each with the reason.
#[component]
pub fn ExcludedSigners(excluded: Vec<ExcludedView>) -> impl IntoView {
    view! {
        <section aria-labelledby="excluded-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm" data-testid="excluded-signers">
            <h2 id="excluded-heading" class="mb-1 text-lg font-semibold">"Kept from signing"</h2>
            <p class="mb-2 text-xs text-slate-500">"Separation of duties: nobody who could have shaped this draft countersigns it."</p>
            {if excluded.is_empty() {
                view! { <p class="text-slate-500">"Nobody is excluded."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-1">
                        {excluded.into_iter().map(|e| view! {
                            <li data-testid="excluded-signer"><span class="font-medium">{e.name}</span>": "{e.reason.replacen("you ", "they ", 1)}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
