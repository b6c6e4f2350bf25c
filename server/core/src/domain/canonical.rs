//! One canonical form of content, fixed at draft time: what is hashed, signed, previewed, diffed,
//! searched for claims and published. HTML is tokenized (as a browser would), checked against
//! the allow-list in [`super::content_rules`] and written out again in one way (attributes
//! sorted and quoted, entities decoded, URLs as parsed, a line per block); Markdown and text keep
//! their source, with line endings normalised, after the same checks of what they link to.
//! Whatever is outside the allow-list is refused by name, never dropped in silence.

use super::content_rules::{
    attribute_allowed, check_style, check_url, HostAllowList, UrlUse, Violation, ALLOWED_ELEMENTS,
    BLOCK_ELEMENTS, VOID_ELEMENTS,
};
use super::ContentFormat;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};
use serde::Serialize;
use std::cell::RefCell;

/// A URL the content links to or loads, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundUrl {
    #[serde(rename = "use")]
    pub use_: UrlUse,
    pub url: String,
    /// The full host (empty for mailto: and tel: links, and in-page anchors).
    pub host: String,
    /// The link's text or the image's alt text, as readers see it.
    pub label: String,
}

/// Content in its canonical form, with what the reviewer must see of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The exact bytes that are hashed and published.
    pub text: String,
    /// What readers read: text with every character reference decoded, image alt text and
    /// titles included. Claims are found in it.
    pub reviewable: String,
    pub urls: Vec<OutboundUrl>,
}

/// Characters that reorder or hide text: a reviewer would not see what a reader gets.
fn hidden_character(c: char) -> Option<&'static str> {
    match c {
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional override"),
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' => Some("an invisible character"),
        '\u{0}' => Some("a NUL character"),
        _ => None,
    }
}

fn check_characters(text: &str, violations: &mut Vec<Violation>) {
    for c in text.chars() {
        if let Some(what) = hidden_character(c) {
            let violation = Violation {
                element: "text".to_owned(),
                attribute: None,
                url: None,
                problem: format!(
                    "U+{:04X} is {what}: it hides or reorders text from the reviewer",
                    c as u32
                ),
            };
            if !violations.contains(&violation) {
                violations.push(violation);
            }
        }
    }
}

fn normalise_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Checks `raw` against the allow-list and the target's hosts, and returns its canonical form,
/// or every construct that is not allowed.
pub fn canonicalize(
    raw: &str,
    format: ContentFormat,
    hosts: &HostAllowList,
) -> Result<Canonical, Vec<Violation>> {
    let mut violations = Vec::new();
    check_characters(raw, &mut violations);
    let canonical = match format {
        ContentFormat::Text => {
            let text = normalise_lines(raw).trim().to_owned();
            Canonical {
                reviewable: text.clone(),
                text,
                urls: Vec::new(),
            }
        }
        ContentFormat::Markdown => markdown(raw, Some(hosts), &mut violations),
        ContentFormat::Html => {
            let walk = walk_html(raw, Some(hosts), Mode::Publish);
            violations.extend(walk.violations);
            Canonical {
                text: walk.out.trim().to_owned(),
                reviewable: walk.review.trim().to_owned(),
                urls: walk.urls,
            }
        }
    };
    if violations.is_empty() {
        Ok(canonical)
    } else {
        Err(violations)
    }
}

/// What readers read of stored content (claims point into it); never fails.
pub fn reviewable(text: &str, format: ContentFormat) -> String {
    match format {
        ContentFormat::Html => walk_html(text, None, Mode::Publish)
            .review
            .trim()
            .to_owned(),
        _ => text.to_owned(),
    }
}

/// Every link and media URL of stored content, as published.
pub fn outbound_urls(text: &str, format: ContentFormat) -> Vec<OutboundUrl> {
    match format {
        ContentFormat::Html => walk_html(text, None, Mode::Publish).urls,
        ContentFormat::Markdown => markdown(text, None, &mut Vec::new()).urls,
        ContentFormat::Text => Vec::new(),
    }
}

