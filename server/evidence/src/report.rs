//! `report.html`: the pack for people. Rendered from the manifest alone (so the verifier can
//! render it again and compare), self-contained, without scripts, one printed page per section.

use crate::manifest::{Item, Manifest, PackKind, Section};
use serde_json::Value;
use std::fmt::Write as _;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;color:#0f172a;margin:2rem auto;max-width:60rem;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;border-bottom:1px solid #cbd5e1;padding-bottom:.25rem}\
h3{font-size:1rem;margin:1rem 0 .25rem}section{margin-top:2rem}\
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}th,td{text-align:left;vertical-align:top;border:1px solid #e2e8f0;padding:.3rem .5rem}\
td{white-space:pre-wrap;word-break:break-word}th{width:14rem;background:#f8fafc;font-weight:600}pre{white-space:pre-wrap;word-break:break-word;background:#f8fafc;padding:.5rem;border:1px solid #e2e8f0}\
.note{color:#475569}.proof{font-size:.85rem;color:#475569}code{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-all}\
@media print{section{break-before:page}body{margin:0}}";

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

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "—".to_owned(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn item(out: &mut String, item: &Item, manifest: &Manifest) {
    let _ = write!(out, "<h3>{}</h3><table>", escape(&item.heading));
    for (key, value) in &item.fields {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(&label(key)),
            escape(&value_text(value))
        );
    }
    if let Some(path) = &item.file {
        let hash = manifest
            .files
            .iter()
            .find(|f| &f.path == path)
            .map(|f| f.sha256.as_str())
            .unwrap_or("missing");
        let _ = write!(
            out,
            "<tr><th scope=\"row\">File</th><td><code>{}</code> ({})</td></tr>",
            escape(path),
            escape(hash)
        );
    }
    out.push_str("</table>");
    let proof = match item.event {
        Some(seq) => format!("Ledger event {seq}, included in the signed checkpoint."),
        None => "As the console states it (not a ledger event).".to_owned(),
    };
    let _ = write!(out, "<p class=\"proof\">{}</p>", escape(&proof));
}

fn section(out: &mut String, section: &Section, manifest: &Manifest) {
    let _ = write!(
        out,
        "<section id=\"{}\"><h2>{}</h2><p class=\"note\">{}</p>",
        escape(&section.id),
        escape(&section.title),
        escape(&section.note)
    );
    if section.items.is_empty() {
        out.push_str("<p>None.</p>");
    }
    for entry in &section.items {
        item(out, entry, manifest);
    }
    out.push_str("</section>");
}

/// The report of `manifest`: the same manifest always gives the same bytes.
pub fn render(manifest: &Manifest) -> String {
    let kind = match manifest.kind {
        PackKind::Change => "Change",
        PackKind::Workflow => "Workflow",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Evidence: {title}</title><style>{STYLE}</style></head><body><header><p class=\"note\">Countersign evidence pack · {kind}</p>\
<h1>{title}</h1><p>Subject <code>{subject}</code>. Every fact below that names a ledger event was read from that event; \
the events are proven to be in the ledger by the signed checkpoint of {size} events (log <code>{origin}</code>, root <code>{root}</code>). \
Check this pack yourself with <code>countersign-verify PACK --key KEY</code>, using the log key you got from the console's operator.</p></header>",
        title = escape(&manifest.title),
        subject = escape(&manifest.subject),
        size = manifest.log.tree_size,
        origin = escape(&manifest.log.origin),
        root = escape(&manifest.log.root_hash),
    );
    out.push_str("<section id=\"in-force\"><h2>Policy and settings in force</h2><p class=\"note\">When the pack was made, by hash.</p><table>");
    for (key, value) in &manifest.in_force {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape(&label(key)),
            escape(&value_text(value))
        );
    }
    out.push_str("</table></section>");
    for entry in &manifest.sections {
        section(&mut out, entry, manifest);
    }
    out.push_str("<section id=\"files\"><h2>Files in this pack</h2><table>");
    for file in &manifest.files {
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}<br><code>{}</code></td></tr>",
            escape(&file.path),
            escape(&file.about),
            escape(&file.sha256)
        );
    }
    let _ = writeln!(
        out,
        "</table><p class=\"note\">The log's public key as the console gave it: <code>{}</code></p></section></body></html>",
        escape(&manifest.log.public_key)
    );
    out
}
