//! Notices on SQLite and PostgreSQL: who hears what as a change moves (only the roles still
//! needed, never those separation of duties keeps out; the drafting identity's owners for the
//! outcome; security admins for abuse), the inbox a person reads and marks, preferences with
//! their ledger event, and reminders then escalation as the injected clock passes a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::gate::{another_change, approve, complete_evidence_of, gate, sign};
use countersign_core::domain::NotifyPrefs;
use countersign_core::{Actor, CoreError, Services};

/// (kind, title) of a person's notices, newest first.
async fn inbox_of(services: &Services, person: &Actor) -> Vec<(String, String)> {
    services
        .inbox(person, false, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| (i.kind, i.title))
        .collect()
}

async fn kinds_of(services: &Services, person: &Actor) -> Vec<String> {
    inbox_of(services, person)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

#[tokio::test]
async fn each_notice_reaches_the_people_the_table_names_and_no_one_else() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        // Drafted now that every reviewer exists.
        let change = another_change(&services, &g, "campaigns/north").await;
        for (who, person, expected) in [
            ("approver", &g.approver, vec!["review_needed"]),
            ("legal", &g.legal, vec!["review_needed"]),
            ("approver and legal", &g.both, vec!["review_needed"]),
            // The drafting identity's owner is kept from signing: not asked to.
            ("owner", &g.owner, vec![]),
            ("security admin", &admin, vec![]),
        ] {
            assert_eq!(
                kinds_of(&services, person).await,
                expected,
                "{who} ({})",
                db.name
            );
        }
        let (_, title) = inbox_of(&services, &g.legal).await.remove(0);
        assert!(title.contains("Approver, Legal reviewer"), "{title}");

        // The approver role is filled: a new version asks only for what is still needed.
        complete_evidence_of(&services, &g, &change.id).await;
        services
            .sign_off(
                &g.approver,
                &change.id,
                sign("approver", "approve", "Reads well.", &change.current_hash),
            )
            .await
            .unwrap();
        assert_eq!(kinds_of(&services, &g.owner).await, Vec::<String>::new());

        // Sent back: the owner of the drafting identity hears why.
        services
            .sign_off(
                &g.legal,
                &change.id,
                sign(
                    "legal",
                    "request_changes",
                    "Name the offer's end date.",
                    &change.current_hash,
                ),
            )
            .await
            .unwrap();
        let owner_inbox = inbox_of(&services, &g.owner).await;
        assert_eq!(owner_inbox.len(), 1, "{}", db.name);
        assert_eq!(owner_inbox[0].0, "changes_requested");
        assert!(owner_inbox[0].1.contains("Name the offer's end date."));

        // Approved: the owner hears it; reviewers hear nothing more.
        let other = another_change(&services, &g, "campaigns/south").await;
        let before = kinds_of(&services, &g.approver).await.len();
        approve(&services, &g, &other).await;
        assert_eq!(kinds_of(&services, &g.owner).await[0], "change_approved");
        assert_eq!(kinds_of(&services, &g.approver).await.len(), before);

        // An identity overreaching: security admins hear it once an hour, however often.
        for _ in 0..3 {
            services
                .refuse_people_route(&g.session.drafter, "/queue")
                .await
                .unwrap();
        }
        assert_eq!(kinds_of(&services, &admin).await, ["privilege_abuse"]);
    }
}

#[tokio::test]
async fn a_person_reads_marks_and_tunes_their_inbox_and_no_one_else_can() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        for n in 0..3 {
            another_change(&services, &g, &format!("campaigns/{n}")).await;
        }
        let page = services.inbox(&g.approver, false, None).await.unwrap();
        assert_eq!((page.items.len(), page.unread), (3, 3), "{}", db.name);
        assert!(page
            .items
            .iter()
            .all(|i| i.link.starts_with("/changes/") && i.due_at.is_some()));

        let first = page.items[0].id.clone();
        services
            .mark_notifications(&g.approver, Some(vec![first.clone()]), true)
            .await
            .unwrap();
        // Someone else's id changes nothing of theirs.
        assert_eq!(
            services
                .mark_notifications(&g.legal, Some(vec![first.clone()]), true)
                .await
                .unwrap(),
            0
        );
        assert_eq!(services.unread_notifications(&g.approver).await.unwrap(), 2);
        assert_eq!(services.unread_notifications(&g.legal).await.unwrap(), 3);
        let unread = services.inbox(&g.approver, true, None).await.unwrap();
        assert!(unread.items.iter().all(|i| i.id != first && !i.read));
        services
            .mark_notifications(&g.approver, None, true)
            .await
            .unwrap();
        assert_eq!(services.unread_notifications(&g.approver).await.unwrap(), 0);
        services
            .mark_notifications(&g.approver, Some(vec![first]), false)
            .await
            .unwrap();
        assert_eq!(services.unread_notifications(&g.approver).await.unwrap(), 1);
        assert!(matches!(
            services
                .mark_notifications(&g.approver, Some(vec![]), true)
                .await,
            Err(CoreError::Invalid { .. })
        ));
        assert!(services
            .inbox(&Actor::Anonymous, false, None)
            .await
            .is_err());
        assert!(services
            .inbox(&g.approver, false, Some("garbage"))
            .await
            .is_err());

        // Preferences: checked, saved, recorded.
        let quiet = NotifyPrefs {
            daily_digest: true,
            digest_hour: 9,
            quiet: Some((22 * 60, 7 * 60)),
            utc_offset_minutes: 60,
            ..NotifyPrefs::default()
        };
        services
            .set_notification_settings(&g.approver, quiet.clone())
            .await
            .unwrap();
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "notifications.preferences_set");
        assert!(
            event.details.contains("\"quiet_hours\":\"22:00-07:00\""),
            "{}",
            event.details
        );
        assert_eq!(
            services
                .notification_settings(&g.approver)
                .await
                .unwrap()
                .prefs,
            quiet
        );
        let bad = NotifyPrefs {
            utc_offset_minutes: 7,
            ..NotifyPrefs::default()
        };
        let events = db.store.event_count().await.unwrap();
        assert!(matches!(
            services.set_notification_settings(&g.approver, bad).await,
            Err(CoreError::Invalid { .. })
        ));
        assert_eq!(db.store.event_count().await.unwrap(), events);
    }
}

