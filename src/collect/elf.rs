//! What kind of executable a node file is, from its first bytes and its size (read here, inside the
//! host root; judged by `rules::elf`).

use super::host::HostRoot;
use crate::facts::BinaryKind;
use crate::rules::elf::classify;

/// Bytes read: the ELF header and the start of a script's `#!` line.
const HEAD: u64 = 128;

pub fn inspect(host: &HostRoot, node_path: &str) -> BinaryKind {
    let Ok(meta) = host.meta(node_path) else { return BinaryKind::Unknown };
    match host.read_head(node_path, HEAD) {
        Ok(head) => classify(&head, meta.size),
        Err(_) => BinaryKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_running_test_binary() {
        let exe = std::env::current_exe().unwrap();
        let host = HostRoot::new("/");
        let BinaryKind::Elf { machine } = inspect(&host, &exe.to_string_lossy()) else { panic!("not ELF") };
        assert_eq!(machine, std::env::consts::ARCH);
    }
}
