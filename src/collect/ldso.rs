//! Where the dynamic loader looks for a library: `/etc/ld.so.conf` (with `include` globs) and the
//! standard directories, read under the host root. crun `dlopen`s its Wasm engine at container start.

use super::host::HostRoot;

const MAX_INCLUDE_DEPTH: usize = 8;
/// Files one `include` line reads at most (ld.so.conf.d holds a few dozen).
const MAX_INCLUDE_FILES: usize = 1024;

/// The directories in ld.so's order: ld.so.conf entries first, then the trusted defaults.
pub fn search_dirs(host: &HostRoot, arch: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    read_conf(host, "/etc/ld.so.conf", 0, &mut dirs);
    let triplet = match arch {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "s390x" => "s390x-linux-gnu",
        "ppc64le" => "powerpc64le-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        _ => "",
    };
    let mut defaults = Vec::new();
    if !triplet.is_empty() {
        defaults.push(format!("/lib/{triplet}"));
        defaults.push(format!("/usr/lib/{triplet}"));
    }
    defaults.extend(["/lib64", "/usr/lib64", "/lib", "/usr/lib"].map(String::from));
    for d in defaults {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

fn read_conf(host: &HostRoot, path: &str, depth: usize, dirs: &mut Vec<String>) {
    if depth > MAX_INCLUDE_DEPTH {
        return;
    }
    let Ok(text) = host.read_to_string(path) else {
        return;
    };
    let base = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(pattern) = line.strip_prefix("include").filter(|r| r.starts_with(char::is_whitespace)) {
            for p in pattern.split_whitespace() {
                let full = if p.starts_with('/') { p.to_string() } else { format!("{base}/{p}") };
                for file in host.glob(&full, MAX_INCLUDE_FILES).0 {
                    read_conf(host, &file, depth + 1, dirs);
                }
            }
        } else if line.starts_with('/') {
            // `dir` or the old `dir=TYPE` form; several may share a line.
            for d in line.split([' ', '\t', ',', ':']).filter(|d| d.starts_with('/')) {
                let d = d.split('=').next().unwrap_or(d).trim_end_matches('/').to_string();
                if !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
    }
}

/// The first directory holding `soname` (as the node sees the path), if any.
pub fn find(host: &HostRoot, dirs: &[String], soname: &str) -> Option<String> {
    dirs.iter().map(|d| format!("{d}/{soname}")).find(|p| host.is_file(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_and_defaults() {
        let d = tempfile::tempdir().unwrap();
        let host = HostRoot::new(d.path());
        std::fs::create_dir_all(d.path().join("etc/ld.so.conf.d")).unwrap();
        std::fs::write(d.path().join("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n").unwrap();
        std::fs::write(d.path().join("etc/ld.so.conf.d/libc.conf"), "# libc default\n/usr/local/lib\n").unwrap();
        std::fs::write(d.path().join("etc/ld.so.conf.d/wasmedge.conf"), "/opt/wasmedge/lib/\n").unwrap();
        let dirs = search_dirs(&host, "x86_64");
        assert_eq!(&dirs[..3], ["/usr/local/lib", "/opt/wasmedge/lib", "/lib/x86_64-linux-gnu"]);
        std::fs::create_dir_all(d.path().join("opt/wasmedge/lib")).unwrap();
        std::fs::write(d.path().join("opt/wasmedge/lib/libwasmedge.so.0"), "").unwrap();
        assert_eq!(find(&host, &dirs, "libwasmedge.so.0").as_deref(), Some("/opt/wasmedge/lib/libwasmedge.so.0"));
        assert_eq!(find(&host, &dirs, "libwasmtime.so"), None);
    }
}
