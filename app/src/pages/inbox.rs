//! The inbox: every notice the signed-in person received (a change waiting for their role, how
//! their identities' changes ended, what security admins must look at), newest first, with how
//! they want to be reached besides.

use crate::api::notices::{inbox, notice_settings, MarkNotices, SaveNoticeSettings};
use crate::components::layout::SessionResource;
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::components::ui::{EmptyState, ErrorMessage, ErrorPanel, Loading, PageTitle};
use crate::dto_notices::{InboxView, NoticeSettingsView, NoticeView};
use leptos::prelude::*;

#[component]
pub fn InboxPage() -> impl IntoView {
    let mark = ServerAction::<MarkNotices>::new();
    let unread_only = RwSignal::new(false);
    let data = Resource::new(
        move || (mark.version().get(), unread_only.get()),
        |(_, unread)| inbox(Some(unread), None),
    );
    // The header's bell counts unread notices: it follows what is marked here.
    if let Some(session) = use_context::<SessionResource>() {
        Effect::new(move |previous: Option<usize>| {
            let version = mark.version().get();
            if previous.is_some_and(|p| p != version) {
                session.refetch();
            }
            version
        });
    }
    view! {
        <PageTitle
            title="Inbox"
            subtitle="What waits for you, and what happened to what you own. Each notice links to the page where you act."
        />
        <div class="mb-4 flex flex-wrap items-center gap-3">
            <div role="group" aria-label="Show" class="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
                <button
                    type="button"
                    class="rounded px-3 py-1 text-sm aria-pressed:bg-slate-900 aria-pressed:text-white"
                    aria-pressed=move || (!unread_only.get()).to_string()
                    on:click=move |_| unread_only.set(false)
                >
                    "All"
                </button>
                <button
                    type="button"
                    class="rounded px-3 py-1 text-sm aria-pressed:bg-slate-900 aria-pressed:text-white"
                    aria-pressed=move || unread_only.get().to_string()
                    on:click=move |_| unread_only.set(true)
                >
                    "Unread"
                </button>
            </div>
            <button
                type="button"
                class=SECONDARY
                data-testid="mark-all-read"
                disabled=move || mark.pending().get()
                on:click=move |_| {
                    mark.dispatch(MarkNotices { id: None, read: Some(true) });
                }
            >
                "Mark all read"
            </button>
            <p role="status" aria-live="polite" class="text-sm">
                {move || mark.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorMessage error /> })}
            </p>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Notices view mark /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <Settings />
        <super::away::AwayPanel />
    }
}

#[component]
fn Notices(view: InboxView, mark: ServerAction<MarkNotices>) -> impl IntoView {
    if view.notices.is_empty() {
        return view! {
            <EmptyState title="Nothing here">
                <p>"When a change needs your sign-off, when a change you own moves on, or when something needs a security admin, it appears here first. Choose below whether it should also reach you by email or chat."</p>
            </EmptyState>
        }
        .into_any();
    }
    let unread = view.unread;
    view! {
        <p class="mb-2 text-sm text-slate-600" data-testid="inbox-unread">
            {format!("{unread} unread")}
        </p>
        <ul class="space-y-2" data-testid="inbox">
            {view.notices.into_iter().map(|notice| view! { <Notice notice mark /> }).collect_view()}
        </ul>
        {view.next.is_some().then(|| view! {
            <p class="mt-3 text-sm text-slate-600">"Older notices are not shown: mark these read to see fewer."</p>
        })}
    }
    .into_any()
}

