//! Connected systems: registration with the data fields they expose, and signing secrets that are
//! shown once and can be rotated.

use super::freshness::Sensitive;
use super::Services;
use crate::actor::Actor;
use crate::domain::{
    BaseUrl, ConnectedSystem, DataField, HostAllowList, NhiName, Reason, SystemId, SystemKind,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::secrets::new_signing_secret;
use crate::store::StoreError;
use serde_json::json;

/// A request to connect a system.
#[derive(Debug, Clone)]
pub struct RegisterSystem {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    /// `name:category` per line.
    pub fields: String,
}

/// A signing secret, returned exactly once (at creation or rotation). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealedSecret(pub String);

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedSecret(***)")
    }
}

fn invalid(field: &'static str, error: impl ToString) -> CoreError {
    CoreError::invalid(field, error.to_string())
}

impl Services {
    pub fn can_manage_systems(&self, actor: &Actor) -> bool {
        self.policy
            .authorize(actor, Action::ManageSystems, &Resource::Console)
            .is_ok()
    }

    pub(super) fn secret_key(&self) -> CoreResult<&crate::secrets::SecretKey> {
        self.secret_key.as_deref().ok_or_else(|| {
            CoreError::invalid(
                "secret_key",
                "no secret key is configured, so signing secrets cannot be stored",
            )
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn register_system(
        &self,
        actor: &Actor,
        request: RegisterSystem,
    ) -> CoreResult<(ConnectedSystem, RevealedSecret)> {
        self.authorize(actor, Action::ManageSystems, &Resource::Console)?;
        let Actor::Human { id: creator, .. } = actor else {
            return Err(CoreError::Unauthenticated);
        };
        // System names follow the same rules as identity names.
        let name = NhiName::parse(&request.name).map_err(|e| invalid("name", e))?;
        let kind = SystemKind::parse(request.kind.trim()).map_err(|e| invalid("kind", e))?;
        let base_url = BaseUrl::parse(&request.base_url).map_err(|e| invalid("base_url", e))?;
        let fields = DataField::parse_list(&request.fields).map_err(|e| invalid("fields", e))?;
        let key = self.secret_key()?;

        let mut tx = self.store.begin_write(self.now_ms()).await?;
        if tx.system_name_taken(name.as_str()).await? {
            return Err(CoreError::Conflict(format!(
                "a connected system named \"{}\" already exists",
                name.as_str()
            )));
        }
        let system = ConnectedSystem {
            id: SystemId::new(),
            name: name.as_str().to_owned(),
            kind,
            base_url: base_url.as_str().to_owned(),
            fields,
            secret_version: 1,
            created_by: *creator,
            created_at: self.clock.now(),
        };
        let secret = new_signing_secret();
        tx.insert_system(&system, &key.seal(&secret, &system.id.reference()))
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "system.registered",
            system.id.reference(),
            json!({
                "name": system.name,
                "kind": system.kind.as_str(),
                "base_url": system.base_url,
                "fields": system.fields.iter().map(|f| json!({"name": f.name, "category": f.category.as_str()})).collect::<Vec<_>>(),
                "secret_version": 1,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok((system, RevealedSecret(secret)))
    }

    /// Replaces a system's signing secret; the new one is returned once.
    #[tracing::instrument(skip_all, fields(system = %id))]
    pub async fn rotate_system_secret(
        &self,
        actor: &Actor,
        id: SystemId,
        reason: &str,
    ) -> CoreResult<(ConnectedSystem, RevealedSecret)> {
        self.authorize(actor, Action::ManageSystems, &Resource::Console)?;
        self.require_recent_sign_in(actor, Sensitive::SystemSecretRotation)?;
        let reason = Reason::parse(reason).map_err(|e| invalid("reason", e))?;
        let key = self.secret_key()?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut system = tx
            .system_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let secret = new_signing_secret();
        system.secret_version += 1;
        tx.set_system_secret(
            id,
            &key.seal(&secret, &id.reference()),
            system.secret_version,
        )
        .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "system.secret_rotated",
            id.reference(),
            json!({ "name": system.name, "secret_version": system.secret_version, "reason": reason.as_str() }),
        ))
        .await?;
        tx.commit().await?;
        Ok((system, RevealedSecret(secret)))
    }

    pub async fn list_systems(&self, actor: &Actor) -> CoreResult<Vec<ConnectedSystem>> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        Ok(self.store.systems().await?)
    }

    /// The current signing secret of a system, for the connector. Not for people.
    pub async fn signing_secret(&self, id: SystemId) -> CoreResult<Option<String>> {
        let Some(sealed) = self.store.system_secret(id).await? else {
            return Ok(None);
        };
        let secret = self
            .secret_key()?
            .open(&sealed, &id.reference())
            .map_err(|e| CoreError::Conflict(e.to_string()))?;
        Ok(Some(secret))
    }

    /// The hosts content published to this system may link to and load media from.
    pub async fn content_hosts(&self, actor: &Actor, id: SystemId) -> CoreResult<HostAllowList> {
        self.authorize(actor, Action::ViewWorkflows, &Resource::Console)?;
        self.hosts_of(id).await
    }

    /// The same, for the commands that check content against it.
    pub(super) async fn hosts_of(&self, id: SystemId) -> CoreResult<HostAllowList> {
        let lines = self
            .store
            .system_content_hosts(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        HostAllowList::parse(&lines).map_err(|e| {
            StoreError::Corrupt(format!("connected_systems.content_hosts: {e}")).into()
        })
    }

    /// Replaces the hosts content for a system may link to and load media from (security
    /// admins). Drafts already written keep what they were checked against; new drafts and
    /// versions are checked against the new list.
    #[tracing::instrument(skip_all, fields(system = %id))]
    pub async fn set_content_hosts(
        &self,
        actor: &Actor,
        id: SystemId,
        raw: &str,
    ) -> CoreResult<HostAllowList> {
        self.authorize(actor, Action::ManageSystems, &Resource::Console)?;
        self.require_recent_sign_in(actor, Sensitive::ContentHosts)?;
        if raw.len() > 10_000 {
            return Err(invalid("content_hosts", "at most 10,000 characters"));
        }
        let hosts = HostAllowList::parse(raw).map_err(|e| invalid("content_hosts", e))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let system = tx
            .system_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("connected system"))?;
        let before = tx.system_content_hosts_in_tx(id).await?.unwrap_or_default();
        if before == hosts.to_lines() {
            return Err(invalid("content_hosts", "the list is unchanged"));
        }
        tx.set_system_content_hosts(id, &hosts.to_lines()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "system.content_hosts_changed",
            id.reference(),
            json!({
                "name": system.name,
                "before": before.lines().collect::<Vec<_>>(),
                "after": hosts.hosts(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(hosts)
    }
}
