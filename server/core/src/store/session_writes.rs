//! Ending every session of one person inside a state change, so that the ledger event that says
//! so and the sessions' end commit together. Shared by both backends through
//! `session_writes_sql!`.

use super::StoreError;
use crate::domain::HumanId;
use async_trait::async_trait;

#[async_trait]
pub trait SessionWrites {
    /// Deletes every session of `person`; how many there were.
    async fn delete_sessions_of(&mut self, person: HumanId) -> Result<u64, StoreError>;
}

macro_rules! session_writes_sql {
    ($tx:ident) => {
        #[async_trait::async_trait]
        impl super::session_writes::SessionWrites for $tx {
            async fn delete_sessions_of(
                &mut self,
                person: crate::domain::HumanId,
            ) -> Result<u64, crate::store::StoreError> {
                Ok(sqlx::query("DELETE FROM sessions WHERE human_id = $1")
                    .bind(person.to_string())
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected())
            }
        }
    };
}

pub(super) use session_writes_sql;
