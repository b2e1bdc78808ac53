//! Command lines as processes were started with them (argv, from procfs).

/// The value of `--flag=value` or `--flag value` on a command line.
pub fn flag_value(cmdline: &[String], flag: &str) -> Option<String> {
    let eq = format!("{flag}=");
    let mut it = cmdline.iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix(&eq) {
            return Some(v.to_string());
        }
        if a == flag {
            return it.next().cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings() {
        let argv: Vec<String> =
            ["containerd", "--config=/a.toml", "--address", "/run/x.sock"].map(String::from).to_vec();
        assert_eq!(flag_value(&argv, "--config").as_deref(), Some("/a.toml"));
        assert_eq!(flag_value(&argv, "--address").as_deref(), Some("/run/x.sock"));
        assert_eq!(flag_value(&argv, "--root"), None);
    }
}
