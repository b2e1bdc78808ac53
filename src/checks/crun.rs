//! WD101–WD103 and WD204: the crun route (runc shim with `BinaryName` = crun, a WASM handler
//! compiled into crun, its engine library, and the pod annotation let through by containerd).

use super::{Ctx, Outcome, gomatch::path_match, has_route, list, relevant_crun};
use crate::collect::ldso;
use crate::facts::{CrunBinary, CrunOrigin, Fact, NodeFacts, Route};
use crate::policy::parse_version;

/// The annotations crun reads to pick its Wasm handler (knowledge §1.1).
pub const WASM_ANNOTATIONS: &[&str] = &["module.wasm.image/variant", "run.oci.handler"];

/// crun asks its compiled-in handlers in this order; the first Wasm one that exists is used.
const HANDLER_ORDER: &[&str] = &["wasmedge", "wasmer", "wasmtime", "wamr", "spin"];

fn used_by(b: &CrunBinary) -> Vec<String> {
    b.origins
        .iter()
        .filter_map(|o| match o {
            CrunOrigin::BinaryName { runtime, location } => Some(format!("runtime `{runtime}` at {location}")),
            CrunOrigin::Path => None,
        })
        .collect()
}

/// WD101 crun-installed.
pub fn installed(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    if let Some(b) = node.crun.iter().find(|b| !b.exists || !b.executable) {
        let what = if !b.exists { "does not exist on the node" } else { "is not executable" };
        return Outcome::fail(format!("`{}` {what}, but {} names it as `BinaryName`", b.path, list(&used_by(b))))
            .evidence("BinaryName", b.path.clone())
            .fix(format!(
                "install crun at `{}` (built with `+WASM:wasmedge`), or point `BinaryName` at an installed crun",
                b.path
            ));
    }
    if node.crun.is_empty() {
        let config = &node.containerd_config;
        if config.main_file().is_some_and(|f| {
            matches!(f.state, crate::facts::FileState::Malformed { .. } | crate::facts::FileState::Unreadable { .. })
        }) {
            return Outcome::skip(format!(
                "no crun on PATH, and `{}` could not be read (see WD201), so no runtime's `BinaryName` is known",
                config.main_path
            ));
        }
        if has_route(config, Route::Shim) {
            return Outcome::skip("no crun on the node and no runtime uses it: Wasm runs through runwasi shims here");
        }
        return Outcome::warn(
            "no `crun` or `crun-wasm` in the PATH directories and no containerd runtime names crun as `BinaryName`",
        )
        .fix("install crun built with a WASM handler (e.g. Fedora's `crun` + `crun-wasm`), or use a runwasi shim");
    }
    let shown: Vec<String> = node
        .crun
        .iter()
        .map(|b| {
            let users = used_by(b);
            let link = if b.canonical != b.path { format!(" → `{}`", b.canonical) } else { String::new() };
            if users.is_empty() {
                format!("`{}`{link}", b.path)
            } else {
                format!("`{}`{link} (used by {})", b.path, list(&users))
            }
        })
        .collect();
    Outcome::pass(format!("crun found: {}", list(&shown)))
}

/// The version of a crun, or the outcome when it could not be read.
fn read_version(b: &CrunBinary) -> Result<&crate::facts::CrunVersion, Outcome> {
    match &b.version {
        Fact::Collected(v) => Ok(v),
        Fact::Unavailable(m) => {
            Err(Outcome::error(format!("could not read the version of `{}`: {}", b.path, m.reason)))
        }
    }
}

/// The crun binaries to judge. When no runtime routes to crun, a crun on PATH is still judged (the
/// user may be about to use it) but findings are only warnings; with shims doing the work, `skip`.
fn usable_crun(node: &NodeFacts) -> Result<(Vec<&CrunBinary>, bool), Outcome> {
    let in_use = has_route(&node.containerd_config, Route::Crun);
    if !in_use && has_route(&node.containerd_config, Route::Shim) {
        return Err(Outcome::skip("no containerd runtime uses crun (Wasm runs through shims here)"));
    }
    let bins: Vec<&CrunBinary> = relevant_crun(node).into_iter().filter(|b| b.exists && b.executable).collect();
    if bins.is_empty() {
        return Err(Outcome::skip("no usable crun binary on the node (see WD101)"));
    }
    Ok((bins, in_use))
}

/// A failure about a crun no runtime uses yet is a warning, and says so.
fn unless_unused(o: Outcome, in_use: bool) -> Outcome {
    if in_use || o.status != crate::report::Status::Fail {
        return o;
    }
    Outcome {
        status: crate::report::Status::Warn,
        message: format!("{} (no containerd runtime uses this crun yet)", o.message),
        ..o
    }
}

