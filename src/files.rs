//! Reading files without trusting them: regular files only, and never more than a stated limit.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Opens `path` for reading if it is a regular file (a device such as `/dev/zero`, a pipe or a
/// folder is refused as "not a regular file").
pub(crate) fn open_regular(path: &Path) -> std::io::Result<File> {
    // Checked before opening too: opening a named pipe for reading waits for a writer, forever.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file (a folder, device or named pipe)"));
    }
    let file = File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// The bytes of the regular file `path`, or an error when it holds more than `limit`.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// Lower-case hex of `bytes` (a digest).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Moves the finished temporary file `tmp` over `target` (one rename: a reader sees the old file
/// or the new one, never a part), removing `tmp` when that fails; `target` then stays as it was.
///
/// On Windows a file that another program holds open without sharing deletion (a virus scanner,
/// an editor, a preview) cannot be replaced; such holds are usually short, so the rename is
/// tried again for about two seconds before the error is returned.
pub(crate) fn replace(tmp: &Path, target: &Path) -> crate::error::Result<()> {
    let mut result = std::fs::rename(tmp, target);
    for _ in 0..20 {
        match &result {
            Err(e) if held_elsewhere(e) => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                result = std::fs::rename(tmp, target);
            }
            _ => break,
        }
    }
    result.map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        crate::error::Error::io("replacing", target, e)
    })
}

/// Whether a rename failed because another program holds the target open: Windows' access
/// denied (5) and sharing violation (32); never on Unix, where an open file can be replaced.
fn held_elsewhere(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32))
}
