//! The approval gate's panels on a change's page: the text with its claims (and marking new
//! ones by selecting text), the claims to judge, the evidence checks, the rollback plan, the
//! required sign-offs and the sign-off form, the history, and the diff between versions.

use crate::api::gate::{
    LoadDiff, LoadFullText, MarkClaim, ReviewClaim, SaveRollbackPlan, SignOffChange,
};
use crate::components::ui::style::{BUTTON, INPUT, LABEL, SECONDARY};
use crate::dto_gate::{ClaimView, EvidenceView, GateView, RollbackView, SignoffForm, SignoffView};
use crate::error::UiError;
use leptos::prelude::*;

/// The gate's commands, shared by the panels so the page reloads after any of them.
#[derive(Clone, Copy)]
pub struct GateCommands {
    pub sign: ServerAction<SignOffChange>,
    pub mark: ServerAction<MarkClaim>,
    pub review: ServerAction<ReviewClaim>,
    pub rollback: ServerAction<SaveRollbackPlan>,
    pub roll_back: ServerAction<crate::api::effects::RollBack>,
    /// Bumped to reload while a delivery is under way (publishing, rolling back).
    pub tick: RwSignal<u32>,
}

impl GateCommands {
    pub fn new() -> Self {
        Self {
            sign: ServerAction::new(),
            mark: ServerAction::new(),
            review: ServerAction::new(),
            rollback: ServerAction::new(),
            roll_back: ServerAction::new(),
            tick: RwSignal::new(0),
        }
    }

    /// Changes whenever a command finishes: the page's data depends on it.
    pub fn version(&self) -> (usize, usize, usize, usize, usize, u32) {
        (
            self.sign.version().get(),
            self.mark.version().get(),
            self.review.version().get(),
            self.rollback.version().get(),
            self.roll_back.version().get(),
            self.tick.get(),
        )
    }
}

impl Default for GateCommands {
    fn default() -> Self {
        Self::new()
    }
}

/// The message of a finished command, as a status line.
pub fn outcome(result: Option<Result<String, UiError>>) -> AnyView {
    match result {
        Some(Ok(message)) => view! { <p role="status" data-testid="gate-message" class="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">{message}</p> }.into_any(),
        Some(Err(error)) => view! { <p role="alert" data-testid="gate-error" class="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">{error.to_string()}</p> }.into_any(),
        None => ().into_any(),
    }
}

/// The reviewable text with claims highlighted; legal reviewers select words to mark a claim.
/// A long text arrives in part: the rest is served when the reviewer asks for it, and the
/// server records that it did (review quality is measured there, not here).
#[component]
pub fn ReviewText(change: String, gate: GateView, commands: GateCommands) -> impl IntoView {
    let load_full = ServerAction::<LoadFullText>::new();
    let text = Signal::derive({
        let start = gate.text.clone();
        move || match load_full.value().get() {
            Some(Ok(full)) => full,
            _ => start.clone(),
        }
    });
    let complete = Signal::derive({
        let complete = gate.text_complete;
        move || complete || matches!(load_full.value().get(), Some(Ok(_)))
    });
    // The text is the content, or a set's base: its claims are those in no named variant.
    let claims: Vec<ClaimView> = gate
        .claims
        .iter()
        .filter(|c| c.variant.is_empty())
        .cloned()
        .collect();
    let segments = move || highlight(&text.get(), &claims);
    let base = gate.variants.first().map(|v| {
        format!(
            "Base variant {} · {} · to {} · the other {} variant(s) are below, as their differences from it",
            v.name,
            v.audience,
            v.target,
            gate.variants.len() - 1
        )
    });
    let container = NodeRef::<leptos::html::Pre>::new();
    let hint = RwSignal::new(String::new());
    let version = gate.current_version;
    let mark_change = change.clone();
    let mark = move |_| match selected_span(container, &text.get_untracked()) {
        Some((start, end)) => {
            hint.set(String::new());
            commands.mark.dispatch(MarkClaim {
                change: mark_change.clone(),
                version,
                start,
                end,
            });
        }
        None => hint.set("Select words in the text above first.".to_owned()),
    };
    let show_all = move |_| {
        if !complete.get_untracked() {
            load_full.dispatch(LoadFullText {
                change: change.clone(),
                version,
            });
        }
        if let Some(element) = container.get() {
            let _ = element.style(("max-height", "none"));
        }
    };
    view! {
        <section aria-labelledby="text-heading" class="rounded-lg border border-slate-200 bg-white p-5">
            <h2 id="text-heading" class="mb-1 text-lg font-semibold">"Text under review"</h2>
            {base.map(|line| view! { <p class="mb-1 text-sm font-medium text-slate-700" data-testid="base-variant">{line}</p> })}
            <p class="mb-2 text-xs text-slate-500">
                {format!("Version {} · {} words · ", gate.current_version, gate.words)}
                <span class="break-all font-mono" data-testid="content-hash">{gate.current_hash.clone()}</span>
                {gate.version_event_seq.map(|seq| view! {
                    " · "<a class="underline" data-testid="version-ledger" href=format!("/audit?before={}", seq + 1)>"ledger entry"</a>
                })}
            </p>
            <pre
                node_ref=container
                data-testid="review-text"
                data-complete=move || complete.get().to_string()
                tabindex="0"
                aria-label="Text under review; claims are highlighted"
                class="max-h-96 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-3 font-sans text-sm"
            >{segments}</pre>
            {move || (!complete.get()).then(|| view! {
                <p class="mt-1 text-xs text-amber-800" data-testid="text-truncated">"This is the start of the text. Show the full text to read the rest before you sign."</p>
            })}
            <div class="mt-2 flex flex-wrap items-center gap-2">
                <button type="button" class=SECONDARY on:click=show_all data-testid="show-full" disabled=move || load_full.pending().get()>
                    {move || if load_full.pending().get() { "Loading the full text…" } else { "Show the full text" }}
                </button>
                {gate.may_review_claims.then(|| view! {
                    <button type="button" class=SECONDARY on:click=mark data-testid="mark-claim">"Mark selected text as a claim"</button>
                })}
                <span class="text-sm text-slate-600" role="status">{move || hint.get()}</span>
            </div>
            {move || load_full.value().get().and_then(Result::err).map(|e| outcome(Some(Err(e))))}
            {move || outcome(commands.mark.value().get())}
        </section>
    }
}

