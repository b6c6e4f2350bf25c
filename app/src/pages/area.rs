use crate::api::area_access;
use crate::components::ui::{ErrorPanel, Loading};
use leptos::prelude::*;

/// Shows `children` when policy lets the signed-in person see `area`, the reason otherwise.
#[component]
pub fn AreaGate(area: &'static str, children: ChildrenFn) -> impl IntoView {
    let access = Resource::new(move || area, |area| area_access(area.to_owned()));
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(()) => children.with_value(|c| c()).into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
