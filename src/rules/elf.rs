//! What kind of executable a file's first bytes say it is: ELF (and for which CPU), or a script;
//! and which ELF machines run on which node architecture.

use crate::facts::BinaryKind;

/// What a file of `size` bytes starting with `head` (its first 128 bytes, or all of a shorter file)
/// is. An ELF file whose header or program headers do not fit in it is broken: the kernel refuses
/// to run it.
pub fn classify(head: &[u8], size: u64) -> BinaryKind {
    if head.starts_with(b"#!") {
        let line = head[2..].split(|&b| b == b'\n').next().unwrap_or_default();
        let interpreter = String::from_utf8_lossy(line).trim().to_string();
        return BinaryKind::Script { interpreter };
    }
    if head.len() < 20 || !head.starts_with(b"\x7fELF") {
        return BinaryKind::Other;
    }
    let big_endian = head[5] == 2;
    let u16_at = |at: usize| {
        let b = [*head.get(at)?, *head.get(at + 1)?];
        Some(if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) } as u64)
    };
    let uint_at = |at: usize, len: usize| {
        let bytes = head.get(at..at + len)?;
        Some(bytes.iter().enumerate().fold(0u64, |acc, (i, b)| {
            let shift = if big_endian { 8 * (len - 1 - i) } else { 8 * i };
            acc | (u64::from(*b) << shift)
        }))
    };
    let machine = machine_name(u16_at(18).unwrap_or(0) as u16).to_string();
    // (header size, e_phoff, e_phentsize, e_phnum) for 64- and 32-bit files.
    let layout = match head[4] {
        2 => (64, uint_at(32, 8), u16_at(54), u16_at(56)),
        _ => (52, uint_at(28, 4), u16_at(42), u16_at(44)),
    };
    let reason = match layout {
        (header, ..) if size < header => Some(format!("{size} bytes, shorter than its {header}-byte ELF header")),
        (_, Some(phoff), Some(entsize), Some(count)) => {
            let end = phoff.saturating_add(entsize.saturating_mul(count));
            // The kernel's load_elf_binary refuses entries of any other size (ENOEXEC).
            let native = if head[4] == 2 { 56 } else { 32 };
            if count == 0 {
                Some("no program headers, so nothing to load".to_string())
            } else if entsize != native {
                Some(format!("program header entries of {entsize} bytes, not {native} (a corrupt header)"))
            } else if end > size {
                Some(format!("{size} bytes, but its program headers end at byte {end} (truncated)"))
            } else {
                None
            }
        }
        _ => Some("its ELF header is cut short".to_string()),
    };
    match reason {
        Some(reason) => BinaryKind::BrokenElf { machine, reason },
        None => BinaryKind::Elf { machine },
    }
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

    /// A 64-bit little-endian ELF header with one program header right after it.
    fn header(machine: u16) -> Vec<u8> {
        let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        h.resize(64, 0);
        h[16] = 2;
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[32..40].copy_from_slice(&64u64.to_le_bytes());
        h[54..56].copy_from_slice(&56u16.to_le_bytes());
        h[56..58].copy_from_slice(&1u16.to_le_bytes());
        h
    }

    #[test]
    fn machines() {
        assert_eq!(classify(&header(62), 120), BinaryKind::Elf { machine: "x86_64".into() });
        assert_eq!(classify(&header(183), 4096), BinaryKind::Elf { machine: "aarch64".into() });
        assert_eq!(classify(b"#!/bin/sh\necho", 14), BinaryKind::Script { interpreter: "/bin/sh".into() });
        assert_eq!(classify(b"hello", 5), BinaryKind::Other);
        assert!(runs_on("x86_64", "x86_64"));
        assert!(!runs_on("aarch64", "x86_64"));
    }

    #[test]
    fn a_truncated_elf_is_broken() {
        let head = header(62);
        assert_eq!(
            classify(&head, 64),
            BinaryKind::BrokenElf {
                machine: "x86_64".into(),
                reason: "64 bytes, but its program headers end at byte 120 (truncated)".into()
            }
        );
        assert!(matches!(classify(&head[..40], 40), BinaryKind::BrokenElf { .. }));
        let mut odd = head.clone();
        odd[54] = 0;
        assert_eq!(
            classify(&odd, 4096),
            BinaryKind::BrokenElf {
                machine: "x86_64".into(),
                reason: "program header entries of 0 bytes, not 56 (a corrupt header)".into()
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_classify(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..160), size in 0u64..10_000) {
            let _ = classify(&bytes, size);
            let mut elf = b"\x7fELF".to_vec();
            elf.extend(&bytes);
            let _ = classify(&elf, size);
        }
    }
}
