use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Typed identifiers: UUIDv7 (time-ordered) wrapped so that one kind cannot be passed for another.
macro_rules! typed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// The reference used in the ledger and in Cedar entity ids, e.g. `human:0190…`.
            pub fn reference(&self) -> String {
                format!(concat!($prefix, ":{}"), self.0)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(HumanId, "human");
typed_id!(NhiId, "nhi");
typed_id!(SystemId, "system");
typed_id!(DrillId, "drill");
typed_id!(WorkflowId, "workflow");
typed_id!(StepId, "step");
typed_id!(AuditorTokenId, "auditor_token");
typed_id!(DirectoryTokenId, "directory_token");
typed_id!(DirectoryGroupId, "directory_group");
