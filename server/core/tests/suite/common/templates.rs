//! A store-opening reminder template for the spring-offer chain, and drafts under it.

use super::drafting::{decide, draft, provenance};
use super::gate::Gate;
use countersign_core::domain::TemplateTiers;
use countersign_core::services::{ProposeTemplate, Settings, SlotInput, TemplateFill};
use countersign_core::Services;
use std::collections::BTreeMap;

/// A template of three slots: a city from a list, a weekday by pattern, a note without claims.
pub fn proposal(g: &Gate) -> ProposeTemplate {
    ProposeTemplate {
        workflow: g.session.workflow.id.to_string(),
        name: "Store opening reminder".into(),
        text: "Hello {first_name}, our {{city}} store opens on {{day}}. {{note}}".into(),
        format: "markdown".into(),
        audience: "external".into(),
        slots: vec![
            SlotInput {
                name: "city".into(),
                allowed: vec!["Berlin".into(), "Hamburg".into()],
                pattern: String::new(),
                max_chars: 20,
                no_claims: false,
            },
            SlotInput {
                name: "day".into(),
                allowed: Vec::new(),
                pattern: "(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day".into(),
                max_chars: 12,
                no_claims: false,
            },
            SlotInput {
                name: "note".into(),
                allowed: Vec::new(),
                pattern: String::new(),
                max_chars: 80,
                no_claims: true,
            },
        ],
        rollback_steps: "Unpublish the reminder; send nothing further.".into(),
        valid_days: 30,
    }
}

pub fn fill(id: &str, city: &str, day: &str, note: &str) -> TemplateFill {
    TemplateFill {
        id: id.to_owned(),
        values: BTreeMap::from([
            ("city".to_owned(), city.to_owned()),
            ("day".to_owned(), day.to_owned()),
            ("note".to_owned(), note.to_owned()),
        ]),
    }
}

pub fn with_tiers(services: Services, tiers: &str) -> Services {
    services.with_settings(Settings {
        template_tiers: TemplateTiers::parse(tiers).unwrap(),
        ..Settings::default()
    })
}

/// A draft under `fill`, with the content left to the template.
pub async fn draft_under(
    services: &Services,
    g: &Gate,
    fill: TemplateFill,
) -> countersign_core::domain::ChangeRequest {
    let decision = decide(services, &g.session.drafter).await;
    let mut input = draft(&g.session, provenance(&[&decision], &[]));
    input.content = String::new();
    input.format = String::new();
    input.audience = String::new();
    input.template = Some(fill);
    services
        .submit_draft(&g.session.drafter, input)
        .await
        .unwrap()
}
