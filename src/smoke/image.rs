//! The smoke image, built in memory: one layer (an uncompressed tar holding `/smoke.wasm`), an OCI
//! image config with the module as entrypoint, and the manifest that ties them, each with its
//! digest. The platform is this machine's `linux/<arch>`, as the kubelet would pull it.

use sha2::{Digest, Sha256};

/// The module: prints its first argument and exits 0 (src/smoke/nonce.wat; a test checks that
/// these bytes are that text compiled).
pub const MODULE: &[u8] = include_bytes!("nonce.wasm");

/// Where the module is in the container's root, and so its entrypoint.
pub const ENTRYPOINT: &str = "/smoke.wasm";

pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// A blob and its descriptor's fields.
#[derive(Debug, Clone)]
pub struct Blob {
    pub media_type: &'static str,
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    fn new(media_type: &'static str, bytes: Vec<u8>) -> Blob {
        Blob { media_type, digest: digest(&bytes), bytes }
    }

    fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

pub fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The image's three blobs; the layer's digest is also its diff ID (it is not compressed), and so
/// the chain ID of its one-layer rootfs.
pub struct SmokeImage {
    pub layer: Blob,
    pub config: Blob,
    pub manifest: Blob,
}

/// The OCI architecture name of this machine (`amd64`, `arm64`, …).
pub fn oci_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

impl SmokeImage {
    pub fn build() -> std::io::Result<SmokeImage> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(MODULE.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, ENTRYPOINT.trim_start_matches('/'), MODULE)?;
        let layer = Blob::new(LAYER_TYPE, tar.into_inner()?);
        let config = serde_json::json!({
            "architecture": oci_arch(),
            "os": "linux",
            "config": {"Entrypoint": [ENTRYPOINT]},
            "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        });
        let config = Blob::new(CONFIG_TYPE, config.to_string().into_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": config.descriptor(),
            "layers": [layer.descriptor()],
        });
        let manifest = Blob::new(MANIFEST_TYPE, manifest.to_string().into_bytes());
        Ok(SmokeImage { layer, config, manifest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_is_its_text_compiled() {
        let text = include_str!("nonce.wat");
        assert_eq!(wat::parse_str(text).unwrap(), MODULE, "src/smoke/nonce.wasm is stale: recompile nonce.wat");
        assert!(MODULE.len() < 1024, "a few hundred bytes");
    }

    #[test]
    fn the_image_ties_its_blobs_by_digest() {
        let img = SmokeImage::build().unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&img.manifest.bytes).unwrap();
        assert_eq!(manifest["config"]["digest"], img.config.digest.as_str());
        assert_eq!(manifest["layers"][0]["digest"], img.layer.digest.as_str());
        assert_eq!(manifest["layers"][0]["size"], img.layer.bytes.len());
        let config: serde_json::Value = serde_json::from_slice(&img.config.bytes).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"][0], img.layer.digest.as_str());
        let mut archive = tar::Archive::new(img.layer.bytes.as_slice());
        let mut entries = archive.entries().unwrap();
        let mut e = entries.next().unwrap().unwrap();
        assert_eq!(e.path().unwrap().to_str(), Some("smoke.wasm"));
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut body).unwrap();
        assert_eq!(body, MODULE);
        assert_eq!(SmokeImage::build().unwrap().manifest.digest, img.manifest.digest, "reproducible");
    }
}
