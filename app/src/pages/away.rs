//! The inbox page's away panel: set an away period with a delegate who holds the same role, see
//! whom one stands in for, and (security admins) every delegation not over.

use crate::api::away::{away, EndAway, SetAway};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{ErrorMessage, Loading};
use crate::dto_notices::{AwayView, DelegableRole, DelegationView};
use leptos::prelude::*;

#[component]
pub fn AwayPanel() -> impl IntoView {
    let set = ServerAction::<SetAway>::new();
    let end = ServerAction::<EndAway>::new();
    let data = Resource::new(
        move || (set.version().get(), end.version().get()),
        |_| away(),
    );
    view! {
        <section aria-labelledby="away-heading" class="mt-8 rounded-lg border border-slate-200 bg-white p-4" data-testid="away-panel">
            <h2 id="away-heading" class="text-base font-semibold text-slate-900">"While you are away"</h2>
            <p class="mt-1 text-sm text-slate-600">"Name a colleague who holds the same role. Until you are back, changes that need your role reach them, and they may sign for you; the sign-off records both names."</p>
            <p role="status" aria-live="polite" class="mt-2 min-h-5 text-sm" data-testid="away-outcome">
                {move || set.value().get().or_else(|| end.value().get()).map(|r| match r {
                    Ok(message) => view! { <span class="font-medium text-emerald-800">{message}</span> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                })}
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    data.await.ok().map(|view| view! { <AwayBody view set end /> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AwayBody(
    view: AwayView,
    set: ServerAction<SetAway>,
    end: ServerAction<EndAway>,
) -> impl IntoView {
    let list = |items: Vec<DelegationView>, endable: bool, testid: &'static str| {
        items
            .into_iter()
            .map(|d| {
                let id = d.id.clone();
                let label = format!("End the delegation to {} now", d.delegate);
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 rounded-md border border-slate-200 p-2 text-sm" data-testid=testid>
                        <span>
                            <span class="font-medium">{format!("{} → {}", d.principal, d.delegate)}</span>
                            {format!(" as {}, {} – {}", d.role, d.from, d.until)}
                            {d.in_force.then(|| view! { <span class="ml-2 rounded bg-emerald-100 px-1 text-xs text-emerald-900">"in force"</span> })}
                            <span class="block text-xs text-slate-600">{d.reason}</span>
                        </span>
                        {endable.then(|| view! {
                            <button type="button" class=SECONDARY aria-label=label disabled=move || end.pending().get()
                                on:click=move |_| { end.dispatch(EndAway { id: id.clone() }); }>
                                "End now"
                            </button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    let mine = view.mine.clone();
    let standing = view.standing_in_for.clone();
    view! {
        {(!mine.is_empty()).then(|| view! {
            <h3 class="mt-3 text-sm font-semibold">"Your away periods"</h3>
            <ul class="mt-1 space-y-1">{list(mine, true, "my-delegation")}</ul>
        })}
        {(!standing.is_empty()).then(|| view! {
            <h3 class="mt-3 text-sm font-semibold">"You stand in for"</h3>
            <ul class="mt-1 space-y-1">{list(standing, false, "standing-in-for")}</ul>
        })}
        {(!view.candidates.is_empty()).then(|| view! { <AwayForm candidates=view.candidates.clone() set /> })}
        {view.all.map(|all| view! {
            <h3 class="mt-4 text-sm font-semibold">"Every delegation (security admins)"</h3>
            {if all.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-600" data-testid="no-delegations">"Nobody is away with a delegate."</p> }.into_any()
            } else {
                view! { <ul class="mt-1 space-y-1">{list(all, true, "any-delegation")}</ul> }.into_any()
            }}
        })}
    }
}

#[component]
fn AwayForm(candidates: Vec<DelegableRole>, set: ServerAction<SetAway>) -> impl IntoView {
    let role = RwSignal::new(
        candidates
            .first()
            .map(|c| c.role.clone())
            .unwrap_or_default(),
    );
    let role_options = candidates
        .iter()
        .map(|c| view! { <option value=c.role.clone()>{c.label.clone()}</option> })
        .collect_view();
    let people = move || {
        candidates
            .iter()
            .find(|c| c.role == role.get())
            .map(|c| c.people.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|(id, name)| view! { <option value=id>{name}</option> })
            .collect_view()
    };
    view! {
        <ActionForm action=set attr:class="mt-4 grid gap-3 md:grid-cols-5 md:items-end" attr:data-testid="away-form">
            <label class="text-sm">
                <span class=LABEL>"Role"</span>
                <select name="role" class=INPUT on:change=move |ev| role.set(event_target_value(&ev))>{role_options}</select>
            </label>
            <label class="text-sm">
                <span class=LABEL>"Delegate"</span>
                <select name="delegate" class=INPUT required>{people}</select>
            </label>
            <label class="text-sm">
                <span class=LABEL>"From (UTC, empty: now)"</span>
                <input type="datetime-local" name="from" class=INPUT />
            </label>
            <label class="text-sm">
                <span class=LABEL>"Until (UTC)"</span>
                <input type="datetime-local" name="until" class=INPUT required />
            </label>
            <label class="text-sm">
                <span class=LABEL>"Reason"</span>
                <input name="reason" class=INPUT required minlength="3" maxlength="200" placeholder="Annual leave" />
            </label>
            <div class="md:col-span-5">
                <button type="submit" class=BUTTON disabled=move || set.pending().get()>
                    {move || if set.pending().get() { "Saving…" } else { "Set away" }}
                </button>
            </div>
        </ActionForm>
    }
}
