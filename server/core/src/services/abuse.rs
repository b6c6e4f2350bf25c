//! Agents draft; humans countersign; only the console publishes. When an identity's token shows
//! up where only people act — a gate route or any page or server function of the console — the
//! request is refused and recorded as a possible privilege-abuse signal.

use super::{Services, TokenPrincipal};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Denied, Resource};
use serde_json::json;

/// The ledger marks these events so the Audit page can flag them.
pub const PRIVILEGE_ABUSE_SIGNAL: &str = "possible_privilege_abuse";

impl Services {
    /// An identity asks to approve or publish: Cedar refuses it (standing forbid) and the
    /// attempt is recorded. Returns the refusal to give the caller.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id, action = action.as_str()))]
    pub async fn refuse_gate_action(
        &self,
        principal: &TokenPrincipal,
        action: Action,
        target: &str,
    ) -> CoreResult<CoreError> {
        let decision = self.policy.authorize(
            &principal.actor,
            action,
            &Resource::step(&principal.workflow, &principal.step),
        );
        let policies = match decision {
            Err(denied) => denied.policies,
            // No policy may ever allow it; if one does, it is still refused here and reported.
            Ok(_) => {
                tracing::error!(
                    action = action.as_str(),
                    "a policy allows an identity a gate action"
                );
                vec!["refused by the service layer".to_owned()]
            }
        };
        self.record_abuse_signal(principal, action.as_str(), target, &policies)
            .await?;
        Ok(CoreError::Denied(Denied {
            action: action.as_str(),
            policies,
        }))
    }

    /// An identity's token on a route only people use (the console's pages and server
    /// functions).
    pub async fn refuse_people_route(
        &self,
        principal: &TokenPrincipal,
        route: &str,
    ) -> CoreResult<()> {
        let route: String = route.chars().take(200).collect();
        self.record_abuse_signal(
            principal,
            "use_console",
            &route,
            &["identities act only through /api/v1".to_owned()],
        )
        .await
    }

    async fn record_abuse_signal(
        &self,
        principal: &TokenPrincipal,
        action: &str,
        target: &str,
        policies: &[String],
    ) -> CoreResult<()> {
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &principal.actor,
                "authorization.denied",
                principal.nhi.id.reference(),
                json!({
                    "signal": PRIVILEGE_ABUSE_SIGNAL,
                    "action": action,
                    "target": target,
                    "workflow": principal.workflow.id.reference(),
                    "step": principal.step.id.reference(),
                    "decided_by": policies,
                }),
            ))
            .await?;
        self.notify_abuse(&mut tx, principal.nhi.id, &principal.nhi.name, action, seq)
            .await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }
}
