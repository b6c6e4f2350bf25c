//! A PATCH request (RFC 7644 §3.5.2) parsed into operations; what each operation does to a
//! user or a group is that resource's business.

use super::error::clip;
use super::path::AttrPath;
use super::ScimError;
use serde_json::Value;

/// Operations in one request at most.
const MAX_OPERATIONS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOp,
    pub path: Option<AttrPath>,
    pub value: Option<Value>,
}

impl PatchOperation {
    /// The operations of a PATCH body, in order.
    pub fn parse_request(body: &Value) -> Result<Vec<Self>, ScimError> {
        let body = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a PATCH body must be a JSON object"))?;
        super::check_schemas(body, super::PATCH_OP_SCHEMA, &[super::PATCH_OP_SCHEMA])?;
        // Entra ID writes `Operations`; some clients lower-case it.
        let operations = body
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("operations"))
            .map(|(_, v)| v)
            .ok_or_else(|| ScimError::invalid_syntax("a PATCH body needs `Operations`"))?
            .as_array()
            .ok_or_else(|| ScimError::invalid_syntax("`Operations` must be an array"))?;
        if operations.is_empty() || operations.len() > MAX_OPERATIONS {
            return Err(ScimError::invalid_syntax(format!(
                "`Operations` must hold 1 to {MAX_OPERATIONS} operations"
            )));
        }
        operations
            .iter()
            .enumerate()
            .map(|(n, op)| {
                Self::parse(op).map_err(|mut e| {
                    e.detail = format!("Operations[{n}]: {}", e.detail);
                    e
                })
            })
            .collect()
    }

    fn parse(raw: &Value) -> Result<Self, ScimError> {
        let raw = raw
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("an operation must be a JSON object"))?;
        let field = |name: &str| {
            raw.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        for key in raw.keys() {
            if !["op", "path", "value"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key))
            {
                return Err(ScimError::invalid_syntax(format!(
                    "unknown member `{}` (an operation has op, path and value)",
                    clip(key)
                )));
            }
        }
        let op = match field("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(op) if op == "add" => PatchOp::Add,
            Some(op) if op == "replace" => PatchOp::Replace,
            Some(op) if op == "remove" => PatchOp::Remove,
            Some(other) => {
                return Err(ScimError::invalid_syntax(format!(
                    "`op` must be add, replace or remove, not `{}`",
                    clip(&other)
                )))
            }
            None => return Err(ScimError::invalid_syntax("`op` is missing")),
        };
        let path = match field("path") {
            None | Some(Value::Null) => None,
            Some(Value::String(path)) => Some(AttrPath::parse(path)?),
            Some(_) => return Err(ScimError::invalid_path("`path` must be a string")),
        };
        let value = field("value").filter(|v| !v.is_null()).cloned();
        match (op, &path, &value) {
            (PatchOp::Remove, None, _) => {
                Err(ScimError::no_target("a remove operation needs a `path`"))
            }
            (PatchOp::Add | PatchOp::Replace, _, None) => Err(ScimError::invalid_value(
                "an add or replace operation needs a `value`",
            )),
            (PatchOp::Add | PatchOp::Replace, None, Some(v)) if !v.is_object() => {
                Err(ScimError::invalid_value(
                    "without a `path`, `value` must be an object of attributes",
                ))
            }
            _ => Ok(Self { op, path, value }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(ops: Value) -> Value {
        json!({ "schemas": [super::super::PATCH_OP_SCHEMA], "Operations": ops })
    }

    #[test]
    fn entra_and_okta_shapes_parse() {
        let ops = PatchOperation::parse_request(&body(json!([
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "replace", "value": { "active": false } },
            { "op": "Remove", "path": "members[value eq \"u1\"]" },
            { "op": "Add", "path": "members", "value": [{ "value": "u2" }] }
        ])))
        .unwrap();
        assert_eq!(
            ops.iter().map(|o| o.op).collect::<Vec<_>>(),
            [
                PatchOp::Replace,
                PatchOp::Replace,
                PatchOp::Remove,
                PatchOp::Add
            ]
        );
        assert!(ops[1].path.is_none());
    }

    #[test]
    fn malformed_requests_name_the_problem() {
        let cases = [
            (json!({ "Operations": [] }), "no `schemas`"),
            (
                json!({ "schemas": ["urn:x"], "Operations": [] }),
                "unknown schema `urn:x`",
            ),
            (body(json!([])), "1 to 200"),
            (
                body(json!([{ "op": "move", "path": "a" }])),
                "Operations[0]: `op` must be",
            ),
            (body(json!([{ "op": "remove" }])), "needs a `path`"),
            (
                body(json!([{ "op": "add", "path": "title" }])),
                "needs a `value`",
            ),
            (
                body(json!([{ "op": "add", "value": "x" }])),
                "must be an object",
            ),
            (
                body(json!([{ "op": "add", "path": "a", "value": 1, "from": "b" }])),
                "unknown member `from`",
            ),
        ];
        for (request, expected) in cases {
            let err = PatchOperation::parse_request(&request).unwrap_err();
            assert!(err.detail.contains(expected), "{request}: {}", err.detail);
            assert_eq!(err.status, 400);
        }
    }
}
