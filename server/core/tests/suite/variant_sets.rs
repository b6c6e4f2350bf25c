//! Variant sets on SQLite and PostgreSQL: one change with several variants, claims found in each,
//! one sign-off bound to the set's hash and voided by a change to any variant, and every
//! malformed set refused by the part that is wrong with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::{decide, provenance, session, set_draft, LOCALES};
use common::gate::{complete_evidence_of, gate, sign};
use countersign_core::services::{VariantInput, VersionInput};
use countersign_core::CoreError;

/// A change to a well-formed set that makes it malformed.
type Edit = Box<dyn Fn(&mut countersign_core::services::DraftInput)>;

fn field_of(error: &CoreError) -> String {
    match error {
        CoreError::Invalid { field, .. } => field.to_string(),
        other => format!("not invalid: {other:?}"),
    }
}

#[tokio::test]
async fn a_set_is_one_change_with_claims_per_variant_and_one_hash_that_any_variant_voids() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        let decision = decide(&services, &g.session.drafter).await;
        let change = services
            .submit_draft(
                &g.session.drafter,
                set_draft(&g.session, provenance(&[&decision], &["email"]), &LOCALES),
            )
            .await
            .unwrap();
        let versions = db.store.change_versions(&change.id).await.unwrap();
        let names: Vec<&str> = versions[0]
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, ["en-GB", "de-DE", "fr-FR"], "{}", db.name);
        assert_eq!(change.current_hash, versions[0].signed_hash());
        assert_eq!(change.current_hash, versions[0].hash_of_bytes());
        assert_ne!(change.current_hash, versions[0].content.hash);
        assert_eq!(
            versions[0].content.text, LOCALES[0].1,
            "the base is the content"
        );
        assert_eq!(change.target_ref, "campaigns/spring-2027/en-GB");
        let drafted = db.store.events_page(None, 3).await.unwrap();
        let drafted = drafted
            .iter()
            .find(|e| e.action == "change.drafted")
            .unwrap();
        assert!(
            drafted.details.contains("\"variants\":[{"),
            "{}",
            drafted.details
        );

        // The reviewer sees every variant, each after the base as a diff, and claims in each.
        let view = services.gate_view(&g.legal, &change.id).await.unwrap();
        assert_eq!(view.variants.len(), 3);
        assert!(view.variants[0].diff_from_base.is_empty());
        assert!(view.variants[1..]
            .iter()
            .all(|v| !v.diff_from_base.is_empty()));
        for variant in ["", "de-DE", "fr-FR"] {
            assert!(
                view.claims.iter().any(|c| c.variant == variant),
                "{}: a claim in `{variant}`: {:?}",
                db.name,
                view.claims
            );
        }
        let open = view.claims.iter().filter(|c| c.unresolved()).count() as i64;
        let stored = db.store.change(&change.id).await.unwrap().unwrap();
        assert_eq!(stored.open_claims, open, "the queue counts every variant's");

        // A legal reviewer marks words of one variant; the span is judged in that variant.
        let marked = services
            .mark_variant_claim(&g.legal, &change.id, 1, "fr-FR", 0, 7)
            .await
            .unwrap();
        assert_eq!(
            (marked.variant.as_str(), marked.quote.as_str()),
            ("fr-FR", "Bonjour")
        );
        let unknown = services
            .mark_variant_claim(&g.legal, &change.id, 1, "it-IT", 0, 5)
            .await
            .unwrap_err();
        assert_eq!(field_of(&unknown), "variant");

        // One sign-off names the set; a new version that changes one variant voids it.
        complete_evidence_of(&services, &g, &change.id).await;
        let first = change.current_hash.clone();
        services
            .sign_off(
                &g.approver,
                &change.id,
                sign("approver", "approve", "", &first),
            )
            .await
            .unwrap();
        let mut variants: Vec<VariantInput> =
            set_draft(&g.session, provenance(&[&decision], &["email"]), &LOCALES)
                .variants
                .unwrap();
        variants[2].content = variants[2].content.replace("20 %", "25 %");
        let (_, second) = services
            .submit_version(
                &g.session.drafter,
                &change.id,
                VersionInput {
                    content: String::new(),
                    format: String::new(),
                    variants: Some(variants.clone()),
                    provenance: provenance(&[&decision], &["email"]),
                },
            )
            .await
            .unwrap();
        assert_ne!(second, first, "{}", db.name);
        let view = services.gate_view(&g.legal, &change.id).await.unwrap();
        assert!(
            view.quorum.roles.iter().all(|r| r.approvals.is_empty()),
            "{}: the sign-off of the old set no longer counts",
            db.name
        );
        let stale = services
            .sign_off(
                &g.approver,
                &change.id,
                sign("approver", "approve", "", &first),
            )
            .await
            .unwrap_err();
        assert!(stale.to_string().contains("content changed"), "{stale}");

        // Reordering the same variants is another set, too.
        variants.swap(1, 2);
        let (_, third) = services
            .submit_version(
                &g.session.drafter,
                &change.id,
                VersionInput {
                    content: String::new(),
                    format: String::new(),
                    variants: Some(variants),
                    provenance: provenance(&[&decision], &["email"]),
                },
            )
            .await
            .unwrap();
        assert_ne!(third, second);
    }
}

