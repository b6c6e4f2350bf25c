use crate::api::current_session;
use crate::dto::SessionView;
use crate::error::UiError;
use leptos::prelude::*;
use leptos_router::components::A;

/// The signed-in person, shared by the header and the pages.
pub type SessionResource = Resource<Result<Option<SessionView>, UiError>>;

const AREAS: [(&str, &str, &str); 11] = [
    ("queue", "/queue", "Queue"),
    ("workflows", "/workflows", "Workflows"),
    ("identities", "/identities", "Identities"),
    ("data-access", "/data-access", "Data access"),
    ("review-quality", "/review-quality", "Review quality"),
    ("flow", "/flow", "Flow"),
    ("deliveries", "/deliveries", "Deliveries"),
    ("compliance", "/compliance", "Compliance"),
    ("audit", "/audit", "Audit"),
    ("investigate", "/investigate", "Investigate"),
    ("directory", "/directory", "Directory"),
];

/// Header, navigation by role, and the page.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let session: SessionResource = Resource::new(|| (), |()| current_session());
    provide_context(session);
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
        >
            "Skip to content"
        </a>
        <header class="bg-slate-900 text-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-8 gap-y-3 px-4 py-3">
                <a
                    href="/"
                    class="flex items-center gap-2 text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-amber-300"
                >
                    <span aria-hidden="true" class="inline-block h-5 w-5 rounded-sm bg-amber-400"></span>
                    "Countersign"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.await {
                            Ok(Some(person)) => view! { <Navigation person /> }.into_any(),
                            _ => ().into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
        <main id="main" tabindex="-1" class="mx-auto max-w-6xl px-4 py-8 focus:outline-none">
            {children()}
        </main>
    }
}

#[component]
fn Navigation(person: SessionView) -> impl IntoView {
    let links = AREAS
        .iter()
        .filter(|(key, _, _)| person.can(key))
        .map(|(_, href, label)| {
            view! {
                <li>
                    <A
                        href=*href
                        attr:class="block rounded px-3 py-2 text-sm font-medium text-slate-200 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-700 aria-[current=page]:text-white focus-visible:outline-2 focus-visible:outline-amber-300"
                    >
                        {*label}
                    </A>
                </li>
            }
        })
        .collect_view();
    let roles = person
        .roles
        .iter()
        .map(|role| {
            view! {
                <li class="rounded-full bg-slate-700 px-2 py-0.5 text-xs font-medium text-slate-100">
                    {role.clone()}
                </li>
            }
        })
        .collect_view();
    let unread = person.unread_notices;
    let bell_label = match unread {
        0 => "Inbox, nothing unread".to_owned(),
        1 => "Inbox, 1 unread notice".to_owned(),
        n => format!("Inbox, {n} unread notices"),
    };
    view! {
        <nav aria-label="Main" class="flex-1">
            <ul class="flex flex-wrap gap-1">{links}</ul>
        </nav>
        <div class="flex flex-wrap items-center gap-3">
            <A
                href="/inbox"
                attr:aria-label=bell_label
                attr:data-testid="inbox-bell"
                attr:class="relative rounded p-2 text-slate-200 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-700 focus-visible:outline-2 focus-visible:outline-amber-300"
            >
                <svg aria-hidden="true" viewBox="0 0 24 24" class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                    <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
                    <path d="M13.73 21a2 2 0 0 1-3.46 0" />
                </svg>
                {(unread > 0).then(|| view! {
                    <span
                        aria-hidden="true"
                        data-testid="inbox-count"
                        class="absolute -right-1 -top-1 min-w-5 rounded-full bg-amber-400 px-1 text-center text-xs font-semibold text-slate-900"
                    >
                        {if unread > 99 { "99+".to_owned() } else { unread.to_string() }}
                    </span>
                })}
            </A>
            <div class="text-right">
                <p class="text-sm font-medium" data-testid="signed-in-name">{person.name.clone()}</p>
                <ul class="mt-0.5 flex flex-wrap justify-end gap-1" aria-label="Your roles">
                    {roles}
                </ul>
            </div>
            <SignOutButton dark=true />
        </div>
    }
}

/// A real form POST, so signing out works with or without the WebAssembly loaded.
#[component]
pub fn SignOutButton(#[prop(optional)] dark: bool) -> impl IntoView {
    let class = if dark {
        "rounded border border-slate-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-amber-300"
    } else {
        "rounded border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-slate-900"
    };
    view! {
        <form method="post" action="/auth/logout">
            <button type="submit" class=class>
                "Sign out"
            </button>
        </form>
    }
}
