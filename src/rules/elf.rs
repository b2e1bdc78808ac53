//! What kind of executable a file's first bytes say it is: ELF (and for which CPU), or a script;
//! and which ELF machines run on which node architecture.

use crate::facts::BinaryKind;

pub fn classify(head: &[u8]) -> BinaryKind {
    if head.starts_with(b"#!") {
        let line = head[2..].split(|&b| b == b'\n').next().unwrap_or_default();
        let interpreter = String::from_utf8_lossy(line).trim().to_string();
        return BinaryKind::Script { interpreter };
    }
    if head.len() < 20 || !head.starts_with(b"\x7fELF") {
        return BinaryKind::Other;
    }
    let raw = match head[5] {
        2 => u16::from_be_bytes([head[18], head[19]]),
        _ => u16::from_le_bytes([head[18], head[19]]),
    };
    BinaryKind::Elf { machine: machine_name(raw).to_string() }
}

/// `e_machine` values, named as `uname -m` names the CPU.
fn machine_name(raw: u16) -> &'static str {
    match raw {
        3 => "i686",
        8 => "mips",
        20 => "ppc",
        21 => "ppc64",
        22 => "s390x",
        40 => "arm",
        62 => "x86_64",
        183 => "aarch64",
        243 => "riscv64",
        258 => "loongarch64",
        _ => "unknown",
    }
}

/// Whether an ELF machine runs on a node of this architecture.
pub fn runs_on(machine: &str, node_arch: &str) -> bool {
    machine == node_arch
        || matches!(
            (machine, node_arch),
            ("ppc64", "ppc64le") | ("i686", "x86_64") | ("arm", "aarch64") | ("arm", "armv7l")
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(machine: u16) -> Vec<u8> {
        let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        h.resize(64, 0);
        h[16] = 2;
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn machines() {
        assert_eq!(classify(&header(62)), BinaryKind::Elf { machine: "x86_64".into() });
        assert_eq!(classify(&header(183)), BinaryKind::Elf { machine: "aarch64".into() });
        assert_eq!(classify(b"#!/bin/sh\necho"), BinaryKind::Script { interpreter: "/bin/sh".into() });
        assert_eq!(classify(b"hello"), BinaryKind::Other);
        assert!(runs_on("x86_64", "x86_64"));
        assert!(!runs_on("aarch64", "x86_64"));
    }
}
