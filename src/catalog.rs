//! The check catalog: the entries (`checks/WDnnn-slug.toml`) of the checks this build implements,
//! embedded through the registry, and the IDs reserved for later. `explain`, the reports' titles,
//! `docs/troubleshooting.md` and the README's table of checks all come from these entries.

use serde::Deserialize;

use crate::registry::{CHECKS, RESERVED};
use crate::report::Category;

/// Every catalog ID, implemented or reserved, with its slug, in ID order: `--only`/`--skip` and
/// suppressions accept these.
pub fn all_ids() -> Vec<(&'static str, &'static str)> {
    let mut ids: Vec<(&str, &str)> = CHECKS.iter().map(|c| (c.id, c.slug)).chain(RESERVED.iter().copied()).collect();
    ids.sort_unstable();
    ids
}

pub fn is_known_id(id: &str) -> bool {
    CHECKS.iter().any(|c| c.id == id) || RESERVED.iter().any(|(i, _)| *i == id)
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub slug: String,
    pub category: Category,
    /// The healthy state, as a sentence without a final period.
    pub title: String,
    pub why: String,
    /// Exact messages users see when this check fails.
    pub symptoms: Vec<String>,
    pub fix: String,
    pub references: Vec<String>,
}

impl Entry {
    /// The anchor in `docs/troubleshooting.md` (GitHub's heading slug of `WD102 crun-version`).
    pub fn anchor(&self) -> String {
        format!("{}-{}", self.id.to_ascii_lowercase(), self.slug)
    }

    pub fn docs(&self) -> String {
        format!("docs/troubleshooting.md#{}", self.anchor())
    }
}

/// All embedded entries, in ID order. The sources are compiled in and tested, so a parse failure
/// here is a build defect; it is reported, not panicked on.
pub fn entries() -> &'static [Entry] {
    static ENTRIES: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut v: Vec<Entry> = CHECKS
            .iter()
            .filter_map(|c| match toml::from_str::<Entry>(c.entry) {
                Ok(e) => Some(e),
                Err(err) => {
                    eprintln!("wasmdoctor: internal catalog entry checks/{}-{}.toml is invalid: {err}", c.id, c.slug);
                    None
                }
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

pub fn entry(id: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.id.eq_ignore_ascii_case(id) || e.slug == id)
}

/// The embedded entries' file names under `checks/` and their text.
pub fn source_files() -> impl Iterator<Item = (String, &'static str)> {
    CHECKS.iter().map(|c| (format!("{}-{}.toml", c.id, c.slug), c.entry))
}

/// `wasmdoctor explain ID`.
pub fn explain(e: &Entry) -> String {
    let mut s = format!("{} {} ({})\n{}\n\n", e.id, e.slug, e.category.as_str(), e.title);
    s += &format!("Why it matters\n{}\n\n", indent(e.why.trim()));
    if !e.symptoms.is_empty() {
        s += "Symptoms\n";
        for m in &e.symptoms {
            s += &format!("  - {m}\n");
        }
        s += "\n";
    }
    s += &format!("Fix\n{}\n", indent(e.fix.trim()));
    if let Some(line) = automatic_fix(e) {
        s += &format!("\n{}\n", indent(&line));
    }
    if !e.references.is_empty() {
        s += "\nReferences\n";
        for r in &e.references {
            s += &format!("  - {r}\n");
        }
    }
    s
}

/// The line that says `wasmdoctor fix` plans this check's fix, for the checks it can.
fn automatic_fix(e: &Entry) -> Option<String> {
    crate::registry::find(&e.id).is_some_and(|c| c.fix.is_some()).then(|| {
        format!(
            "`wasmdoctor fix {}` plans this fix from what it finds, shows it, applies it with your consent and re-checks; `wasmdoctor undo` reverts it.",
            e.id
        )
    })
}

fn indent(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("  {l}") }).collect::<Vec<_>>().join("\n")
}

/// `docs/troubleshooting.md`, generated; a test fails when the committed file differs.
pub fn troubleshooting_markdown() -> String {
    let mut s = String::from(
        "# wasmdoctor troubleshooting\n\n\
         <!-- Generated from checks/*.toml by `WASMDOCTOR_BLESS=1 cargo test --test catalog`. Do not edit. -->\n\n\
         Every check wasmdoctor runs, what a failure means, and how to fix it. `wasmdoctor explain ID` prints\n\
         the same text in a terminal.\n\n\
         ## Exit codes\n\n\
         | code | meaning |\n|---|---|\n\
         | 0 | no check at or above `--fail-on` (default `fail`) |\n\
         | 1 | at least one check at or above `--fail-on` (an `error` counts as `fail`) |\n\
         | 2 | wasmdoctor could not run: bad flags, an unknown check ID, an unreadable or malformed policy file |\n\n\
         ## Checks\n\n| ID | slug | category | healthy state |\n|---|---|---|---|\n",
    );
    for e in entries() {
        s += &format!("| [{}](#{}) | {} | {} | {} |\n", e.id, e.anchor(), e.slug, e.category.as_str(), e.title);
    }
    for e in entries() {
        s += &format!("\n## {} {}\n\n**{}** · category `{}`\n\n", e.id, e.slug, e.title, e.category.as_str());
        s += &format!("### Why it matters\n\n{}\n\n", e.why.trim());
        if !e.symptoms.is_empty() {
            s += "### Symptoms\n\n";
            for m in &e.symptoms {
                s += &format!("- `{}`\n", m.replace('`', "'"));
            }
            s += "\n";
        }
        s += &format!("### Fix\n\n{}\n", e.fix.trim());
        if let Some(line) = automatic_fix(e) {
            s += &format!("\n{line}\n");
        }
        if !e.references.is_empty() {
            s += "\n### References\n\n";
            for r in &e.references {
                s += &format!("- {r}\n");
            }
        }
    }
    s
}

/// The README's table of checks (between its `checks-table` markers), generated; a test keeps the
/// README equal to it.
pub fn readme_table() -> String {
    let mut s = String::from("| ID | slug | healthy state |\n|---|---|---|\n");
    for e in entries() {
        s += &format!("| {} | {} | {} |\n", e.id, e.slug, e.title);
    }
    s
}

/// Catalog prose is hard-wrapped in its TOML; join each paragraph's lines so a pane or a plan can
/// wrap them to its width. List items and indented (code) lines stay lines of their own.
pub fn reflow(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut joinable = false;
    for line in text.trim().lines() {
        let t = line.trim_end();
        if t.is_empty() {
            out.push(String::new());
            joinable = false;
        } else if t.starts_with("    ") || t.trim_start().starts_with("- ") {
            out.push(t.to_string());
            joinable = t.trim_start().starts_with("- ");
        } else if joinable && let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(t.trim_start());
        } else {
            out.push(t.to_string());
            joinable = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflow_joins_paragraphs_only() {
        let text = "one\ntwo\n\n- item\n  more\n\n    code line\n    code two\nafter";
        assert_eq!(reflow(text), ["one two", "", "- item more", "", "    code line", "    code two", "after"]);
    }
}
