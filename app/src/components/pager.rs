//! Previous and next links under a paged list, keeping its search and filters.

use crate::dto_registry::PageInfo;
use crate::pages::audit::query_string;
use leptos::prelude::*;

/// "Page 2 of 40 · 1000 workflows", with links to the pages either side. `params` are the
/// list's search and filters (empty ones are left out of the links); `noun` is (one, many).
#[component]
pub fn Pager(
    path: &'static str,
    params: Vec<(&'static str, String)>,
    paging: PageInfo,
    noun: (&'static str, &'static str),
) -> impl IntoView {
    let link = move |page: i64| {
        let mut pairs: Vec<(&str, String)> = params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        format!("{path}{}", query_string(&pairs))
    };
    let previous = (paging.page > 1).then(|| link(paging.page - 1));
    let next = (paging.page < paging.pages).then(|| link(paging.page + 1));
    view! {
        <nav aria-label="Pages" class="mt-3 flex flex-wrap items-center gap-4 text-sm" data-testid="pager">
            <span class="text-slate-600">
                {format!(
                    "Page {} of {} · {} {}",
                    paging.page,
                    paging.pages,
                    paging.total,
                    if paging.total == 1 { noun.0 } else { noun.1 }
                )}
            </span>
            {previous.map(|href| view! { <a class="font-medium underline" rel="prev" href=href>"← Previous"</a> })}
            {next.map(|href| view! { <a class="font-medium underline" rel="next" href=href>"Next →"</a> })}
        </nav>
    }
}