/// HTML for the reviewer's preview: the same tokens, with every image replaced by a placeholder
/// naming its URL, so opening a draft loads nothing from anywhere (a draft cannot track who
/// reviews it).
pub fn without_remote_media(html: &str) -> String {
    walk_html(html, None, Mode::Preview).out
}

/// The character references Markdown may keep; any other would show readers something else
/// than the source the reviewer reads.
const MARKDOWN_REFERENCES: [&str; 4] = ["&amp;", "&lt;", "&gt;", "&quot;"];

fn markdown(
    raw: &str,
    hosts: Option<&HostAllowList>,
    violations: &mut Vec<Violation>,
) -> Canonical {
    let text = normalise_lines(raw).trim_end().to_owned();
    if hosts.is_some() {
        #[allow(clippy::unwrap_used)] // a constant pattern
        let reference =
            regex::Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);").unwrap();
        for found in reference.find_iter(&text) {
            if !MARKDOWN_REFERENCES.contains(&found.as_str()) {
                let violation = Violation {
                    element: "markdown".to_owned(),
                    attribute: None,
                    url: None,
                    problem: format!(
                        "the character reference {} hides what readers see: write the \
                         character itself",
                        found.as_str()
                    ),
                };
                if !violations.contains(&violation) {
                    violations.push(violation);
                }
            }
        }
    }
    let mut urls: Vec<OutboundUrl> = Vec::new();
    let mut open_label: Option<usize> = None;
    let parser = pulldown_cmark::Parser::new_ext(&text, markdown_options());
    for event in parser {
        use pulldown_cmark::{Event, Tag, TagEnd};
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(url) = markdown_url(&dest_url, UrlUse::Link, hosts, violations) {
                    open_label = Some(urls.len());
                    urls.push(url);
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(url) = markdown_url(&dest_url, UrlUse::Media, hosts, violations) {
                    open_label = Some(urls.len());
                    urls.push(url);
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => open_label = None,
            Event::Text(t) | Event::Code(t) => {
                if let Some(i) = open_label {
                    urls[i].label.push_str(&t);
                }
            }
            Event::Html(fragment) | Event::InlineHtml(fragment) => {
                let walk = walk_html(&fragment, hosts, Mode::Publish);
                if hosts.is_some() {
                    violations.extend(walk.violations);
                }
                urls.extend(walk.urls);
            }
            _ => {}
        }
    }
    Canonical {
        reviewable: text.clone(),
        text,
        urls,
    }
}

pub(super) fn markdown_options() -> pulldown_cmark::Options {
    pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
}

fn markdown_url(
    raw: &str,
    use_: UrlUse,
    hosts: Option<&HostAllowList>,
    violations: &mut Vec<Violation>,
) -> Option<OutboundUrl> {
    let checked = match hosts {
        Some(hosts) => check_url(raw, use_, hosts, "markdown", None),
        None => Ok(raw.to_owned()),
    };
    match checked {
        Ok(url) => Some(outbound(use_, url)),
        Err(violation) => {
            violations.push(violation);
            None
        }
    }
}

fn outbound(use_: UrlUse, url: String) -> OutboundUrl {
    let host = url::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    OutboundUrl {
        use_,
        url,
        host,
        label: String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The canonical bytes.
    Publish,
    /// The reviewer's preview: images become placeholders.
    Preview,
}

#[derive(Default)]
struct Walk {
    out: String,
    review: String,
    urls: Vec<OutboundUrl>,
    violations: Vec<Violation>,
}

struct Collect(RefCell<Vec<Token>>);

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        self.0.borrow_mut().push(token);
        TokenSinkResult::Continue
    }
}

