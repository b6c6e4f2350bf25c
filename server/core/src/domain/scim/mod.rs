//! SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) as the directory speaks it to Countersign:
//! the request shapes parsed into values that are valid by construction, and the errors as the
//! protocol names them. What a provisioning request does to people is the service layer's.

mod error;
mod filter;
mod group;
mod patch;
mod path;
mod user;

pub use error::{ScimError, ScimType};
pub use filter::{Condition, FilterAttribute, ScimFilter};
pub use group::{GroupPatch, MemberChange, ScimGroup, MAX_MEMBERS_PER_REQUEST};
pub use patch::{PatchOp, PatchOperation};
pub use user::{ScimUser, USER_ATTRIBUTES};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Entra ID names this extension in every group it creates; it carries no attributes.
pub const ENTRA_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Resources answered per page at most, whatever `count` asks (RFC 7644 §3.4.2.4 lets the
/// service provider cap it).
pub const MAX_PAGE: usize = 200;

/// Checks a request body's `schemas`: present, every URN one this resource accepts, and the
/// core schema among them.
pub(crate) fn check_schemas(
    body: &serde_json::Map<String, serde_json::Value>,
    core: &str,
    allowed: &[&str],
) -> Result<(), ScimError> {
    let Some(schemas) = body.get("schemas") else {
        return Err(ScimError::invalid_syntax(format!(
            "the request names no `schemas`; expected [\"{core}\"]"
        )));
    };
    let schemas = schemas
        .as_array()
        .ok_or_else(|| ScimError::invalid_syntax("`schemas` must be an array of schema URNs"))?;
    let mut has_core = false;
    for schema in schemas {
        let Some(urn) = schema.as_str() else {
            return Err(ScimError::invalid_syntax("`schemas` must hold strings"));
        };
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(urn)) {
            return Err(ScimError::invalid_value(format!(
                "unknown schema `{}`",
                error::clip(urn)
            )));
        }
        has_core |= urn.eq_ignore_ascii_case(core);
    }
    if has_core {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!(
            "`schemas` must include \"{core}\""
        )))
    }
}
