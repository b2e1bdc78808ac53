//! Property tests of the config editors (issue 11): on generated containerd configs and Go
//! templates — any quoting, spacing, indentation, comments and `{{ }}` actions — every edit reads
//! back (the product's own parser sees the new value; everything else is as it was: the TOML
//! structure, every comment, every other line), and arbitrary text never panics.

use proptest::prelude::*;
use wasmdoctor::plan::edit::{
    add_pod_annotations, rename_runtime_plugin, runtime_block, set_in_template, set_systemd_cgroup,
};
use wasmdoctor::rules::containerd_config::parse;

const V2: &str = "io.containerd.grpc.v1.cri";
const V3: &str = "io.containerd.cri.v1.runtime";

/// One runtime as a config declares it.
#[derive(Debug, Clone)]
struct Rt {
    name: String,
    annotations: Option<Vec<String>>,
    /// `options` sub-table: BinaryName, and SystemdCgroup when some.
    options: Option<(String, Option<bool>)>,
    comment: Option<String>,
}

#[derive(Debug, Clone)]
struct Config {
    quote: char,
    spaced: bool,
    indent: String,
    runtimes: Vec<Rt>,
    /// Go template actions between tables (a k3s template).
    actions: bool,
}

fn string() -> impl Strategy<Value = String> {
    // Text TOML strings carry: quotes, `#`, dots, brackets, spaces, non-ASCII.
    "[a-zA-Z0-9 ./#\\[\\]'{}=é✓-]{0,12}"
}

fn runtime() -> impl Strategy<Value = Rt> {
    (
        prop_oneof!["[a-z][a-z0-9_-]{0,8}", "[a-z][a-z. ]{0,6}[a-z]"],
        proptest::option::of(proptest::collection::vec(string(), 0..3)),
        proptest::option::of(("/[a-z/]{1,12}", proptest::option::of(any::<bool>()))),
        proptest::option::of(string()),
    )
        .prop_map(|(name, annotations, options, comment)| Rt { name, annotations, options, comment })
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![Just('"'), Just('\'')],
        any::<bool>(),
        prop_oneof![Just(String::new()), Just("  ".to_string()), Just("    ".to_string()), Just("\t".to_string())],
        proptest::collection::vec(runtime(), 1..4),
        any::<bool>(),
    )
        .prop_map(|(quote, spaced, indent, mut runtimes, actions)| {
            runtimes.dedup_by(|a, b| a.name == b.name);
            let mut seen = std::collections::HashSet::new();
            runtimes.retain(|r| seen.insert(r.name.clone()));
            Config { quote, spaced, indent, runtimes, actions }
        })
}

/// A TOML basic string.
fn q(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

fn key(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') { k.to_string() } else { q(k) }
}

impl Config {
    fn header(&self, name: &str, sub: &str) -> String {
        let dot = if self.spaced { " . " } else { "." };
        let id = format!("{0}{V2}{0}", self.quote);
        let parts = ["plugins", &id, "containerd", "runtimes", &key(name)];
        format!("[{}{sub}]\n", parts.join(dot))
    }

    fn text(&self) -> String {
        let mut t = String::from("version = 2\n");
        if self.actions {
            t.insert_str(0, "{{ template \"base\" . }}\n");
        }
        t += &format!("[plugins.{0}{V2}{0}.containerd]\n  default_runtime_name = \"runc\"\n\n", self.quote);
        let ind = &self.indent;
        for r in &self.runtimes {
            if self.actions {
                t += "{{- if .EnableWasm }}\n";
            }
            if let Some(c) = &r.comment {
                t += &format!("# {c}\n");
            }
            t += &self.header(&r.name, "");
            t += &format!("{ind}runtime_type = \"io.containerd.runc.v2\"\n");
            if let Some(a) = &r.annotations {
                let list: Vec<String> = a.iter().map(|s| q(s)).collect();
                t += &format!("{ind}pod_annotations = [{}] # kept\n", list.join(", "));
            }
            if let Some((bin, cgroup)) = &r.options {
                t += &self.header(&r.name, &format!("{}options", if self.spaced { " . " } else { "." }));
                t += &format!("{ind}{ind}BinaryName = {}\n", q(bin));
                if let Some(on) = cgroup {
                    // A trailing comment (with its own `#` and quotes) stays on the line.
                    let tail = r.comment.as_ref().map(|c| format!(" # {c}")).unwrap_or_default();
                    t += &format!("{ind}{ind}SystemdCgroup = {on}{tail}\n");
                }
            }
            if self.actions {
                t += "{{- end }}\n";
            }
            t += "\n";
        }
        t
    }
}

fn toml_value(text: &str) -> toml::Value {
    toml::from_str(text).unwrap_or_else(|e| panic!("does not parse ({e}):\n{text}"))
}

fn runtime_of<'a>(v: &'a mut toml::Value, plugin: &str, name: &str) -> &'a mut toml::Table {
    v["plugins"][plugin]["containerd"]["runtimes"][name].as_table_mut().unwrap()
}