/// Tokens as a browser's tokenizer sees them (character references already decoded).
fn tokens(html: &str) -> Vec<Token> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Collect(RefCell::new(Vec::new())), Default::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Walks HTML tokens once: writes the canonical form (or the preview), the reviewable text and
/// the outbound URLs, and names every construct outside the allow-list. With `hosts`, URLs are
/// checked against them; without, stored content is read as it is.
fn walk_html(html: &str, hosts: Option<&HostAllowList>, mode: Mode) -> Walk {
    let mut walk = Walk::default();
    let mut stack: Vec<String> = Vec::new();
    let mut newline_due = false;
    let mut open_link: Option<usize> = None;
    for token in tokens(&normalise_lines(html)) {
        let in_pre = stack.iter().any(|e| e == "pre");
        match token {
            Token::CharacterTokens(text) => {
                if newline_due && !text.starts_with('\n') {
                    walk.out.push('\n');
                }
                newline_due = false;
                escape_text(&text, &mut walk.out);
                walk.review.push_str(&text);
                if let Some(i) = open_link {
                    walk.urls[i].label.push_str(&text);
                }
            }
            Token::NullCharacterToken => walk.violations.push(named("text", "a NUL character")),
            Token::CommentToken(_) => walk.violations.push(named(
                "!--",
                "a comment is hidden from readers, and some mail clients act on it",
            )),
            Token::DoctypeToken(_) => walk
                .violations
                .push(named("!doctype", "send the content, not a whole document")),
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                if newline_due {
                    walk.out.push('\n');
                    newline_due = false;
                }
                start_tag(&tag, hosts, mode, &mut walk, &mut open_link);
                let name: &str = &tag.name;
                if ALLOWED_ELEMENTS.contains(&name) && !VOID_ELEMENTS.contains(&name) {
                    stack.push(name.to_owned());
                }
            }
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                if VOID_ELEMENTS.contains(&name) {
                    continue;
                }
                // An end tag closes its element and any left open inside it; a stray one
                // closes nothing and is dropped.
                if let Some(depth) = stack.iter().rposition(|e| e == name) {
                    while stack.len() > depth {
                        if let Some(open) = stack.pop() {
                            close(&open, &mut walk, &mut open_link, &mut newline_due, in_pre);
                        }
                    }
                }
            }
            Token::EOFToken | Token::ParseError(_) => {}
        }
    }
    while let Some(open) = stack.pop() {
        let in_pre = stack.iter().any(|e| e == "pre");
        close(&open, &mut walk, &mut open_link, &mut newline_due, in_pre);
    }
    walk
}

fn named(element: &str, problem: &str) -> Violation {
    Violation {
        element: element.to_owned(),
        attribute: None,
        url: None,
        problem: problem.to_owned(),
    }
}

fn close(
    name: &str,
    walk: &mut Walk,
    open_link: &mut Option<usize>,
    newline_due: &mut bool,
    in_pre: bool,
) {
    walk.out.push_str("</");
    walk.out.push_str(name);
    walk.out.push('>');
    if name == "a" {
        *open_link = None;
    }
    if BLOCK_ELEMENTS.contains(&name) {
        if !walk.review.ends_with('\n') {
            walk.review.push('\n');
        }
        *newline_due = !in_pre;
    }
}

