use crate::error::UiError;
use leptos::prelude::*;

/// Class lists shared by forms across pages.
pub mod style {
    pub const BUTTON: &str = "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900";
    pub const SECONDARY: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900";
    pub const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm focus:border-slate-900 focus:outline-2 focus:outline-slate-900";
    pub const LABEL: &str = "block text-sm font-medium text-slate-800";
}

/// Adds `id` to the list if absent, removes it if present (a checkbox's change).
pub fn toggle_in(list: &mut Vec<String>, id: &str) {
    if let Some(at) = list.iter().position(|x| x == id) {
        list.remove(at);
    } else {
        list.push(id.to_owned());
    }
}

/// Checkboxes to choose people (owners), kept in `chosen` as ids.
#[component]
pub fn PeoplePicker(
    people: Vec<crate::dto::PersonView>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    people
        .into_iter()
        .map(|person| {
            let id = person.id.clone();
            let toggle = id.clone();
            view! {
                <label class="flex items-center gap-2 text-sm">
                    <input
                        type="checkbox"
                        prop:checked=move || chosen.read().contains(&id)
                        on:change=move |_| chosen.update(|list| toggle_in(list, &toggle))
                    />
                    {person.name.clone()}
                </label>
            }
        })
        .collect_view()
}

#[component]
pub fn PageTitle(title: &'static str, subtitle: &'static str) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title />
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            <p class="mt-1 text-slate-600">{subtitle}</p>
        </div>
    }
}

/// An error as the person should read it, with the way forward when there is one.
#[component]
pub fn ErrorPanel(error: UiError) -> impl IntoView {
    let sign_in = matches!(error, UiError::SignInRequired);
    view! {
        <div role="alert" class="rounded-md border border-red-200 bg-red-50 p-4 text-red-900">
            <p class="font-medium">{error.to_string()}</p>
            {sign_in
                .then(|| {
                    view! {
                        <p class="mt-2">
                            <a class="font-medium underline" href="/signin" rel="external">
                                "Sign in"
                            </a>
                        </p>
                    }
                })}
        </div>
    }
}

/// Where "confirm it is you" leads: a fresh sign-in that returns to this page.
pub fn reauth_href() -> String {
    let location = leptos_router::hooks::use_location();
    let here = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    let here = if here.starts_with('/') {
        here
    } else {
        "/".to_owned()
    };
    let next: String = url_encode(&here);
    format!("/auth/reauth?next={next}")
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The outcome of an action that failed, inline: the reason, and when a fresher sign-in is what
/// is missing, the link that gets one and comes back here.
#[component]
pub fn ErrorMessage(error: UiError) -> impl IntoView {
    let reauth = matches!(error, UiError::ReauthRequired(_)).then(reauth_href);
    view! {
        <span class="font-medium text-red-800">
            {error.to_string()}
            {reauth.map(|href| view! {
                " "
                <a class="underline" href=href rel="external" data-testid="reauth-link">"Confirm it is you"</a>
            })}
        </span>
    }
}

/// What a page shows when it has nothing yet, and what will appear there.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
            <h2 class="text-lg font-semibold text-slate-900">{title}</h2>
            <div class="mx-auto mt-2 max-w-2xl space-y-2 text-slate-600">{children()}</div>
        </section>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="text-slate-500" role="status">
            "Loading…"
        </p>
    }
}

/// A secret shown once: what it is, what to do with it, and a button to dismiss it for good.
#[component]
pub fn SecretPanel(
    title: String,
    instructions: &'static str,
    /// Lines shown above the secret (e.g. the client id), label and value.
    #[prop(optional)]
    details: Vec<(&'static str, String)>,
    secret: String,
    testid: &'static str,
    on_done: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    use style::SECONDARY;
    let details = details
        .into_iter()
        .map(|(label, value)| {
            let testid = format!("detail-{}", label.to_lowercase().replace(' ', "-"));
            view! {
                <p class="mt-2 text-sm">
                    <span class="font-medium">{label}": "</span>
                    <code data-testid=testid class="break-all rounded bg-white px-1 font-mono">{value}</code>
                </p>
            }
        })
        .collect_view();
    view! {
        <div class="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-4">
            <p class="font-semibold">{title}</p>
            <p class="text-sm text-slate-700">{instructions}</p>
            {details}
            <code data-testid=testid class="mt-2 block break-all rounded bg-white p-2 font-mono text-sm">{secret}</code>
            <button type="button" class=format!("mt-3 {SECONDARY}") on:click=move |_| on_done()>"I have copied it"</button>
        </div>
    }
}

/// *Download evidence* for a change or workflow, shown to those who may export packs: one file
/// an auditor checks offline with `countersign-verify`.
#[component]
pub fn EvidenceLink(href: String) -> impl IntoView {
    let session = use_context::<crate::components::layout::SessionResource>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let href = href.clone();
                Suspend::new(async move {
                    let allowed = match session {
                        Some(session) => matches!(session.await, Ok(Some(person)) if person.may_export_evidence),
                        None => false,
                    };
                    allowed.then(|| view! {
                        <a
                            href=href
                            download
                            rel="external"
                            data-testid="download-evidence"
                            class=style::SECONDARY
                        >
                            "Download evidence"
                        </a>
                    })
                })
            }}
        </Suspense>
    }
}
