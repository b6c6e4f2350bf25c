//! The authorization chokepoint. Cedar policies in `server/core/policies/` (or an operator's
//! directory) are parsed and validated against the schema when the engine is built; the server
//! refuses to start on an invalid policy, naming it.

mod engine;
mod request;

pub use engine::{Decision, Denied, PolicyEngine, PolicyLoadError, PolicySource};
pub use request::{Action, Resource};
