//! WD103 crun-wasm-handler: crun was built with a WASM handler (`+WASM:wasmedge` …) and the engine
//! library that handler `dlopen`s resolves in the loader's paths.

use super::{read_version, unless_unused, usable_crun};
use crate::checks::{Ctx, Outcome};
use crate::facts::NodeFacts;
use crate::rules::crun::{active_handler, library_for_handler};
use crate::rules::text::list;

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
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
        match library_for_handler(handler) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn handler_and_library() {
        let o = run(check, crun_node(CRUN_1_23_1_NO_WASM));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("without a WASM handler"), "{}", o.message);
        let o = run(check, crun_node(CRUN_1_27_1_WASMEDGE));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("`libwasmedge.so.0` is not in the loader's paths"), "{}", o.message);
        let mut n = crun_node(CRUN_1_27_1_WASMEDGE);
        n.libraries.found.insert("libwasmedge.so.0".into(), Some("/usr/lib64/libwasmedge.so.0".into()));
        assert_eq!(run(check, n).status, Status::Pass);
        assert_eq!(run(check, node(config(""))).status, Status::Skip);
        let mut n = node(config(""));
        n.crun = vec![crun("/usr/bin/crun", CRUN_1_23_1_NO_WASM, None)];
        let o = run(check, n.clone());
        assert_eq!(o.status, Status::Warn, "a crun no runtime uses only warns");
        assert!(o.message.ends_with("(no containerd runtime uses this crun yet)"), "{}", o.message);
        n.containerd_config = config(SHIM_RUNTIME_V2);
        assert_eq!(run(check, n).status, Status::Skip);
    }
}