/// WD102 crun-version.
pub fn version(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let (bins, in_use) = or_return!(usable_crun(node));
    let minimum = ctx.policy.crun_minimum();
    let mut ok = Vec::new();
    for b in bins {
        let v = or_return!(read_version(b));
        let Some(parsed) = parse_version(&v.version) else {
            return Outcome::error(format!("`{}` printed `{}`, which has no release number", b.path, v.first_line));
        };
        if parsed < minimum {
            let mut msg = format!("crun `{}` at `{}` is older than the required `{minimum}`", v.version, b.path);
            if parsed < semver::Version::new(1, 4, 4) {
                msg += " (below 1.4.4 crun also lacks `compat-smart`, and below 1.4 it cannot run Wasm under containerd at all)";
            }
            let o = Outcome::fail(msg)
                .evidence(format!("{} --version", b.path), v.first_line.clone())
                .fix(format!(
                    "install a crun ≥ {minimum} built with `+WASM:wasmedge`; {minimum} is the policy floor (`[minimum_versions] crun`), not a known bug fix"
                ));
            return unless_unused(o, in_use);
        }
        ok.push(format!("`{}` at `{}`", v.version, b.path));
    }
    Outcome::pass(format!("crun {} meets the minimum `{minimum}`", list(&ok)))
}

/// The handler crun uses for Wasm: the argv0 one (`crun-wasm` → first Wasm handler), else the
/// first compiled-in Wasm handler in crun's order.
fn active_handler(v: &crate::facts::CrunVersion) -> Option<&str> {
    HANDLER_ORDER
        .iter()
        .copied()
        .find(|h| v.wasm_handlers.iter().any(|x| x == h))
        .or_else(|| v.wasm_handlers.first().map(String::as_str))
}

/// WD103 crun-wasm-handler.
pub fn wasm_handler(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let (bins, in_use) = or_return!(usable_crun(node));
    let mut ok = Vec::new();
    let mut evidence = Vec::new();
    for b in bins {
        let v = or_return!(read_version(b));
        evidence.push((format!("{} --version", b.path), v.features_line.clone()));
        let Some(handler) = active_handler(v) else {
            let mut o = Outcome::fail(format!(
                "crun `{}` at `{}` was built without a WASM handler (no `+WASM:` in its features); a `.wasm` entrypoint fails with `Exec format error`",
                v.version, b.path
            ))
            .fix("install a crun built with `--with-wasmedge` (Fedora/CentOS packages are; the GitHub release binaries are not)");
            for (s, val) in evidence {
                o = o.evidence(s, val);
            }
            return unless_unused(o, in_use);
        };
        match ldso::library_for_handler(handler) {
            Some(lib) => match node.libraries.found.get(lib).cloned().flatten() {
                Some(at) => ok.push(format!("`{}` has `+WASM:{handler}` and `{lib}` resolves to `{at}`", b.path)),
                None => {
                    let mut o = Outcome::fail(format!(
                        "crun at `{}` has `+WASM:{handler}` but `{lib}` is not in the loader's paths, so containers fail with \"could not load `{lib}`\"",
                        b.path
                    ))
                    .evidence("library search path", node.libraries.search_dirs.join(":"))
                    .fix(format!("install the {handler} library so that `{lib}` is in a directory of /etc/ld.so.conf or a standard lib directory, then run `ldconfig`"));
                    for (s, val) in evidence {
                        o = o.evidence(s, val);
                    }
                    return unless_unused(o, in_use);
                }
            },
            None => ok.push(format!("`{}` has `+WASM:{handler}`", b.path)),
        }
    }
    Outcome::pass(list(&ok))
}

