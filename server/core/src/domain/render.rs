//! Content rendered for reviewers without trusting it: Markdown becomes HTML, images become
//! placeholders naming their URL (the preview loads nothing remote, so a draft cannot track who
//! reviews it), and the result is cleaned again to a small allow-list as a second line of
//! defence — no scripts, styles, event handlers, forms or frames; links open nothing by
//! themselves (`rel="noopener noreferrer nofollow"`). The content itself was checked against the
//! publishing allow-list when it was drafted (see `canonical`).

use super::ContentFormat;

/// Safe HTML for the reviewer's preview of `text` in `format`.
pub fn render_safe_html(text: &str, format: ContentFormat) -> String {
    let html = match format {
        ContentFormat::Html => text.to_owned(),
        ContentFormat::Markdown => {
            let mut out = String::with_capacity(text.len() * 2);
            let parser =
                pulldown_cmark::Parser::new_ext(text, super::canonical::markdown_options());
            pulldown_cmark::html::push_html(&mut out, parser);
            out
        }
        ContentFormat::Text => return format!("<p>{}</p>", escape(text).replace('\n', "<br>")),
    };
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto", "tel"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&super::canonical::without_remote_media(&html))
        .to_string()
}

/// Text as HTML text: the five characters HTML gives meaning to, escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_dangerous_links_never_survive() {
        let cases = [
            (
                "<p onclick=\"steal()\">Hi</p><script>steal()</script>",
                ContentFormat::Html,
            ),
            (
                "<img src=x onerror=steal()><a href=\"javascript:steal()\">x</a>",
                ContentFormat::Html,
            ),
            (
                "# Offer\n\n<script>steal()</script>\n\n[x](javascript:steal())",
                ContentFormat::Markdown,
            ),
            (
                "<iframe src=\"https://evil.example\"></iframe><style>*{}</style>",
                ContentFormat::Html,
            ),
        ];
        for (text, format) in cases {
            let html = render_safe_html(text, format);
            for bad in [
                "<script",
                "onclick",
                "onerror",
                "href=\"javascript",
                "<iframe",
                "<style",
            ] {
                assert!(!html.contains(bad), "{bad} in {html}");
            }
        }
    }

    #[test]
    fn the_preview_loads_no_remote_media() {
        for (text, format) in [
            (
                "<p>Hi <img src=\"https://img.example.com/pixel.gif?r=1\" alt=\"\"></p>",
                ContentFormat::Html,
            ),
            (
                "Hi ![](https://img.example.com/pixel.gif?r=1)",
                ContentFormat::Markdown,
            ),
        ] {
            let html = render_safe_html(text, format);
            assert!(!html.contains("<img"), "{html}");
            assert!(
                html.contains("[image not loaded: https://img.example.com/pixel.gif?r=1]"),
                "{html}"
            );
        }
    }

    #[test]
    fn markdown_renders_and_text_is_escaped() {
        let html = render_safe_html("# Spring\n\n**20%** off", ContentFormat::Markdown);
        assert!(html.contains("<h1>Spring</h1>"), "{html}");
        assert!(html.contains("<strong>20%</strong>"), "{html}");
        let text = render_safe_html("<b>not bold</b>\nline two", ContentFormat::Text);
        assert!(text.contains("&lt;b&gt;not bold&lt;/b&gt;"), "{text}");
        assert!(text.contains("<br>line two"), "{text}");
        let link = render_safe_html(
            "[terms](https://example.com/terms)",
            ContentFormat::Markdown,
        );
        assert!(
            link.contains("rel=\"noopener noreferrer nofollow\""),
            "{link}"
        );
    }
}
