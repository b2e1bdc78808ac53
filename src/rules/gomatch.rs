//! Go's `path.Match`, which containerd uses for `pod_annotations` patterns (`if ok, _ :=
//! path.Match(pattern, key); ok`): `*` matches any run of bytes except `/`, `?` one character
//! except `/`, `[…]` a character class (any character, `/` included), `\` escapes; a malformed
//! pattern matches nothing.
//!
//! A port of Go's own algorithm (chunks of single-character terms, each preceded by a star): every
//! chunk is placed once, at the first position where it matches, so a pattern with many `*` costs
//! at most the name's length times the pattern's, never an exponential search.

/// Whether `name` matches `pattern` as containerd decides it.
pub fn path_match(pattern: &str, name: &str) -> bool {
    matches(pattern.as_bytes(), name.as_bytes()).unwrap_or(false)
}

struct BadPattern;

fn matches(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it holds a `/`.
            return Ok(!name.contains(&b'/'));
        }
        let at_once = match_chunk(chunk, name)?;
        if let Some(t) = at_once.filter(|t| t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            // Skip i + 1 bytes of the name, never a `/`.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    // The last chunk must end the name.
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // No match; Go still reports a malformed rest of the pattern, which is no match either.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// The next chunk of the pattern: leading stars, then the terms up to the next star outside a class.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while pattern.first() == Some(&b'*') {
        pattern = &pattern[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// Whether `chunk` matches the start of `s`; the rest of `s` when it does. The whole chunk is read
/// even after a mismatch, so that a malformed chunk is always an error, as in Go.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        failed = failed || s.is_empty();
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    matched = matched || (lo <= r && r <= hi);
                    ranges += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let literal = if c == b'\\' {
                    chunk = &chunk[1..];
                    *chunk.first().ok_or(BadPattern)?
                } else {
                    c
                };
                if !failed {
                    failed = literal != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// A possibly escaped character of a class, and the rest of the chunk (which must go on).
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(BadPattern);
            }
        }
        Some(_) => {}
    }
    let (r, n) = decode_rune(chunk);
    if r == REPLACEMENT && n == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

const REPLACEMENT: u32 = 0xFFFD;

/// The first character of `s` and its length in bytes; U+FFFD and 1 for an invalid byte (as Go's
/// `utf8.DecodeRuneInString`). `s` is not empty.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    for n in 1..=s.len().min(4) {
        if let Ok(text) = std::str::from_utf8(&s[..n]) {
            return (text.chars().next().map(u32::from).unwrap_or(REPLACEMENT), n);
        }
    }
    (REPLACEMENT, 1)
}

#[cfg(test)]
mod tests {
    use super::path_match;
    use proptest::prelude::*;

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

    /// Cases from Go's own `path/match_test.go`.
    #[test]
    fn go_match_tests() {
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("[]a]", "]", false),
            ("[-]", "-", false),
            ("[x-]", "x", false),
            ("[x-]", "-", false),
            ("[x-]", "z", false),
            ("[-x]", "x", false),
            ("[-x]", "-", false),
            ("[-x]", "a", false),
            ("\\", "a", false),
            ("[a-b-c]", "a", false),
            ("[", "a", false),
            ("[^", "a", false),
            ("[^bc", "a", false),
            ("a[", "a", false),
            ("a[", "ab", false),
            ("a[", "x", false),
            ("a/b[", "x", false),
            ("*x", "xxx", true),
            ("a[/]b", "a/b", true),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(path_match(pattern, name), *want, "path.Match({pattern:?}, {name:?})");
        }
    }

    proptest! {
        #[test]
        fn never_panics(pattern in "[a-c*?\\[\\]^\\\\/-]{0,12}", name in "[a-c/]{0,12}") {
            let _ = path_match(&pattern, &name);
        }

        #[test]
        fn a_literal_matches_itself(name in "[a-z./]{0,30}") {
            prop_assert!(path_match(&name, &name));
        }
    }
}