#[tokio::test]
async fn a_waiting_change_reminds_the_roles_still_needed_then_escalates_once() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        let admin = g.session.chain.admin.clone();
        let change = another_change(&services, &g, "campaigns/deadline").await;
        complete_evidence_of(&services, &g, &change.id).await;
        services
            .sign_off(
                &g.approver,
                &change.id,
                sign("approver", "approve", "Reads well.", &change.current_hash),
            )
            .await
            .unwrap();
        let deadline = services.settings().review_deadlines.for_tier(change.tier);

        // Not yet: nothing to report.
        clock.advance(deadline / 2);
        assert_eq!(services.sweep_notices().await.unwrap().reminders, 0);

        // A quarter of the time left: the legal role is still needed, and only it is reminded
        // of this change (the gate's first change, signed by nobody, reminds both roles).
        clock.advance(deadline / 4 + Duration::minutes(1));
        let report = services.sweep_notices().await.unwrap();
        assert_eq!((report.reminders, report.overdue), (2, 0), "{}", db.name);
        let about_this = |inbox: Vec<(String, String)>| -> Vec<String> {
            inbox
                .into_iter()
                .filter(|(_, title)| title.contains("campaigns/deadline"))
                .map(|(kind, _)| kind)
                .collect()
        };
        assert_eq!(
            about_this(inbox_of(&services, &g.legal).await),
            ["review_reminder", "review_needed"]
        );
        assert_eq!(
            about_this(inbox_of(&services, &g.approver).await),
            ["review_needed"]
        );
        assert!(kinds_of(&services, &admin).await.is_empty());
        assert_eq!(services.sweep_notices().await.unwrap().reminders, 0, "once");

        // Past the deadline: escalated to security admins, recorded in the ledger, once.
        clock.advance(deadline / 4);
        let report = services.sweep_notices().await.unwrap();
        assert_eq!(report.overdue, 2);
        assert_eq!(
            kinds_of(&services, &admin).await,
            ["review_overdue", "review_overdue"]
        );
        assert_eq!(services.sweep_notices().await.unwrap().overdue, 0);
        let events = db.store.events_page(None, 20).await.unwrap();
        let count = |action: &str| events.iter().filter(|e| e.action == action).count();
        assert_eq!(
            (
                count("change.review_reminded"),
                count("change.review_overdue")
            ),
            (2, 2)
        );
    }
}

#[tokio::test]
async fn a_daily_digest_gathers_the_notices_since_the_last_one_once() {
    use chrono::Timelike;
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let mut g = gate(&services, &db).await;
        let hour = u8::try_from((services.clock().now() + Duration::hours(2)).hour()).unwrap();
        services
            .set_notification_settings(
                &g.approver,
                NotifyPrefs {
                    daily_digest: true,
                    digest_hour: hour,
                    ..NotifyPrefs::default()
                },
            )
            .await
            .unwrap();
        another_change(&services, &g, "campaigns/digest-1").await;
        another_change(&services, &g, "campaigns/digest-2").await;
        assert_eq!(services.send_due_digests().await.unwrap(), 0, "not yet");

        clock.advance(Duration::hours(3));
        assert_eq!(services.send_due_digests().await.unwrap(), 1, "{}", db.name);
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "notifications.digest_queued");
        assert!(event.details.contains("\"notices\":2"), "{}", event.details);
        assert_eq!(services.send_due_digests().await.unwrap(), 0, "once a day");

        // The next day's digest carries only what came since.
        common::drafting::renew_tokens(&services, &mut g.session).await;
        another_change(&services, &g, "campaigns/digest-3").await;
        clock.advance(Duration::days(1));
        assert_eq!(services.send_due_digests().await.unwrap(), 1);
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert!(event.details.contains("\"notices\":1"), "{}", event.details);
    }
}