fn start_tag(
    tag: &Tag,
    hosts: Option<&HostAllowList>,
    mode: Mode,
    walk: &mut Walk,
    open_link: &mut Option<usize>,
) {
    let name: &str = &tag.name;
    if !ALLOWED_ELEMENTS.contains(&name) {
        walk.violations.push(named(
            name,
            "this element is not allowed (no scripts, styles, forms, frames or embeds)",
        ));
        return;
    }
    if BLOCK_ELEMENTS.contains(&name) && !walk.review.is_empty() && !walk.review.ends_with('\n') {
        walk.review.push('\n');
    }
    let mut attributes: Vec<(String, String)> = Vec::new();
    for attribute in &tag.attrs {
        let attr: &str = &attribute.name.local;
        let value: &str = &attribute.value;
        let refuse = |problem: &str| Violation {
            element: name.to_owned(),
            attribute: Some(attr.to_owned()),
            url: None,
            problem: problem.to_owned(),
        };
        if attr.starts_with("on") {
            walk.violations
                .push(refuse("event handlers run code: they are never allowed"));
            continue;
        }
        if !attribute_allowed(name, attr) {
            walk.violations
                .push(refuse("this attribute is not allowed on this element"));
            continue;
        }
        let checked = match attr {
            "href" | "src" => {
                let use_ = if attr == "src" {
                    UrlUse::Media
                } else {
                    UrlUse::Link
                };
                let checked = match hosts {
                    Some(hosts) => check_url(value, use_, hosts, name, Some(attr)),
                    None => Ok(value.to_owned()),
                };
                if let Ok(url) = &checked {
                    if use_ == UrlUse::Link {
                        *open_link = Some(walk.urls.len());
                    }
                    let mut found = outbound(use_, url.clone());
                    if use_ == UrlUse::Media {
                        found.label = alt_of(tag);
                    }
                    walk.urls.push(found);
                }
                checked
            }
            "style" => check_style(value, name),
            "width" | "height" | "colspan" | "rowspan" | "start" => {
                if !value.is_empty()
                    && value.len() <= 5
                    && value.chars().all(|c| c.is_ascii_digit())
                {
                    Ok(value.to_owned())
                } else {
                    Err(refuse("a whole number of at most 5 digits"))
                }
            }
            "align" => match value.to_ascii_lowercase().as_str() {
                v @ ("left" | "center" | "right" | "justify") => Ok(v.to_owned()),
                _ => Err(refuse("left, center, right or justify")),
            },
            _ => Ok(value.to_owned()),
        };
        match checked {
            Ok(value) => attributes.push((attr.to_owned(), value)),
            Err(violation) => walk.violations.push(violation),
        }
    }
    attributes.sort();
    if name == "img" && !tag.attrs.iter().any(|a| &*a.name.local == "src") {
        walk.violations.push(Violation {
            element: "img".to_owned(),
            attribute: Some("src".to_owned()),
            url: None,
            problem: "an image needs a src".to_owned(),
        });
    }
    if mode == Mode::Preview && name == "img" {
        let src = attributes
            .iter()
            .find(|(a, _)| a == "src")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        walk.out.push_str("<em>[image not loaded: ");
        escape_text(src, &mut walk.out);
        walk.out.push_str("]</em>");
    } else {
        walk.out.push('<');
        walk.out.push_str(name);
        for (attr, value) in &attributes {
            walk.out.push(' ');
            walk.out.push_str(attr);
            walk.out.push_str("=\"");
            escape_attribute(value, &mut walk.out);
            walk.out.push('"');
        }
        walk.out.push('>');
    }
    // What readers see of the element beyond its text: an image's alt text, any title.
    if name == "img" {
        let alt = alt_of(tag);
        walk.review.push_str(&if alt.is_empty() {
            "[image]".to_owned()
        } else {
            format!("[image: {alt}]")
        });
    }
    if name == "br" {
        walk.review.push('\n');
    }
    if let Some((_, title)) = attributes.iter().find(|(a, _)| a == "title") {
        walk.review.push_str(&format!("[title: {title}]"));
    }
}