/// Comment lines and the trailing comments the generator writes (after `SystemdCgroup = <bool>`,
/// and `# kept` after `pod_annotations`), in order.
fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            if t.starts_with('#') {
                Some(t)
            } else if t.starts_with("SystemdCgroup") {
                t.find(" # ").map(|c| &t[c + 1..])
            } else {
                t.ends_with("] # kept").then_some("# kept")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// `pod_annotations` gains exactly the wanted entries; nothing else in the document changes.
    #[test]
    fn pod_annotations_read_back(c in config(), pick in any::<prop::sample::Index>(), wanted in proptest::collection::vec(string(), 1..3)) {
        let c = Config { actions: false, ..c };
        let text = c.text();
        let r = &c.runtimes[pick.index(c.runtimes.len())];
        let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let out = add_pod_annotations(&text, V2, &r.name, &wanted).unwrap();
        let (mut before, mut after) = (toml_value(&text), toml_value(&out));
        let had = runtime_of(&mut before, V2, &r.name).remove("pod_annotations");
        let now = runtime_of(&mut after, V2, &r.name).remove("pod_annotations").unwrap();
        prop_assert_eq!(&before, &after);
        let now: Vec<&str> = now.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let had: Vec<String> = had.map(|h| h.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap_or_default();
        prop_assert!(had.iter().all(|h| now.contains(&h.as_str())), "lost an entry: {:?} → {:?}", had, now);
        prop_assert!(wanted.iter().all(|w| now.contains(w)));
        prop_assert_eq!(comments(&text), comments(&out));
        let parsed = parse("c.toml", &out, false).unwrap();
        let seen = parsed.runtimes.iter().find(|x| x.name == r.name).unwrap();
        prop_assert!(wanted.iter().all(|w| seen.pod_annotations.as_ref().unwrap().iter().any(|a| a == w)));
    }

    /// `options.SystemdCgroup` is set (an existing table, key or none); nothing else changes.
    #[test]
    fn systemd_cgroup_reads_back(c in config(), pick in any::<prop::sample::Index>(), on in any::<bool>()) {
        let c = Config { actions: false, ..c };
        let text = c.text();
        let r = &c.runtimes[pick.index(c.runtimes.len())];
        let out = set_systemd_cgroup(&text, V2, &r.name, on).unwrap();
        let (mut before, mut after) = (toml_value(&text), toml_value(&out));
        for v in [&mut before, &mut after] {
            let rt = runtime_of(v, V2, &r.name);
            if let Some(opts) = rt.get_mut("options").and_then(|o| o.as_table_mut()) {
                opts.remove("SystemdCgroup");
                if opts.is_empty() {
                    rt.remove("options");
                }
            }
        }
        prop_assert_eq!(before, after);
        prop_assert_eq!(comments(&text), comments(&out));
        let parsed = parse("c.toml", &out, false).unwrap();
        prop_assert_eq!(parsed.runtimes.iter().find(|x| x.name == r.name).unwrap().systemd_cgroup, Some(on));
    }

    /// In a template (toml_edit cannot read it): one line is changed or added, every other line is
    /// the same, and the template parser reads the value back.
    #[test]
    fn template_edits_read_back(c in config(), pick in any::<prop::sample::Index>(), on in any::<bool>()) {
        let c = Config { actions: true, ..c };
        let text = c.text();
        let r = &c.runtimes[pick.index(c.runtimes.len())];
        let out = set_in_template(&text, V2, &r.name, Some("options"), "SystemdCgroup", &on.to_string()).unwrap();
        let (a, b): (Vec<&str>, Vec<&str>) = (text.lines().collect(), out.lines().collect());
        let diff = similar::TextDiff::from_slices(&a, &b);
        let removed = diff.iter_all_changes().filter(|x| x.tag() == similar::ChangeTag::Delete).count();
        let added = diff.iter_all_changes().filter(|x| x.tag() == similar::ChangeTag::Insert).count();
        // The value changed in place, a line added, or (the same value already there) nothing.
        prop_assert!(matches!((removed, added), (1, 1) | (0, 1) | (0, 0)), "-{} +{}:\n{}", removed, added, diff.unified_diff());
        let parsed = parse("c.toml.tmpl", &out, true).unwrap();
        prop_assert_eq!(parsed.runtimes.iter().find(|x| x.name == r.name).unwrap().systemd_cgroup, Some(on));
    }

    /// WD203's move: the runtime's tables now sit under the v3 plugin id, with the same keys.
    #[test]
    fn plugin_renames_read_back(c in config(), pick in any::<prop::sample::Index>()) {
        let c = Config { actions: false, ..c };
        let text = c.text();
        let r = &c.runtimes[pick.index(c.runtimes.len())];
        let out = rename_runtime_plugin(&text, V2, V3, &r.name).unwrap();
        let (mut before, after) = (toml_value(&text), toml_value(&out));
        let moved = runtime_of(&mut before, V2, &r.name).clone();
        prop_assert_eq!(after["plugins"][V3]["containerd"]["runtimes"][&r.name].as_table().unwrap(), &moved);
        prop_assert_eq!(comments(&text), comments(&out));
        let block = runtime_block(&out, V3, &r.name).unwrap();
        prop_assert!(block.contains("runtime_type"));
    }

    /// Arbitrary text, names and values: every editor answers (Ok or Err), none panics.
    #[test]
    fn editors_never_panic(text in "\\PC{0,300}", name in "\\PC{0,12}", value in "\\PC{0,12}") {
        let _ = add_pod_annotations(&text, V2, &name, &[value.as_str()]);
        let _ = set_systemd_cgroup(&text, V2, &name, true);
        let _ = set_in_template(&text, V2, &name, Some("options"), "SystemdCgroup", &value);
        let _ = set_in_template(&text, V2, &name, None, "runtime_type", &value);
        let _ = rename_runtime_plugin(&text, V2, V3, &name);
        let _ = runtime_block(&text, V2, &name);
    }

    /// The same on text shaped like a config (headers, `{{ }}`, quotes cut anywhere).
    #[test]
    fn editors_never_panic_on_cut_configs(c in config(), cut in any::<prop::sample::Index>(), insert in "[\\[\\]{}\"'=#\\n .a-z]{0,8}") {
        let text = c.text();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) { at -= 1; }
        let text = format!("{}{}{}", &text[..at], insert, &text[at..]);
        let name = &c.runtimes[0].name;
        let _ = add_pod_annotations(&text, V2, name, &["run.oci.handler"]);
        let _ = set_systemd_cgroup(&text, V2, name, false);
        let _ = set_in_template(&text, V2, name, Some("options"), "SystemdCgroup", "true");
        let _ = rename_runtime_plugin(&text, V2, V3, name);
        let _ = runtime_block(&text, V2, name);
    }
}
