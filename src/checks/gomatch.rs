//! Go's `path.Match`, which containerd uses for `pod_annotations` patterns: `*` matches any run of
//! characters except `/`, `?` one such character, `[…]` a class, `\` escapes.

pub fn path_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=n.len() {
                if match_from(rest, &n[i..]) {
                    return true;
                }
                if i < n.len() && n[i] == '/' {
                    break;
                }
            }
            false
        }
        Some('?') => n.first().is_some_and(|&c| c != '/') && match_from(&p[1..], &n[1..]),
        Some('[') => {
            let Some(&c) = n.first() else { return false };
            match class(&p[1..], c) {
                Some((true, used)) if c != '/' => match_from(&p[1 + used..], &n[1..]),
                _ => false,
            }
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && match_from(&p[2..], &n[1..]),
        Some(&lit) => n.first() == Some(&lit) && match_from(&p[1..], &n[1..]),
    }
}

/// Whether `c` is in the class starting after `[`; returns (matched, chars consumed incl. `]`).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 0;
    let negated = p.first() == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        let lo = if p[i] == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            p[i]
        };
        i += 1;
        let hi = if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&x| x != ']') {
            i += 1;
            let h = if p[i] == '\\' {
                i += 1;
                *p.get(i)?
            } else {
                p[i]
            };
            i += 1;
            h
        } else {
            lo
        };
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::path_match;

    #[test]
    fn crun_docs_patterns() {
        let key = "module.wasm.image/variant";
        assert!(path_match("module.wasm.image/*", key));
        assert!(path_match("module.wasm.image/variant", key));
        assert!(!path_match("*.wasm.*", key), "`*` does not cross `/`");
        assert!(!path_match("wasm.*", key));
        assert!(!path_match("module.wasm.image/variant.*", key));
        assert!(path_match("run.oci.*", "run.oci.handler"));
        assert!(path_match("*", "run.oci.handler"));
        assert!(!path_match("*", key));
        assert!(path_match("[a-z]un.oci.handler", "run.oci.handler"));
        assert!(!path_match("[^r]un.oci.handler", "run.oci.handler"));
        assert!(!path_match("[", "x"), "a malformed class never matches");
    }
}
