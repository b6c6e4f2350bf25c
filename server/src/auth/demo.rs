//! Demo mode's personas: one per role, one with two roles, one with none.

use countersign_core::domain::{NhiKind, Role};
use countersign_core::services::{DemoIdentity, DemoPerson, DEPARTED_KEY};

pub fn personas() -> Vec<DemoPerson> {
    let roles = |list: &[Role]| list.iter().copied().collect();
    vec![
        DemoPerson {
            key: "amira",
            name: "Amira Haddad",
            email: "amira.haddad@example.com",
            roles: roles(&[Role::Approver]),
            blurb: "Marketing approver: works the queue of pending changes.",
        },
        DemoPerson {
            key: "lukas",
            name: "Lukas Brandt",
            email: "lukas.brandt@example.com",
            roles: roles(&[Role::Legal]),
            blurb: "Legal reviewer: annotates customer-facing claims.",
        },
        DemoPerson {
            key: "priya",
            name: "Priya Nair",
            email: "priya.nair@example.com",
            roles: roles(&[Role::SecurityAdmin]),
            blurb: "Security admin: identities, workflows, the kill switch.",
        },
        DemoPerson {
            key: "sana",
            name: "Sana Iqbal",
            email: "sana.iqbal@example.com",
            roles: roles(&[Role::SecurityAdmin]),
            blurb: "Second security admin: widenings one admin asks for, the other approves.",
        },
        DemoPerson {
            key: "tomasz",
            name: "Tomasz Wójcik",
            email: "tomasz.wojcik@example.com",
            roles: roles(&[Role::Auditor]),
            blurb: "Auditor: reads everything and verifies the ledger.",
        },
        DemoPerson {
            key: "grace",
            name: "Grace Okafor",
            email: "grace.okafor@example.com",
            roles: roles(&[Role::Approver, Role::Legal]),
            blurb: "Approver and legal reviewer: two roles, one person.",
        },
        DemoPerson {
            key: "noah",
            name: "Noah Berg",
            email: "noah.berg@example.com",
            roles: roles(&[]),
            blurb: "Signed in through the IdP but in no mapped group: no access.",
        },
    ]
}

/// The sample identities of the "Spring offer email" workflow, and one orphaned agent whose only
/// owner has left.
pub fn identities() -> Vec<DemoIdentity> {
    vec![
        DemoIdentity {
            name: "crm-contact-reader",
            kind: NhiKind::ServiceAccount,
            purpose: "Reads contact fields (email, first name, region) of the spring offer segment from the CRM.",
            model: None,
            owner_keys: &["priya"],
            expires_in_days: 60,
        },
        DemoIdentity {
            name: "spring-offer-drafter",
            kind: NhiKind::Agent,
            purpose: "Drafts the spring offer email for each region from the segment and the brand guide.",
            model: Some("claude-sonnet-4.5 (Anthropic)"),
            owner_keys: &["priya"],
            expires_in_days: 21,
        },
        DemoIdentity {
            name: WINBACK_DRAFTER,
            kind: NhiKind::Agent,
            purpose: "Drafts win-back SMS for lapsed loyalty members.",
            model: Some("claude-haiku-4.5 (Anthropic)"),
            owner_keys: &["priya"],
            expires_in_days: 30,
        },
        DemoIdentity {
            name: "legacy-segment-agent",
            kind: NhiKind::Agent,
            purpose: "Built last year to suggest audience segments; its owner has since left the company.",
            model: Some("gpt-4o (OpenAI)"),
            owner_keys: &[DEPARTED_KEY],
            expires_in_days: 45,
        },
    ]
}

/// One thing to try per persona, shown on the home page in demo mode: (what, where).
pub fn tip(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "amira" => (
            "Approve the change whose evidence is complete, or the spring offer in three languages with one sign-off; or send one back with a comment.",
            "/queue",
        ),
        "lukas" => (
            "Judge the discount claim waiting for legal: substantiate it with evidence.",
            "/queue",
        ),
        "priya" => (
            "Review the widening Sana asked for on Win-back SMS, and give the orphaned agent a new owner.",
            "/workflows?state=needs_review",
        ),
        "sana" => (
            "Open an active workflow, pull its kill switch and watch each system confirm.",
            "/workflows?state=active",
        ),
        "tomasz" => (
            "Trace where customer crm-1001's data was used, down to the published campaign and who let it through; then verify the ledger.",
            "/investigate?kind=subject&q=crm-1001",
        ),
        "grace" => (
            "Sign a change in either of your roles: one person counts once.",
            "/queue",
        ),
        "noah" => (
            "See what a person in no mapped group gets: nothing.",
            "/",
        ),
        _ => return None,
    })
}

/// The second demo workflow's drafting agent.
pub const WINBACK_DRAFTER: &str = "winback-sms-drafter";