#[tokio::test]
async fn a_malformed_set_is_refused_by_the_part_that_is_wrong_and_nothing_is_written() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let s = session(&services, &db).await;
        let decision = decide(&services, &s.drafter).await;
        let base = || set_draft(&s, provenance(&[&decision], &["email"]), &LOCALES);
        let before = db.store.event_count().await.unwrap();
        let cases: Vec<(&str, Edit)> = vec![
            ("variants", Box::new(|d| d.variants = Some(Vec::new()))),
            (
                "variants",
                Box::new(|d| {
                    let one = d.variants.as_ref().unwrap()[0].clone();
                    d.variants = Some(
                        (0..51)
                            .map(|i| VariantInput {
                                name: format!("v{i}"),
                                target_reference: format!("t/{i}"),
                                ..one.clone()
                            })
                            .collect(),
                    );
                }),
            ),
            (
                "variants[2].name",
                Box::new(|d| d.variants.as_mut().unwrap()[2].name = "en-GB".into()),
            ),
            (
                "variants[1].name",
                Box::new(|d| d.variants.as_mut().unwrap()[1].name = "de DE".into()),
            ),
            (
                "variants[1].target_reference",
                Box::new(|d| {
                    d.variants.as_mut().unwrap()[1].target_reference =
                        "campaigns/spring-2027/en-GB".into();
                }),
            ),
            ("content", Box::new(|d| d.content = "Both at once".into())),
            (
                "target.reference",
                Box::new(|d| d.target.reference = "campaigns/x".into()),
            ),
            (
                "variants[1].audience",
                Box::new(|d| d.variants.as_mut().unwrap()[1].audience = "everyone".into()),
            ),
            (
                "variants[2].format",
                Box::new(|d| d.variants.as_mut().unwrap()[2].format = "pdf".into()),
            ),
            (
                "variants[1].content",
                Box::new(|d| {
                    let v = &mut d.variants.as_mut().unwrap()[1];
                    v.format = "html".into();
                    v.content = "<p onclick=\"x()\">Hallo</p>".into();
                }),
            ),
            (
                "variants[0].content",
                Box::new(|d| d.variants.as_mut().unwrap()[0].content = "  ".into()),
            ),
        ];
        for (field, edit) in cases {
            let mut input = base();
            edit(&mut input);
            let refused = services.submit_draft(&s.drafter, input).await.unwrap_err();
            assert_eq!(field_of(&refused), field, "{}: {refused}", db.name);
        }
        assert_eq!(db.store.event_count().await.unwrap(), before, "{}", db.name);

        // A set is revised as a set, a single draft as a single draft.
        let set = services.submit_draft(&s.drafter, base()).await.unwrap();
        let single = services
            .submit_draft(
                &s.drafter,
                common::drafting::draft(&s, provenance(&[&decision], &["email"])),
            )
            .await
            .unwrap();
        let before = db.store.event_count().await.unwrap();
        let plain = VersionInput {
            content: "Spring is here.".into(),
            format: "text".into(),
            variants: None,
            provenance: provenance(&[&decision], &["email"]),
        };
        let refused = services
            .submit_version(&s.drafter, &set.id, plain.clone())
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), "variants");
        let as_set = VersionInput {
            content: String::new(),
            format: String::new(),
            variants: base().variants,
            provenance: provenance(&[&decision], &["email"]),
        };
        let refused = services
            .submit_version(&s.drafter, &single.id, as_set)
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), "content");
        assert_eq!(db.store.event_count().await.unwrap(), before, "{}", db.name);
    }
}
