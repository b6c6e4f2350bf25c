//! SCIM provisioning against the real store, on both databases: joiners (a person exists
//! before their first sign-in, matched by external id), movers (roles follow the directory's
//! groups at once, open sessions included) and leavers (sessions end, identities only they
//! owned are orphaned and refused at their next call, their pending sign-offs stop counting,
//! their history stays), and every bad request refused with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, chain::chain, chain::record_passing_drill, chain::spring_offer};
use countersign_core::domain::scim::{ScimError, ScimType};
use countersign_core::domain::{Deactivation, HumanId, Role, RoleMap};
use countersign_core::services::Settings;
use countersign_core::{Actor, Services};
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn with_role_map(services: Services) -> Services {
    services.with_settings(Settings {
        role_map: RoleMap::parse(
            "approver=mkt-approvers;legal=legal-team;security_admin=sec-admins",
        )
        .unwrap(),
        ..Settings::default()
    })
}

/// A directory token created by a security admin, and the directory's actor.
async fn directory(services: &Services, admin: &Actor) -> (String, Actor) {
    let (_, token) = services
        .create_directory_token(admin, "Entra ID production")
        .await
        .unwrap();
    let actor = services
        .authenticate_directory_token(&token.0)
        .await
        .unwrap();
    (token.0, actor)
}

fn user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "externalId": external_id,
        "active": true,
        "name": { "givenName": "Olga", "familyName": "Owner" },
        "emails": [{ "primary": true, "type": "work", "value": user_name }]
    })
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": [PATCH], "Operations": ops })
}

async fn ledger_len(db: &common::TestDb) -> usize {
    db.store.events_page(None, 10_000).await.unwrap().len()
}

#[tokio::test]
async fn a_leaver_through_scim_orphans_their_agents_until_someone_takes_them_over() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let services = with_role_map(services);
        let chain = chain(&services).await;
        let workflow = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email", "region"]))
            .await
            .unwrap();
        record_passing_drill(&services, &db, &chain).await;
        let workflow = services
            .activate_workflow(&chain.admin, workflow.id)
            .await
            .unwrap();
        let scope = format!("step:{}", workflow.steps[1].id);
        let issued = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await
            .unwrap();
        services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap();
        let (_, scim) = directory(&services, &chain.admin).await;

        // Joiner: the owner signed in before the directory was connected; the directory's
        // external id is their IdP subject, so the record is theirs, not a second person.
        let olga = services
            .scim_create_user(&scim, &user("olga@example.test", "olga"))
            .await
            .unwrap();
        assert_eq!(olga.row.human_id, chain.owner, "{}", db.name);
        let olga_id = olga.row.human_id.to_string();
        // A newcomer exists before their first sign-in and can be named as an owner.
        let kim = services
            .scim_create_user(&scim, &user("kim@example.test", "kim-00u1"))
            .await
            .unwrap();
        let kim_person = db.store.human(kim.row.human_id).await.unwrap().unwrap();
        assert!(kim_person.is_active() && kim_person.last_sign_in_at.is_none());
        assert_eq!(kim_person.name, "Olga Owner");

        // Mover: groups map to roles through the role map, at once.
        let approvers = services
            .scim_create_group(
                &scim,
                &json!({ "schemas": [GROUP], "displayName": "mkt-approvers",
                         "members": [{ "value": olga_id }] }),
            )
            .await
            .unwrap();
        let now = services.session_actor(chain.owner).await.unwrap().unwrap();
        assert!(now.has_role(Role::Approver), "{}", db.name);

        // Leaver: Entra ID's shape, `active` as the string "False".
        let before = services.store().generations().await.unwrap().registry;
        services
            .scim_patch_user(
                &scim,
                &olga_id,
                &patch(json!([{ "op": "Replace", "path": "active", "value": "False" }])),
            )
            .await
            .unwrap();
        assert!(services.store().generations().await.unwrap().registry > before);
        let refused = services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("no active human owner"),
            "{}: {refused}",
            db.name
        );
        let left = db.store.human(chain.owner).await.unwrap().unwrap();
        assert_eq!(left.deactivation, Some(Deactivation::ByDirectory));
        let events = db.store.events_page(None, 20).await.unwrap();
        let event = events
            .iter()
            .find(|e| e.action == "directory.user_deactivated")
            .unwrap();
        assert_eq!(event.actor_ref, scim.reference());
        let details: Value = serde_json::from_str(&event.details).unwrap();
        let orphaned = details["departure"]["orphaned_identities"]
            .as_array()
            .unwrap();
        assert!(
            orphaned.contains(&json!(chain.drafter.reference())),
            "{details}"
        );
        // Security admins are told which identities need a new owner: both of hers, in one
        // notice that leads to the orphans.
        let inbox = services.inbox(&chain.admin, true, None).await.unwrap();
        let told: Vec<_> = inbox
            .items
            .iter()
            .filter(|n| n.kind == "identity_orphaned")
            .collect();
        assert_eq!(told.len(), 1, "{}", db.name);
        assert_eq!(told[0].link, "/identities?orphaned=1");
        assert!(
            told[0]
                .title
                .starts_with("2 identities have no active owner"),
            "{}",
            told[0].title
        );
        assert!(
            told[0].concerning.contains("crm-reader"),
            "{}",
            told[0].concerning
        );

        // A sign-in cannot undo what the directory did.
        let back = common::signed_in(&services, "olga", &[Role::Approver]).await;
        assert_eq!(back, Actor::Anonymous, "{}", db.name);

        // Someone takes the agent over; it works again.
        services
            .reassign_owners(
                &chain.admin,
                &[chain.drafter, chain.reader],
                &[kim.row.human_id],
                "Olga left; Kim runs the spring campaign now",
            )
            .await
            .unwrap();
        let issued = services
            .issue_token(
                &chain.drafter.to_string(),
                &chain.drafter_secret,
                Some(&scope),
            )
            .await
            .unwrap();
        services
            .authenticate_token(&issued.access_token.0)
            .await
            .unwrap();

        // Delete: the directory forgets her; the console keeps her name and history.
        services.scim_delete_user(&scim, &olga_id).await.unwrap();
        let gone = services.scim_user(&scim, &olga_id).await.unwrap_err();
        assert_eq!(gone.status, 404);
        let kept = db.store.human(chain.owner).await.unwrap().unwrap();
        assert_eq!(kept.name, "Olga Owner");
        assert!(!kept.is_active());
        let group = services
            .scim_group(&scim, &approvers.row.id.to_string(), false)
            .await
            .unwrap();
        assert_eq!(group.members.unwrap().len(), 0, "{}", db.name);
        assert!(db
            .store
            .events_page(None, 200)
            .await
            .unwrap()
            .iter()
            .any(|e| e.subject == chain.owner.reference() && e.action == "directory.user_deleted"));
    }
}

