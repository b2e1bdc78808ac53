//! What kind of executable a file is, from its first bytes (read here; judged by `rules::elf`).

use std::io::Read;
use std::path::Path;

use crate::facts::BinaryKind;
use crate::rules::elf::classify;

pub fn inspect(path: &Path) -> BinaryKind {
    let mut head = [0u8; 128];
    let n = match std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return BinaryKind::Unknown,
    };
    classify(&head[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_running_test_binary() {
        let exe = std::env::current_exe().unwrap();
        let BinaryKind::Elf { machine } = inspect(&exe) else { panic!("not ELF") };
        assert_eq!(machine, std::env::consts::ARCH);
    }
}