fn alt_of(tag: &Tag) -> String {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == "alt")
        .map(|a| a.value.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> HostAllowList {
        HostAllowList::parse("www.example.com\n*.cdn.example.com").unwrap()
    }

    fn html(raw: &str) -> Result<Canonical, Vec<Violation>> {
        canonicalize(raw, ContentFormat::Html, &hosts())
    }

    fn refused(raw: &str, format: ContentFormat) -> Vec<String> {
        canonicalize(raw, format, &hosts())
            .expect_err(raw)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn hidden_handlers_scripts_remote_tracking_and_forms_are_refused_each_by_name() {
        let found = refused(
            "<p onclick=\"steal()\" class=\"x\">Hi</p><script>steal()</script>\
             <img src=\"https://tracker.evil.net/p.gif\"><iframe src=\"https://www.example.com\">\
             </iframe><form></form><a href=\"javascript:steal()\">x</a>\
             <p style=\"background:url(https://t.evil.net/)\">y</p><!-- hidden -->",
            ContentFormat::Html,
        );
        for expected in [
            "<p> onclick: event handlers",
            "<p> class: this attribute is not allowed",
            "<script>: this element is not allowed",
            "<img> src (https://tracker.evil.net/p.gif): tracker.evil.net is not a host",
            "<iframe>",
            "<form>",
            "<a> href (javascript:steal()): the javascript: scheme",
            "<p> style: a style may not use `url(`",
            "<!-->: a comment",
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(expected)),
                "missing {expected} in {found:#?}"
            );
        }
    }

    #[test]
    fn harmless_differences_canonicalise_to_the_same_bytes() {
        let a = html(
            "<P  title='Offer' lang=\"en\">20&#37; off &amp; more</P>\r\n\
             <a href=\"https://WWW.example.com/spring\">Shop</a>",
        )
        .unwrap();
        let b = html(
            "<p lang=en title=\"Offer\">20% off &amp;amp; more</p>\n\
             <a href='https://www.example.com/spring'>Shop</a>",
        );
        // `&amp;amp;` is a different text (readers see "&amp;"), so only the first pair agree.
        assert_ne!(Ok(a.clone()), b);
        let c = html(
            "<p lang=en title=\"Offer\">20% off &amp; more</p>\n\
             <a href='https://www.example.com/spring'>Shop</a>",
        )
        .unwrap();
        assert_eq!(a.text, c.text);
        assert_eq!(
            a.text,
            "<p lang=\"en\" title=\"Offer\">20% off &amp; more</p>\n\
             <a href=\"https://www.example.com/spring\">Shop</a>"
        );
        assert_eq!(
            html(&a.text).unwrap().text,
            a.text,
            "canonical is a fixed point"
        );
    }

    #[test]
    fn reviewers_read_decoded_text_alt_and_titles_and_every_url_with_its_host() {
        let c = html(
            "<p>Save &#50;0&percnt; <b title=\"guaranteed lowest price\">now</b></p>\
             <img alt=\"Best deal ever\" src=\"https://img.cdn.example.com/a.png\">\
             <p><a href=\"https://www.example.com/terms\">Terms</a></p>",
        )
        .unwrap();
        assert!(c.reviewable.contains("Save 20%"), "{}", c.reviewable);
        assert!(c.reviewable.contains("[title: guaranteed lowest price]"));
        assert!(c.reviewable.contains("[image: Best deal ever]"));
        assert_eq!(c.urls.len(), 2);
        assert_eq!(c.urls[0].host, "img.cdn.example.com");
        assert_eq!(c.urls[0].label, "Best deal ever");
        assert_eq!(
            (c.urls[1].host.as_str(), c.urls[1].label.as_str()),
            ("www.example.com", "Terms")
        );
    }

    #[test]
    fn a_link_only_change_changes_the_canonical_bytes() {
        let before = html("<p><a href=\"https://www.example.com/a\">Offer</a></p>").unwrap();
        let after = html("<p><a href=\"https://www.example.com/b\">Offer</a></p>").unwrap();
        assert_eq!(before.reviewable, after.reviewable);
        assert_ne!(before.text, after.text);
    }

    #[test]
    fn the_preview_names_images_instead_of_loading_them() {
        let preview = without_remote_media(
            "<p>Hi<img alt=\"x\" src=\"https://img.cdn.example.com/a.png\"></p>",
        );
        assert!(!preview.contains("<img"), "{preview}");
        assert!(preview.contains("[image not loaded: https://img.cdn.example.com/a.png]"));
    }

    #[test]
    fn markdown_is_checked_for_links_images_inline_html_and_hidden_references() {
        let ok = canonicalize(
            "Spring: [shop](https://www.example.com/s) ![a](https://img.cdn.example.com/a.png)\r\n",
            ContentFormat::Markdown,
            &hosts(),
        )
        .unwrap();
        assert_eq!(ok.urls.len(), 2);
        assert!(!ok.text.contains('\r'));
        let found = refused(
            "Hi <span onmouseover=\"x()\">there</span> [x](https://evil.net) 20&#37; \
             ![t](http://www.example.com/p.gif)",
            ContentFormat::Markdown,
        );
        for expected in [
            "<span> onmouseover",
            "<markdown> (https://evil.net)",
            "<markdown>: the character reference &#37;",
            "<markdown> (http://www.example.com/p.gif): the http: scheme",
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(expected)),
                "missing {expected} in {found:#?}"
            );
        }
    }

    #[test]
    fn characters_that_hide_or_reorder_text_are_refused_in_every_format() {
        for format in [
            ContentFormat::Text,
            ContentFormat::Markdown,
            ContentFormat::Html,
        ] {
            let found = refused("Price \u{202E}001$ today", format);
            assert!(found[0].contains("U+202E"), "{found:?}");
        }
    }
}
