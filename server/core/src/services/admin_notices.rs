//! What security admins hear: a widened grant waiting for review, a failed drill, flagged
//! privilege abuse and orphaned identities when they happen; drills overdue, identities about to
//! expire and revocations still incomplete when the minute sweep finds them. Each is a notice
//! with a key that makes it once per fact, so the sweep can ask again every minute.

use super::Services;
use crate::domain::{HumanId, NhiId, Notice, NoticeKind, SystemId, WorkflowId};
use crate::error::CoreResult;
use crate::store::WriteTx;

/// A revocation not confirmed by every system after this long is reported.
pub const REVOCATION_GRACE_MINUTES: i64 = 15;

/// A notice to security admins.
pub(super) struct AdminNotice {
    pub kind: NoticeKind,
    pub subject: String,
    pub title: String,
    pub concerning: String,
    pub link: String,
    pub dedupe_key: String,
    pub due: Option<chrono::DateTime<chrono::Utc>>,
    /// The admin who caused it (they need not be told).
    pub except: Option<HumanId>,
}

impl Services {
    pub(super) async fn notify_admins(
        &self,
        tx: &mut Box<dyn WriteTx>,
        notice: AdminNotice,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let notice = Notice {
            kind: notice.kind,
            subject: notice.subject,
            title: notice.title,
            concerning: notice.concerning,
            due: notice.due,
            link: notice.link,
            dedupe_key: notice.dedupe_key,
            roles: Vec::new(),
            drafter: None,
            exclude: notice.except.into_iter().collect(),
        };
        self.notify(tx, &notice, event_seq).await
    }

    /// A widened grant raised a workflow's tier and waits for a second security admin.
    pub(super) async fn notify_widening(
        &self,
        tx: &mut Box<dyn WriteTx>,
        workflow: WorkflowId,
        workflow_name: &str,
        step_name: &str,
        requested_by: Option<HumanId>,
        event_seq: i64,
    ) -> CoreResult<usize> {
        self.notify_admins(
            tx,
            AdminNotice {
                kind: NoticeKind::WideningWaiting,
                subject: workflow.reference(),
                title: format!(
                    "A widened grant in “{workflow_name}” waits for a second security admin"
                ),
                concerning: format!("{workflow_name}, step “{step_name}”"),
                link: format!("/workflows/{workflow}"),
                dedupe_key: format!("widening_waiting:{workflow}:{event_seq}"),
                due: None,
                except: requested_by,
            },
            event_seq,
        )
        .await
    }

    pub(super) async fn notify_drill_failed(
        &self,
        tx: &mut Box<dyn WriteTx>,
        system: SystemId,
        error: Option<&str>,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let name = tx
            .system_by_id(system)
            .await?
            .map(|s| s.name)
            .unwrap_or_else(|| "a connected system".to_owned());
        let why: String = error.unwrap_or("no answer").chars().take(200).collect();
        self.notify_admins(
            tx,
            AdminNotice {
                kind: NoticeKind::DrillFailed,
                subject: system.reference(),
                title: format!("The revocation drill against {name} failed: {why}"),
                concerning: name,
                link: "/systems".to_owned(),
                dedupe_key: format!("drill_failed:{system}:{event_seq}"),
                due: None,
                except: None,
            },
            event_seq,
        )
        .await
    }

    /// An identity's token was refused where it tried to overreach (at most one notice per
    /// identity per hour: an agent that keeps trying is one fact).
    pub(super) async fn notify_abuse(
        &self,
        tx: &mut Box<dyn WriteTx>,
        nhi: NhiId,
        nhi_name: &str,
        action: &str,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let hour = self.now_ms() / 3_600_000;
        self.notify_admins(
            tx,
            AdminNotice {
                kind: NoticeKind::PrivilegeAbuse,
                subject: nhi.reference(),
                title: format!(
                    "Possible privilege abuse: {nhi_name} tried to {}",
                    action.replace('_', " ")
                ),
                concerning: nhi_name.to_owned(),
                link: format!("/audit?actor={}", nhi.reference()),
                dedupe_key: format!("privilege_abuse:{nhi}:{hour}"),
                due: None,
                except: None,
            },
            event_seq,
        )
        .await
    }

    /// Tells security admins which identities lost their last active owner: one notice per
    /// identity, or one for them all when a departure orphans several (a leaver may own a
    /// hundred agents; a hundred notices would bury the one that matters).
    pub(super) async fn notify_orphaned(
        &self,
        tx: &mut Box<dyn WriteTx>,
        identities: &[NhiId],
        why: &str,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let mut names = Vec::with_capacity(identities.len());
        for id in identities {
            if let Some(nhi) = tx.nhi_by_id(*id).await? {
                names.push((*id, nhi.name));
            }
        }
        let notice = match names.as_slice() {
            [] => return Ok(0),
            [(id, name)] => AdminNotice {
                kind: NoticeKind::IdentityOrphaned,
                subject: id.reference(),
                title: format!("{name} has no active owner: {why}"),
                concerning: name.clone(),
                link: format!("/identities/{id}"),
                dedupe_key: format!("identity_orphaned:{id}:{event_seq}"),
                due: None,
                except: None,
            },
            [(first, _), ..] => {
                const LISTED: usize = 5;
                let listed: Vec<&str> =
                    names.iter().take(LISTED).map(|(_, n)| n.as_str()).collect();
                let more = names.len().saturating_sub(LISTED);
                AdminNotice {
                    kind: NoticeKind::IdentityOrphaned,
                    subject: first.reference(),
                    title: format!("{} identities have no active owner: {why}", names.len()),
                    concerning: if more > 0 {
                        format!("{} and {more} more", listed.join(", "))
                    } else {
                        listed.join(", ")
                    },
                    link: "/identities?orphaned=1".to_owned(),
                    dedupe_key: format!("identities_orphaned:{event_seq}"),
                    due: None,
                    except: None,
                }
            }
        };
        self.notify_admins(tx, notice, event_seq).await
    }
}