#[tokio::test]
async fn a_person_removed_from_a_role_group_cannot_sign_off_and_a_leavers_approval_stops_counting()
{
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let services = with_role_map(services);
        let g = common::gate::gate(&services, &db).await;
        let admin = common::signed_in(&services, "sec-dir", &[Role::SecurityAdmin]).await;
        let (_, scim) = directory(&services, &admin).await;
        let Actor::Human { id: amy, .. } = g.approver.clone() else {
            panic!()
        };
        let Actor::Human { id: olga, .. } = g.owner.clone() else {
            panic!()
        };
        services
            .scim_create_user(&scim, &user("amy@example.test", "amy"))
            .await
            .unwrap();
        services
            .scim_create_user(&scim, &user("olga@example.test", "olga"))
            .await
            .unwrap();
        let group = services
            .scim_create_group(
                &scim,
                &json!({ "schemas": [GROUP], "displayName": "MKT-Approvers",
                         "members": [{ "value": amy.to_string() }, { "value": olga.to_string() }] }),
            )
            .await
            .unwrap();
        common::gate::complete_evidence(&services, &g).await;
        let hash = g.change.current_hash.clone();

        // Amy approves, then the directory removes her from the approvers' group (Okta's
        // shape); the session she still holds reads her as she is now.
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                common::gate::sign("approver", "approve", "Fine.", &hash),
            )
            .await
            .unwrap();
        services
            .scim_patch_group(
                &scim,
                &group.row.id.to_string(),
                &patch(json!([{ "op": "remove", "path": format!("members[value eq \"{amy}\"]") }])),
            )
            .await
            .unwrap();
        let amy_now = services.session_actor(amy).await.unwrap().unwrap();
        assert!(!amy_now.has_role(Role::Approver), "{}", db.name);
        let other = common::gate::another_change(&services, &g, "spring-2027-nl").await;
        let refused = services
            .sign_off(
                &amy_now,
                &other.id,
                common::gate::sign("approver", "approve", "", &other.current_hash),
            )
            .await
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "you do not hold the approver role",
            "{}",
            db.name
        );

        // Her earlier approval still stands (she was an approver and is still with us)…
        let view = services.gate_view(&g.legal, &g.change.id).await.unwrap();
        assert_eq!(view.quorum.have_need().0, 1, "{}", db.name);
        // …until she leaves: then it no longer counts toward the quorum, and says why.
        services
            .scim_delete_user(&scim, &amy.to_string())
            .await
            .unwrap();
        let view = services.gate_view(&g.legal, &g.change.id).await.unwrap();
        assert_eq!(view.quorum.have_need().0, 0, "{}", db.name);
        assert!(view.signoffs.iter().any(|(s, standing)| s.signer == amy
            && *standing == countersign_core::domain::SignoffStanding::SignerLeft));
        let outcome = services
            .sign_off(
                &g.both,
                &g.change.id,
                common::gate::sign("legal", "approve", "", &hash),
            )
            .await
            .unwrap();
        assert_ne!(outcome.status.as_str(), "approved", "{}", db.name);
        // The sign-off itself is history and keeps her name.
        assert!(view
            .signoffs
            .iter()
            .any(|(s, _)| s.signer_name.contains("amy")));
    }
}