/// WD204 crun-pod-annotations.
pub fn pod_annotations(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let config = &node.containerd_config;
    let runtimes: Vec<_> = config.active_runtimes().filter(|r| r.route == Route::Crun).collect();
    if runtimes.is_empty() {
        return Outcome::skip("no containerd runtime uses crun as its `BinaryName`");
    }
    let mut ok = Vec::new();
    for r in runtimes {
        let binary = r.binary_name.as_deref().unwrap_or("");
        let base = binary.rsplit('/').next().unwrap_or(binary);
        if base.starts_with("crun-") {
            ok.push(format!("`{}` runs `{base}`, which picks the handler from its name (no annotation needed; sidecars in such pods run through Wasm too)", r.name));
            continue;
        }
        let patterns = r.pod_annotations.clone().unwrap_or_default();
        let passes: Vec<&str> =
            WASM_ANNOTATIONS.iter().copied().filter(|a| patterns.iter().any(|p| path_match(p, a))).collect();
        if passes.is_empty() {
            let found = match &r.pod_annotations {
                None => "has no `pod_annotations`".to_string(),
                Some(p) if p.is_empty() => "has `pod_annotations = []`".to_string(),
                Some(p) => format!("has `pod_annotations = {p:?}`, which matches neither"),
            };
            return Outcome::fail(format!(
                "runtime `{}` ({}) {found}: containerd drops the pod's `module.wasm.image/variant` and `run.oci.handler` annotations, so crun runs the `.wasm` entrypoint with execve (`Exec format error`)",
                r.name,
                r.location()
            ))
            .evidence(r.location(), format!("runtime `{}` → BinaryName `{binary}`", r.name))
            .fix(format!(
                "add `pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]` to runtime `{}` in `{}` and restart containerd",
                r.name, config.edit_path
            ));
        }
        ok.push(format!("`{}` lets `{}` through", r.name, passes.join("`, `")));
    }
    Outcome::pass(list(&ok))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    fn crun_node(output: &str) -> NodeFacts {
        let mut n = node(config(CRUN_RUNTIME_V2));
        n.crun = vec![crun("/usr/local/bin/crun", output, Some("crun"))];
        n
    }

    #[test]
    fn wd101_pass_fail_warn_skip() {
        assert_eq!(run(installed, crun_node(CRUN_1_7_2_WASMEDGE)).status, Status::Pass);
        let mut n = crun_node(CRUN_1_7_2_WASMEDGE);
        n.crun[0].exists = false;
        let o = run(installed, n);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("`/usr/local/bin/crun` does not exist"), "{}", o.message);
        assert_eq!(run(installed, node(config(""))).status, Status::Warn);
        assert_eq!(run(installed, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
    }

    #[test]
    fn wd102_policy_floor() {
        let o = run(version, crun_node(CRUN_1_7_2_WASMEDGE));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "crun `1.7.2` at `/usr/local/bin/crun` is older than the required `1.8.5`");
        assert!(o.fix.unwrap().summary.contains("not a known bug fix"));
        assert_eq!(run(version, crun_node(CRUN_1_27_1_WASMEDGE)).status, Status::Pass);
        let policy = crate::policy::Policy::parse("p", "[minimum_versions]\ncrun = \"1.7\"\n").unwrap();
        assert_eq!(run_with(version, crun_node(CRUN_1_7_2_WASMEDGE), &policy).status, Status::Pass);
        let mut n = crun_node(CRUN_1_7_2_WASMEDGE);
        n.crun[0].version =
            Fact::unavailable(crate::facts::MissingKind::Timeout, "`crun --version` did not finish within 2s");
        let o = run(version, n);
        assert_eq!(o.status, Status::Error);
        assert!(o.message.contains("did not finish"), "{}", o.message);
    }

    #[test]
    fn wd103_handler_and_library() {
        let o = run(wasm_handler, crun_node(CRUN_1_23_1_NO_WASM));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("without a WASM handler"), "{}", o.message);
        let o = run(wasm_handler, crun_node(CRUN_1_27_1_WASMEDGE));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("`libwasmedge.so.0` is not in the loader's paths"), "{}", o.message);
        let mut n = crun_node(CRUN_1_27_1_WASMEDGE);
        n.libraries.found.insert("libwasmedge.so.0".into(), Some("/usr/lib64/libwasmedge.so.0".into()));
        assert_eq!(run(wasm_handler, n).status, Status::Pass);
        assert_eq!(run(wasm_handler, node(config(""))).status, Status::Skip);
        let mut n = node(config(""));
        n.crun = vec![crun("/usr/bin/crun", CRUN_1_23_1_NO_WASM, None)];
        let o = run(wasm_handler, n.clone());
        assert_eq!(o.status, Status::Warn, "a crun no runtime uses only warns");
        assert!(o.message.ends_with("(no containerd runtime uses this crun yet)"), "{}", o.message);
        n.containerd_config = config(SHIM_RUNTIME_V2);
        assert_eq!(run(wasm_handler, n).status, Status::Skip);
    }

    #[test]
    fn wd204_annotations() {
        assert_eq!(run(pod_annotations, node(config(CRUN_RUNTIME_V2))).status, Status::Pass);
        let k3s_style = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."crun"]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."crun".options]
  BinaryName = "/usr/bin/crun"
  SystemdCgroup = true
"#;
        let o = run(pod_annotations, node(config(k3s_style)));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("runtime `crun` (/etc/containerd/config.toml:2) has no `pod_annotations`"),
            "{}",
            o.message
        );
        let docs_set = CRUN_RUNTIME_V2.replace(
            r#"["module.wasm.image/variant"]"#,
            r#"["*.wasm.*", "wasm.*", "module.wasm.image/*", "*.module.wasm.image", "module.wasm.image/variant.*"]"#,
        );
        assert_eq!(run(pod_annotations, node(config(&docs_set))).status, Status::Pass);
        let wrong = CRUN_RUNTIME_V2.replace(r#"["module.wasm.image/variant"]"#, r#"["*.wasm.*"]"#);
        assert_eq!(run(pod_annotations, node(config(&wrong))).status, Status::Fail);
        let crun_wasm = k3s_style.replace("/usr/bin/crun\"", "/usr/bin/crun-wasm\"");
        assert_eq!(run(pod_annotations, node(config(&crun_wasm))).status, Status::Pass);
        assert_eq!(run(pod_annotations, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
    }
}
