//! CSV cells that a spreadsheet will not run: a cell that begins with `=`, `+`, `-`, `@`, a tab or
//! a carriage return is read as a formula by Excel and its peers (CSV injection), so exports
//! prefix it with an apostrophe. Names, comments and labels come from people and agents.

/// `text`, safe to open in a spreadsheet.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_defused_and_everything_else_is_left_alone() {
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("Amira Haddad"), "Amira Haddad");
        assert_eq!(cell(""), "");
        assert_eq!(cell("{\"a\":1}"), "{\"a\":1}");
    }
}