/// The text cut into plain runs and highlighted claims (overlapping claims show once).
fn highlight(text: &str, claims: &[ClaimView]) -> Vec<AnyView> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<&ClaimView> = claims.iter().collect();
    spans.sort_by_key(|c| (c.start, c.end));
    let mut out = Vec::new();
    let mut at = 0usize;
    for claim in spans {
        if claim.start < at || claim.end > chars.len() {
            continue;
        }
        if claim.start > at {
            out.push(chars[at..claim.start].iter().collect::<String>().into_any());
        }
        let colour = match claim.status.as_str() {
            "substantiated" => "bg-emerald-100",
            "open" => "bg-amber-200",
            _ => "bg-red-200",
        };
        let label = format!("Claim, {}", claim.status_label.to_lowercase());
        out.push(
            view! {
                <mark class=format!("{colour} rounded px-0.5") title=label.clone() aria-label=label data-testid="claim-highlight">
                    {chars[claim.start..claim.end].iter().collect::<String>()}
                </mark>
            }
            .into_any(),
        );
        at = claim.end;
    }
    if at < chars.len() {
        out.push(chars[at..].iter().collect::<String>().into_any());
    }
    out
}

/// The selection inside `container` as character offsets of `text`.
#[cfg(feature = "hydrate")]
fn selected_span(container: NodeRef<leptos::html::Pre>, text: &str) -> Option<(usize, usize)> {
    let element = container.get()?;
    let window = web_sys::window()?;
    let selection = window.get_selection().ok()??;
    if selection.range_count() == 0 || selection.is_collapsed() {
        return None;
    }
    let range = selection.get_range_at(0).ok()?;
    let inside = element.contains(Some(&range.common_ancestor_container().ok()?));
    if !inside {
        return None;
    }
    let prefix = window.document()?.create_range().ok()?;
    prefix.select_node_contents(&element).ok()?;
    prefix
        .set_end(&range.start_container().ok()?, range.start_offset().ok()?)
        .ok()?;
    // The browser counts UTF-16 units; claims count characters.
    let start16 = String::from(prefix.to_string()).encode_utf16().count();
    let len16 = String::from(range.to_string()).encode_utf16().count();
    let (mut units, mut start, mut end) = (0usize, None, None);
    for (n, c) in text.chars().enumerate() {
        if units == start16 {
            start = Some(n);
        }
        if units == start16 + len16 {
            end = Some(n);
        }
        units += c.len_utf16();
    }
    if units == start16 + len16 {
        end = end.or(Some(text.chars().count()));
    }
    let (start, end) = (start?, end?);
    (end > start).then_some((start, end))
}

