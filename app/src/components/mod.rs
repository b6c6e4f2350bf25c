pub mod effects;
pub mod gate;
pub mod grant_editor;
pub mod layout;
pub mod published;
pub mod template_use;
pub mod ui;
pub mod variants;