#[component]
fn Notice(notice: NoticeView, mark: ServerAction<MarkNotices>) -> impl IntoView {
    let id = notice.id.clone();
    let read = notice.read;
    let toggle_label = if read { "Mark unread" } else { "Mark read" };
    let toggle_aria = format!("{toggle_label}: {}", notice.title);
    let card = if read {
        "rounded-lg border border-slate-200 bg-white p-4"
    } else {
        "rounded-lg border-l-4 border-amber-500 border-y border-r border-y-slate-200 border-r-slate-200 bg-white p-4"
    };
    view! {
        <li class=card data-testid="notice" data-read=read.to_string() data-kind=notice.kind.clone()>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0 flex-1">
                    <p class="font-medium text-slate-900">
                        {(!read).then(|| view! { <span class="sr-only">"Unread: "</span> })}
                        <a href=notice.link.clone() class="underline decoration-slate-300 underline-offset-2 hover:decoration-slate-900 focus-visible:outline-2 focus-visible:outline-slate-900">
                            {notice.title.clone()}
                        </a>
                    </p>
                    <p class="mt-1 text-sm text-slate-700">{format!("For: {}", notice.concerning)}</p>
                    {notice.on_behalf_of.clone().map(|name| view! {
                        <p class="mt-1 text-sm text-slate-700">{format!("You stand in for {name}")}</p>
                    })}
                    <p class="mt-1 text-xs text-slate-600">
                        {format!("Received {}", notice.received)}
                        {notice.due.clone().map(|due| {
                            let class = if notice.overdue { "ml-2 font-semibold text-red-800" } else { "ml-2 font-medium text-slate-800" };
                            let text = if notice.overdue { format!("Overdue since {due}") } else { format!("Due {due}") };
                            view! { <span class=class>{text}</span> }
                        })}
                    </p>
                </div>
                <button
                    type="button"
                    class=SECONDARY
                    aria-label=toggle_aria
                    disabled=move || mark.pending().get()
                    on:click=move |_| {
                        mark.dispatch(MarkNotices { id: Some(id.clone()), read: Some(!read) });
                    }
                >
                    {toggle_label}
                </button>
            </div>
        </li>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let save = ServerAction::<SaveNoticeSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| notice_settings());
    view! {
        <section aria-labelledby="notice-settings-heading" class="mt-8 rounded-lg border border-slate-200 bg-white p-4">
            <h2 id="notice-settings-heading" class="text-base font-semibold text-slate-900">"How you are reached"</h2>
            <p class="mt-1 text-sm text-slate-600">"Your inbox always receives every notice. Choose where copies go, when, and when never."</p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    settings.await.ok().map(|current| view! { <SettingsForm current save /> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SettingsForm(
    current: NoticeSettingsView,
    save: ServerAction<SaveNoticeSettings>,
) -> impl IntoView {
    let channel = |name: &'static str,
                   label: &'static str,
                   checked: bool,
                   available: bool,
                   why: &'static str| {
        view! {
            <label class="flex items-start gap-2 text-sm">
                // A disabled box is not sent: the choice is kept for when the channel exists.
                {(!available && checked).then(|| view! { <input type="hidden" name=name value="on" /> })}
                <input type="checkbox" name=name value="on" checked=checked disabled=!available class="mt-0.5" />
                <span>
                    <span class="font-medium text-slate-800">{label}</span>
                    {(!available).then(|| view! { <span class="block text-xs text-slate-600">{why}</span> })}
                </span>
            </label>
        }
    };
    let offsets = (-48..=56)
        .map(|q: i16| q * 15)
        .map(|minutes| {
            let sign = if minutes < 0 { '-' } else { '+' };
            let label = format!("UTC{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60);
            view! { <option value=minutes.to_string() selected=minutes == current.utc_offset_minutes>{label}</option> }
        })
        .collect_view();
    let hours = (0..24u8)
        .map(|h| view! { <option value=h.to_string() selected=h == current.digest_hour>{format!("{h:02}:00")}</option> })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="mt-4 grid gap-6 md:grid-cols-3" attr:data-testid="notice-settings">
            <fieldset class="space-y-2">
                <legend class=LABEL>"Also send to"</legend>
                {channel("email", "Email", current.email, current.email_configured && current.has_email,
                    if current.email_configured { "Your sign-in gave no email address." } else { "The operator has not configured email." })}
                {channel("slack", "Slack", current.slack, current.slack_configured, "The operator has not configured Slack.")}
                {channel("teams", "Microsoft Teams", current.teams, current.teams_configured, "The operator has not configured Teams.")}
            </fieldset>
            <fieldset class="space-y-2">
                <legend class=LABEL>"When"</legend>
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name="delivery" value="immediate" checked=!current.daily_digest />
                    "As each notice arrives"
                </label>
                <label class="flex items-center gap-2 text-sm">
                    <input type="radio" name="delivery" value="daily" checked=current.daily_digest />
                    "One daily digest at"
                </label>
                <select name="digest_hour" aria-label="Digest time" class=INPUT>{hours}</select>
            </fieldset>
            <fieldset class="space-y-2">
                <legend class=LABEL>"Quiet hours (nothing is sent)"</legend>
                <div class="flex gap-2">
                    <label class="text-sm">
                        <span class="text-xs text-slate-600">"From"</span>
                        <input type="time" name="quiet_from" value=current.quiet_from.clone() class=INPUT />
                    </label>
                    <label class="text-sm">
                        <span class="text-xs text-slate-600">"To"</span>
                        <input type="time" name="quiet_to" value=current.quiet_to.clone() class=INPUT />
                    </label>
                </div>
                <label class="block text-sm">
                    <span class="text-xs text-slate-600">"Your time zone"</span>
                    <select name="utc_offset" class=INPUT>{offsets}</select>
                </label>
            </fieldset>
            <div class="md:col-span-3 flex flex-wrap items-center gap-3">
                <button type="submit" class=BUTTON disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
                <p role="status" aria-live="polite" class="text-sm" data-testid="notice-settings-outcome">
                    {move || save.value().get().map(|r| match r {
                        Ok(message) => view! { <span class="font-medium text-emerald-800">{message}</span> }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    })}
                </p>
            </div>
        </ActionForm>
    }
}
