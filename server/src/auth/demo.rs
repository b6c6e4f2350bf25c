//! Demo mode's personas: one per role, one with two roles, one with none.

use countersign_core::domain::Role;
use countersign_core::services::DemoPerson;

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
