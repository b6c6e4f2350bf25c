use crate::api::load_sign_in_choices;
use crate::components::ui::{ErrorPanel, Loading};
use crate::dto::{PersonaView, SignInChoices};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What a refused sign-in's code means to the person who tried.
fn explain(code: &str) -> &'static str {
    match code {
        "state_mismatch" => "Sign-in was refused: the answer from your identity provider did not match the sign-in started in this browser, so it may have been tampered with. Please start again.",
        "no_sign_in_in_progress" => "Sign-in was refused: no sign-in was in progress in this browser (the link may already have been used). Please start again.",
        "sign_in_expired" => "The sign-in took too long to complete. Please start again.",
        "idp_error" => "Your identity provider did not complete the sign-in.",
        "code_missing" | "code_exchange_failed" | "id_token_missing" | "id_token_invalid" => "Your identity provider's answer could not be verified, so you were not signed in. Please start again; if it keeps happening, tell your administrator.",
        "idp_unavailable" => "The identity provider cannot be reached right now. Try again in a minute.",
        "sso_not_configured" => "Single sign-on is not configured on this console.",
        "unknown_persona" => "That demo persona does not exist.",
        _ => "Sign-in did not complete. Please start again.",
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let error = move || query.read().get("error");
    let signed_out = move || query.read().get("signed_out").is_some();
    let choices = Resource::new(|| (), |()| load_sign_in_choices());
    view! {
        <leptos_meta::Title text="Sign in" />
        <main id="main" class="mx-auto flex min-h-screen max-w-3xl flex-col justify-center px-4 py-12">
            <div class="mb-8 flex items-center gap-3">
                <span aria-hidden="true" class="inline-block h-7 w-7 rounded-sm bg-amber-400"></span>
                <h1 class="text-3xl font-semibold tracking-tight">"Sign in to Countersign"</h1>
            </div>
            <p class="mb-6 text-slate-600">
                "The console where people countersign what AI agents draft before anything reaches production."
            </p>
            {move || error().map(|code| view! {
                <div role="alert" class="mb-6 rounded-md border border-red-200 bg-red-50 p-4 text-red-900" data-testid="signin-error">
                    {explain(&code)}
                </div>
            })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok(choices) => view! {
                            {signed_out().then(|| view! { <SignedOut idp_url=choices.idp_sign_out_url.clone() /> })}
                            <Choices choices next=next() />
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn SignedOut(idp_url: Option<String>) -> impl IntoView {
    view! {
        <div role="status" class="mb-6 rounded-md border border-emerald-200 bg-emerald-50 p-4 text-emerald-900">
            <p>"You have signed out of Countersign."</p>
            {idp_url.map(|href| view! {
                <p class="mt-1 text-sm">
                    "On a shared computer, also "
                    <a class="font-medium underline" href=href rel="external">"sign out of your identity provider"</a>
                    "."
                </p>
            })}
        </div>
    }
}

#[component]
fn Choices(choices: SignInChoices, next: String) -> impl IntoView {
    let login_href = format!(
        "/auth/login?next={}",
        next.replace('%', "%25")
            .replace('&', "%26")
            .replace('#', "%23")
            .replace('?', "%3F")
    );
    let sso = choices.sso_enabled.then(|| {
        let unavailable = choices.sso_unavailable.clone();
        view! {
            <section class="mb-8 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <h2 class="text-lg font-semibold">"Your organisation's account"</h2>
                {unavailable.map(|why| view! { <p role="alert" class="mt-2 text-amber-800">{why}</p> })}
                <a
                    href=login_href
                    rel="external"
                    class="mt-4 inline-block rounded-md bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900"
                >
                    "Sign in with single sign-on"
                </a>
            </section>
        }
    });
    let demo = (!choices.personas.is_empty()).then(|| {
        let personas = choices
            .personas
            .into_iter()
            .map(|persona| view! { <Persona persona next=next.clone() /> })
            .collect_view();
        view! {
            <section aria-labelledby="demo-heading">
                <h2 id="demo-heading" class="text-lg font-semibold">"Demo personas"</h2>
                <p class="mt-1 text-sm text-slate-600">
                    "This console runs in demo mode: pick a person to sign in as. Demo mode only listens on this computer."
                </p>
                <ul class="mt-4 grid gap-3 sm:grid-cols-2">{personas}</ul>
            </section>
        }
    });
    let nothing = (!choices.sso_enabled && demo.is_none()).then(|| {
        view! { <p>"No way to sign in is configured. Set COUNTERSIGN_OIDC_ISSUER, or start with --demo."</p> }
    });
    view! { {sso} {demo} {nothing} }
}

#[component]
fn Persona(persona: PersonaView, next: String) -> impl IntoView {
    let roles = if persona.roles.is_empty() {
        "No role".to_owned()
    } else {
        persona.roles.join(" · ")
    };
    view! {
        <li>
            <form method="post" action="/auth/demo" class="h-full">
                <input type="hidden" name="persona" value=persona.key.clone() />
                <input type="hidden" name="next" value=next />
                <button
                    type="submit"
                    class="h-full w-full rounded-lg border border-slate-200 bg-white p-4 text-left shadow-sm hover:border-slate-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-900"
                >
                    <span class="block font-semibold text-slate-900">{persona.name.clone()}</span>
                    <span class="block text-sm font-medium text-slate-700">{roles}</span>
                    <span class="mt-1 block text-sm text-slate-500">{persona.blurb.clone()}</span>
                </button>
            </form>
        </li>
    }
}