#[cfg(not(feature = "hydrate"))]
fn selected_span(_: NodeRef<leptos::html::Pre>, _: &str) -> Option<(usize, usize)> {
    None
}

/// The claims of the current version, each with its judgement; legal reviewers judge here.
#[component]
pub fn ClaimsPanel(change: String, gate: GateView, commands: GateCommands) -> impl IntoView {
    let may_review = gate.may_review_claims;
    let intro = if gate.claims_reviewed {
        "Every claim must be substantiated before this change can be approved."
    } else {
        "Internal content at this tier needs no legal review; claims are shown for information."
    };
    let rows = if gate.claims.is_empty() {
        view! { <p class="text-sm text-slate-500">"No claims found. Legal reviewers can mark any words of the text as a claim."</p> }.into_any()
    } else {
        gate.claims
            .into_iter()
            .map(|claim| view! { <ClaimRow change=change.clone() claim may_review commands /> })
            .collect_view()
            .into_any()
    };
    view! {
        <section aria-labelledby="claims-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
            <h2 id="claims-heading" class="mb-1 text-lg font-semibold">"Claims"</h2>
            <p class="mb-3 text-slate-600">{intro}</p>
            <div class="space-y-3">{rows}</div>
            <div class="mt-2">{move || outcome(commands.review.value().get())}</div>
        </section>
    }
}

#[component]
fn ClaimRow(
    change: String,
    claim: ClaimView,
    may_review: bool,
    commands: GateCommands,
) -> impl IntoView {
    let status = RwSignal::new("substantiated".to_owned());
    let evidence = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let id = claim.id.clone();
    let save = move |_| {
        commands.review.dispatch(ReviewClaim {
            change: change.clone(),
            claim: id.clone(),
            status: status.get_untracked(),
            evidence: evidence.get_untracked(),
            comment: comment.get_untracked(),
        });
    };
    let found_by = if claim.rules.is_empty() {
        format!("marked by {}", claim.marked_by.clone().unwrap_or_default())
    } else {
        format!("found: {}", claim.rules.join(", "))
    };
    let field = |suffix: &str| format!("claim-{}-{suffix}", claim.id);
    let (status_id, evidence_id, comment_id) =
        (field("status"), field("evidence"), field("comment"));
    view! {
        <div class="rounded border border-slate-200 p-3" data-testid="claim" data-status=claim.status.clone()>
            <p class="font-medium">
                {(!claim.variant.is_empty()).then(|| view! {
                    <span class="mr-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-semibold text-indigo-800" data-testid="claim-variant">{format!("in {}", claim.variant)}</span>
                })}
                "“"{claim.quote.clone()}"”"
            </p>
            <p class="text-xs text-slate-500">{format!("{found_by} · status: {}", claim.status_label)}</p>
            {claim.reviewed.clone().map(|who| view! {
                <p class="text-xs text-slate-600">
                    {format!("Judged by {who}")}
                    {(!claim.evidence.is_empty()).then(|| format!(" · evidence: {}", claim.evidence))}
                    {(!claim.comment.is_empty()).then(|| format!(" · “{}”", claim.comment))}
                    " · "<a class="underline" href=format!("/audit?before={}", claim.event_seq + 1)>"ledger entry"</a>
                </p>
            })}
            {may_review.then(|| view! {
                <div class="mt-2 grid gap-2 md:grid-cols-[12rem_1fr_1fr_auto] md:items-end">
                    <label for=status_id.clone() class=LABEL>
                        "Judgement"
                        <select id=status_id.clone() class=INPUT on:change=move |ev| status.set(event_target_value(&ev))>
                            <option value="substantiated">"Substantiated"</option>
                            <option value="needs_change">"Needs change"</option>
                            <option value="unsupported">"Unsupported"</option>
                        </select>
                    </label>
                    <label for=evidence_id.clone() class=LABEL>
                        "Evidence link or note"
                        <input id=evidence_id.clone() type="text" class=INPUT bind:value=evidence maxlength="2000" />
                    </label>
                    <label for=comment_id.clone() class=LABEL>
                        "Comment"
                        <input id=comment_id.clone() type="text" class=INPUT bind:value=comment maxlength="2000" />
                    </label>
                    <button type="button" class=BUTTON on:click=save data-testid="save-claim">"Save judgement"</button>
                </div>
            })}
        </div>
    }
}