#[tokio::test]
async fn bad_requests_get_the_right_scim_error_and_write_nothing() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let services = with_role_map(services);
        let admin = common::signed_in(&services, "sec-bad", &[Role::SecurityAdmin]).await;
        let (token, scim) = directory(&services, &admin).await;
        let ada = services
            .scim_create_user(&scim, &user("ada@example.test", "ada-1"))
            .await
            .unwrap();
        let ada_id = ada.row.human_id.to_string();
        let written = ledger_len(&db).await;

        let mut unknown = user("bob@example.test", "bob-1");
        unknown["shoeSize"] = json!(44);
        let mut unknown_schema = user("bob@example.test", "bob-1");
        unknown_schema["schemas"] = json!([USER, "urn:example:custom"]);
        type Case<'a> = (&'a str, Result<(), ScimError>, u16, Option<ScimType>);
        let cases: Vec<Case<'_>> = vec![
            (
                "duplicate userName, other case",
                services.scim_create_user(&scim, &user("ADA@example.test", "ada-2")).await.map(|_| ()),
                409,
                Some(ScimType::Uniqueness),
            ),
            (
                "duplicate externalId",
                services.scim_create_user(&scim, &user("ada2@example.test", "ada-1")).await.map(|_| ()),
                409,
                Some(ScimType::Uniqueness),
            ),
            ("unknown attribute", services.scim_create_user(&scim, &unknown).await.map(|_| ()), 400, Some(ScimType::InvalidSyntax)),
            ("unknown schema", services.scim_create_user(&scim, &unknown_schema).await.map(|_| ()), 400, Some(ScimType::InvalidValue)),
            (
                "malformed filter",
                services.scim_users(&scim, Some("userName sw \"a\""), None, None).await.map(|_| ()),
                400,
                Some(ScimType::InvalidFilter),
            ),
            (
                "patch path that does not exist",
                services
                    .scim_patch_user(&scim, &ada_id, &patch(json!([{ "op": "replace", "path": "shoeSize", "value": "9" }])))
                    .await
                    .map(|_| ()),
                400,
                Some(ScimType::InvalidPath),
            ),
            (
                "group with unknown members",
                services
                    .scim_create_group(
                        &scim,
                        &json!({ "schemas": [GROUP], "displayName": "legal-team",
                                 "members": [{ "value": ada_id }, { "value": HumanId::new().to_string() }, { "value": "nobody" }] }),
                    )
                    .await
                    .map(|_| ()),
                400,
                Some(ScimType::InvalidValue),
            ),
            ("unknown user", services.scim_patch_user(&scim, "nobody", &patch(json!([{ "op": "remove", "path": "title" }]))).await.map(|_| ()), 404, None),
            ("a person is not the directory", services.scim_users(&admin, None, None, None).await.map(|_| ()), 403, None),
        ];
        for (what, result, status, kind) in cases {
            let err = result.expect_err(what);
            assert_eq!(
                (err.status, err.scim_type),
                (status, kind),
                "{}: {what}: {err}",
                db.name
            );
        }
        assert_eq!(
            ledger_len(&db).await,
            written,
            "{}: a refusal wrote to the ledger",
            db.name
        );
        let listed = services.scim_users(&scim, None, None, None).await.unwrap();
        assert_eq!(listed.total, 1);
        let filtered = services
            .scim_users(&scim, Some("userName eq \"Ada@Example.test\""), None, None)
            .await
            .unwrap();
        assert_eq!(
            filtered.items.len(),
            1,
            "{}: userName is not case-exact",
            db.name
        );
        let none = services
            .scim_users(&scim, Some("externalId eq \"nobody\""), None, None)
            .await
            .unwrap();
        assert_eq!((none.total, none.items.len()), (0, 0));

        // A token rotated away is refused, once recorded; its replacement works.
        let tokens = services.directory_tokens(&admin).await.unwrap();
        let (_, replacement) = services
            .rotate_directory_token(&admin, tokens[0].id)
            .await
            .unwrap();
        let refused = services
            .authenticate_directory_token(&token)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("rotated"), "{refused}");
        services
            .authenticate_directory_token(&token)
            .await
            .unwrap_err();
        let events = db.store.events_page(None, 10).await.unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "directory.token_refused")
                .count(),
            1,
            "{}",
            db.name
        );
        services
            .authenticate_directory_token(&replacement.0)
            .await
            .unwrap();
        let last_used = services.directory_tokens(&admin).await.unwrap();
        assert!(last_used
            .iter()
            .any(|t| t.last_used_at_ms.is_some() && t.revoked_at_ms.is_none()));
        // The admin who created the token leaves: the directory keeps deprovisioning.
        let other = common::signed_in(&services, "sec-other", &[Role::SecurityAdmin]).await;
        let Actor::Human { id: creator, .. } = admin.clone() else {
            panic!()
        };
        services
            .set_person_active(&other, creator, false, "Left the security team")
            .await
            .unwrap();
        services
            .authenticate_directory_token(&replacement.0)
            .await
            .unwrap();
        let unknown = format!("csscim_{}", "A".repeat(43));
        let refused = services
            .authenticate_directory_token(&unknown)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("unknown"), "{refused}");
        let refused = services
            .authenticate_directory_token("csscim_short")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("malformed"), "{refused}");
    }
}
