//! Key files in `PACER_HOME` (`master.key`, `jwt.key`): base64 text, created once with mode
//! 0600, refused when group/world readable.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// Reads `path`, or creates it with `len` random bytes. Errors name the file.
pub fn load_or_create(path: &Path, len: usize) -> std::io::Result<Vec<u8>> {
    let err = |m: String| std::io::Error::other(format!("{}: {m}", path.display()));
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(err(format!("mode {mode:o} is readable by others; run `chmod 600` on it")));
            }
            let text = std::fs::read_to_string(path)?;
            let bytes = STANDARD.decode(text.trim()).map_err(|e| err(format!("not base64: {e}")))?;
            if bytes.len() < 32 {
                return Err(err("key is shorter than 32 bytes".into()));
            }
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; len];
            rand::rng().fill_bytes(&mut bytes);
            let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
            f.write_all(STANDARD.encode(&bytes).as_bytes())?;
            f.sync_all()?;
            Ok(bytes)
        }
        Err(e) => Err(e),
    }
}