/// The evidence checks: what passes, and what is missing.
#[component]
pub fn EvidencePanel(evidence: Vec<EvidenceView>) -> impl IntoView {
    let rows = evidence
        .into_iter()
        .map(|check| {
            let passed = check.problems.is_empty();
            view! {
                <li data-testid="evidence-check" data-key=check.key.clone() data-passed=passed.to_string() class="py-1">
                    <span class=if passed { "font-medium text-emerald-800" } else { "font-medium text-red-800" }>
                        {format!("{} {}", if passed { "✓" } else { "✗" }, check.label)}
                    </span>
                    {(!passed).then(|| view! {
                        <ul class="ml-5 list-disc text-slate-700">
                            {check.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                        </ul>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="evidence-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
            <h2 id="evidence-heading" class="mb-2 text-lg font-semibold">"Evidence"</h2>
            <ul>{rows}</ul>
        </section>
    }
}

/// The rollback plan in force, and the form to write it.
#[component]
pub fn RollbackPanel(
    change: String,
    plan: Option<RollbackView>,
    may_edit: bool,
    commands: GateCommands,
) -> impl IntoView {
    let steps = RwSignal::new(plan.as_ref().map(|p| p.steps.clone()).unwrap_or_default());
    let previous = RwSignal::new(
        plan.as_ref()
            .and_then(|p| p.restores.strip_prefix("restore ").map(str::to_owned))
            .unwrap_or_default(),
    );
    let first = RwSignal::new(
        plan.as_ref()
            .is_some_and(|p| p.restores.starts_with("first publication")),
    );
    let save = move |_| {
        commands.rollback.dispatch(SaveRollbackPlan {
            change: change.clone(),
            steps: steps.get_untracked(),
            previous: if first.get_untracked() {
                String::new()
            } else {
                previous.get_untracked()
            },
            first_publication: first.get_untracked(),
        });
    };
    view! {
        <section aria-labelledby="rollback-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm">
            <h2 id="rollback-heading" class="mb-2 text-lg font-semibold">"Rollback plan"</h2>
            {match plan.clone() {
                Some(p) => view! {
                    <div data-testid="rollback-plan">
                        <p class="whitespace-pre-wrap">{p.steps}</p>
                        <p class="mt-1 text-slate-600">{format!("Restores: {} · revision {} by {}", p.restores, p.revision, p.written)}</p>
                        <a class="text-xs underline" href=format!("/audit?before={}", p.event_seq + 1)>"ledger entry"</a>
                    </div>
                }.into_any(),
                None => view! { <p class="text-slate-600">"No rollback plan yet. The drafting agent can send one through the API, or an approver can write it here."</p> }.into_any(),
            }}
            {may_edit.then(|| view! {
                <div class="mt-3 space-y-2">
                    <label class="block">
                        <span class=LABEL>"Rollback steps"</span>
                        <textarea class=INPUT rows="3" maxlength="4000" bind:value=steps data-testid="rollback-steps"></textarea>
                    </label>
                    <label class="flex items-center gap-2">
                        <input type="checkbox" bind:checked=first data-testid="rollback-first" />
                        "First publication: rolling back unpublishes"
                    </label>
                    <label class="block">
                        <span class=LABEL>"Version to restore (the target system's reference)"</span>
                        <input type="text" class=INPUT maxlength="200" bind:value=previous prop:disabled=move || first.get() />
                    </label>
                    <button type="button" class=SECONDARY on:click=save data-testid="save-rollback">"Save rollback plan"</button>
                </div>
            })}
            <div class="mt-2">{move || outcome(commands.rollback.value().get())}</div>
        </section>
    }
}

/// The required sign-offs by role, and the form to sign.
#[component]
pub fn SignoffPanel(
    change: String,
    status: String,
    gate: GateView,
    commands: GateCommands,
) -> impl IntoView {
    let roles = gate.sign_as.clone();
    let role = RwSignal::new(roles.first().map(|(v, _)| v.clone()).unwrap_or_default());
    // Signing for an away colleague fixes the role to the one they delegated.
    let on_behalf = RwSignal::new(String::new());
    let stand_in = gate.stand_in_for.clone();
    let decision = RwSignal::new("approve".to_owned());
    let comment = RwSignal::new(String::new());
    let hash = gate.current_hash.clone();
    let evidence_complete = gate.evidence_complete;
    let progress = gate
        .quorum
        .iter()
        .map(|p| {
            let who = if p.approvals.is_empty() { "none yet".to_owned() } else { p.approvals.join(", ") };
            view! {
                <li data-testid="role-progress" data-met=p.met.to_string()>
                    <span class="font-medium">{format!("{} {}: {}/{}", if p.met { "✓" } else { "○" }, p.role, p.approvals.len().min(usize::from(p.need)), p.need)}</span>
                    <span class="text-slate-600">{format!(" — {who}")}</span>
                </li>
            }
        })
        .collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        commands.sign.dispatch(SignOffChange {
            form: SignoffForm {
                change: change.clone(),
                role: role.get_untracked(),
                decision: decision.get_untracked(),
                comment: comment.get_untracked(),
                content_hash: hash.clone(),
                on_behalf_of: Some(on_behalf.get_untracked()).filter(|p| !p.is_empty()),
            },
        });
    };
    let approve_blocked = move || decision.get() == "approve" && !evidence_complete;
    let pending = commands.sign.pending();
    let can_sign = !roles.is_empty() && status == "pending_review";
    let role_choices = roles
        .into_iter()
        .map(|(value, label)| {
            let checked = value.clone();
            let set = value.clone();
            view! {
                <label class="mr-4 inline-flex items-center gap-1">
                    <input type="radio" name="signoff-role" value=value prop:checked=move || role.get() == checked on:change=move |_| role.set(set.clone()) />
                    {label}
                </label>
            }
        })
        .collect_view();
    let decisions = [("approve", "Approve"), ("request_changes", "Request changes"), ("reject", "Reject")]
        .into_iter()
        .map(|(value, label)| view! {
            <label class="mr-4 inline-flex items-center gap-1">
                <input type="radio" name="signoff-decision" value=value prop:checked=move || decision.get() == value on:change=move |_| decision.set(value.to_owned()) data-testid=format!("decision-{value}") />
                {label}
            </label>
        })
        .collect_view();
    view! {
        <section aria-labelledby="signoff-heading" class="rounded-lg border border-slate-200 bg-white p-5 text-sm" data-testid="signoff-panel">
            <h2 id="signoff-heading" class="mb-1 text-lg font-semibold">"Sign-offs"</h2>
            <p class="mb-2 text-slate-600">{format!("This change needs {}.", gate.rule)}</p>
            <ul class="mb-3 space-y-1">{progress}</ul>
            {if can_sign {
                view! {
                    <form on:submit=submit class="space-y-3" aria-label="Sign off this change">
                        <fieldset>
                            <legend class=LABEL>"Sign as"</legend>
                            {role_choices}
                        </fieldset>
                        {(!stand_in.is_empty()).then(|| {
                            let options = stand_in
                                .iter()
                                .map(|(id, name, role_value, role_label)| {
                                    let value = format!("{id}|{role_value}");
                                    view! { <option value=value>{format!("{name} (away), as {role_label}")}</option> }
                                })
                                .collect_view();
                            view! {
                                <label class="block">
                                    <span class=LABEL>"On behalf of"</span>
                                    <select
                                        class=INPUT
                                        data-testid="signoff-on-behalf"
                                        on:change=move |ev| {
                                            let picked = event_target_value(&ev);
                                            match picked.split_once('|') {
                                                Some((id, role_value)) => {
                                                    on_behalf.set(id.to_owned());
                                                    role.set(role_value.to_owned());
                                                }
                                                None => on_behalf.set(String::new()),
                                            }
                                        }
                                    >
                                        <option value="">"Myself"</option>
                                        {options}
                                    </select>
                                    <span class="mt-1 block text-xs text-slate-600">"Signing for a colleague records both names; it counts as your sign-off."</span>
                                </label>
                            }
                        })}
                        <fieldset>
                            <legend class=LABEL>"Decision"</legend>
                            {decisions}
                        </fieldset>
                        <label class="block">
                            <span class=LABEL>"Comment (required to reject or request changes)"</span>
                            <textarea class=INPUT rows="2" maxlength="2000" bind:value=comment data-testid="signoff-comment"></textarea>
                        </label>
                        {move || approve_blocked().then(|| view! {
                            <p class="rounded-md bg-amber-50 p-2 text-amber-900" data-testid="approve-blocked">"Approval is disabled until the evidence below is complete."</p>
                        })}
                        <button type="submit" class=BUTTON data-testid="submit-signoff" prop:disabled=move || approve_blocked() || pending.get()>
                            {move || if pending.get() { "Signing…" } else { "Sign off" }}
                        </button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p class="rounded-md bg-slate-50 p-2 text-slate-700" data-testid="cannot-sign">
                        {if status != "pending_review" {
                            format!("This change is {}; nothing more is signed.", status.replace('_', " "))
                        } else {
                            format!("You cannot sign this change: {}.", gate.cannot_sign.clone().unwrap_or_else(|| "none of your roles is needed".to_owned()))
                        }}
                    </p>
                }.into_any()
            }}
            <div class="mt-2">{move || outcome(commands.sign.value().get())}</div>
        </section>
    }
}

/// Every sign-off, newest first, with its standing and how the reviewer reviewed.
#[component]
pub fn SignoffHistory(signoffs: Vec<SignoffView>) -> impl IntoView {
    if signoffs.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No sign-offs yet."</p> }.into_any();
    }
    let rows = signoffs
        .into_iter()
        .map(|s| view! {
            <tr data-testid="signoff-row" data-standing=s.standing.clone()>
                <td class="px-3 py-2">{s.signer}<span class="block text-xs text-slate-500">{s.role}</span></td>
                <td class="px-3 py-2">{s.decision_label}{(!s.comment.is_empty()).then(|| view! { <span class="block text-xs text-slate-600">{format!("“{}”", s.comment)}</span> })}</td>
                <td class="px-3 py-2 text-xs">{format!("version {} · {}", s.version, s.standing)}<span class="block break-all font-mono text-slate-500">{s.content_hash}</span></td>
                <td class="px-3 py-2 text-xs">
                    {format!("{} on the page · {} · {}", s.dwell, if s.opened_full_content { "read the whole text" } else { "did not reach the end" }, if s.viewed_diff { "opened the diff" } else { "no diff opened" })}
                    {s.hasty.then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1 text-amber-900">"fast for its length"</span> })}
                </td>
                <td class="whitespace-nowrap px-3 py-2 text-xs">{s.at}" · "<a class="underline" href=format!("/audit?before={}", s.event_seq + 1)>"ledger"</a></td>
            </tr>
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <caption class="sr-only">"Sign-off history, newest first"</caption>
                <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Reviewer"</th>
                        <th scope="col" class="px-3 py-2">"Decision"</th>
                        <th scope="col" class="px-3 py-2">"Content signed"</th>
                        <th scope="col" class="px-3 py-2">"How it was reviewed"</th>
                        <th scope="col" class="px-3 py-2">"When"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// What changed in the exact published bytes since the previous version. Fetched when the
/// reviewer opens it; the server records that it served the diff.
/// Diff lines, added and removed marked for the eye and for screen readers.
pub fn diff_rows(lines: Vec<crate::dto_gate::DiffLineView>) -> AnyView {
    lines
        .into_iter()
        .map(|line| {
            let (class, sign) = match line.kind.as_str() {
                "added" => ("bg-emerald-50 text-emerald-900", "+ "),
                "removed" => ("bg-red-50 text-red-900 line-through", "− "),
                _ => ("text-slate-700", "  "),
            };
            view! { <div class=class data-kind=line.kind.clone()><span aria-hidden="true">{sign}</span><span class="sr-only">{format!("{}: ", line.kind)}</span>{line.text}</div> }
        })
        .collect_view()
        .into_any()
}

#[component]
pub fn VersionDiff(change: String) -> impl IntoView {
    let load = ServerAction::<LoadDiff>::new();
    let on_toggle = move |_| {
        if load.value().get_untracked().is_none() && !load.pending().get_untracked() {
            load.dispatch(LoadDiff {
                change: change.clone(),
            });
        }
    };
    let rows = move || match load.value().get() {
        None => view! { <p class="text-slate-500">"Loading what changed…"</p> }.into_any(),
        Some(Err(error)) => outcome(Some(Err(error))),
        Some(Ok(lines)) => diff_rows(lines),
    };
    view! {
        <details class="rounded-lg border border-slate-200 bg-white p-5 text-sm" on:toggle=on_toggle data-testid="version-diff">
            <summary class="cursor-pointer text-lg font-semibold">"What changed since the previous version"</summary>
            <p class="mt-1 text-xs text-slate-500">"The exact bytes that will be published, line by line: a changed link target or attribute shows here."</p>
            <div class="mt-2 whitespace-pre-wrap break-all font-mono text-xs">{rows}</div>
        </details>
    }
}
