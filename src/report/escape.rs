//! Text from the node or the cluster (host names, runtime names, log lines, event messages, file
//! contents) on its way to a terminal: control characters are shown escaped (`\x1b`), never sent,
//! so that nothing a pod logs can move the cursor, recolour or retitle the user's terminal, or
//! forge a line of the report. JSON needs none of this: its encoder escapes them.

use std::borrow::Cow;

/// One line of text: every control character escaped, newlines too.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Text that may span lines (a diff, a hint): control characters escaped, newlines and tabs kept.
pub fn lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && !(keep_newlines && (c == '\n' || c == '\t'))) || is_bidi(c);
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bidirectional controls: they reorder what the terminal shows ("Trojan Source"), so a name could
/// read as another.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(line("plain `text` ✓"), "plain `text` ✓");
        assert_eq!(line("\u{1b}[31mred\u{1b}[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(line("a\nb\rc\u{7}"), "a\\x0ab\\x0dc\\x07");
        assert_eq!(line("csi \u{9b}2J"), "csi \\x9b2J");
        assert_eq!(lines("diff\n+\tx\u{1b}]0;title\u{7}"), "diff\n+\tx\\x1b]0;title\\x07");
        assert_eq!(line("wasm\u{202e}nurc"), "wasm\\u{202e}nurc");
    }
}
