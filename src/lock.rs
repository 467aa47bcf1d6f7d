//! One writer per directory: an advisory lock file that a second process cannot take.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows, through
//! [`std::fs::File::try_lock`]), so it goes away with the process that held it, even after
//! `kill -9`: a stale lock file never blocks anyone. Beside it, `<lock>.pid` holds the holder's
//! process id, for messages and for the claim below. Within one process a second claim succeeds
//! (an evcxr notebook re-running its restart cell makes a new trainer while the old one, in
//! another copy of genlab, still holds the lock); that claim takes the lock over once the old
//! holder lets go.
//!
//! Why the id is not in the locked file itself: Windows' locks are mandatory, so while one
//! handle holds the lock, reading the file through any other handle fails, in the same process
//! too, and the second claim could not tell its own process from another one.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A held (or, within this process, shared) lock on a directory.
#[derive(Debug)]
pub(crate) struct DirLock {
    dir: PathBuf,
    path: PathBuf,
    /// `<lock>.pid`: the holder's process id, never locked.
    pid_path: PathBuf,
    /// The locked file; `None` while another holder in this process has it.
    file: Mutex<Option<File>>,
}

impl DirLock {
    /// Locks `dir` through its file `name`, creating both when missing; fails with
    /// [`Error::InUse`] when another process holds it.
    pub(crate) fn acquire(dir: &Path, name: &str) -> Result<DirLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let lock = DirLock {
            dir: dir.to_path_buf(),
            path: dir.join(name),
            pid_path: dir.join(format!("{name}.pid")),
            file: Mutex::new(None),
        };
        lock.ensure()?;
        Ok(lock)
    }

    /// Makes sure the lock is still this process's, taking it if its other holder in this
    /// process has let go. Called before each write into the directory.
    pub(crate) fn ensure(&self) -> Result<()> {
        let mut held = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = held.as_ref() {
            // Writing on would make the directory again, without its lock or its run.
            return match still_in_place(file, &self.path) {
                true => Ok(()),
                false => Err(Error::RunDirMoved { dir: self.dir.clone() }),
            };
        }
        let file = open_no_follow(&self.path)?;
        match file.try_lock() {
            Ok(()) => {
                let mine = std::process::id().to_string();
                let mut pid_file = open_no_follow(&self.pid_path)?;
                let written = pid_file
                    .set_len(0)
                    .and_then(|()| pid_file.rewind())
                    .and_then(|()| pid_file.write_all(mine.as_bytes()));
                written.map_err(|e| Error::io("writing the lock's process id", &self.pid_path, e))?;
                *held = Some(file);
                Ok(())
            }
            Err(TryLockError::WouldBlock) => {
                // Only the holder writes the id, after taking the lock: a claim that comes in
                // between reads the previous holder's (a name in a message, never our own id).
                // A regular file of a process id's length, or no name at all (never a pipe or a
                // link to something endless in its place).
                let read = crate::files::read_at_most(&self.pid_path, 20).unwrap_or_default();
                let pid = String::from_utf8_lossy(&read);
                if pid.trim() == std::process::id().to_string() {
                    Ok(()) // another holder in this process; taken over at a later `ensure`
                } else {
                    Err(Error::InUse {
                        dir: self.dir.clone(),
                        pid: if pid.trim().is_empty() {
                            "unknown".into()
                        } else {
                            pid.trim().into()
                        },
                    })
                }
            }
            Err(TryLockError::Error(e)) => Err(Error::io("locking", &self.path, e)),
        }
    }
}

/// Opens (creating) one of the lock's two files for reading and writing without following a
/// symbolic link in its place: the link's target would be overwritten with the pid.
fn open_no_follow(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(path).map_err(|e| {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            Error::InvalidArgument(format!(
                "{} is a symbolic link, not genlab's lock file: remove it (genlab creates its own)",
                path.display()
            ))
        } else {
            Error::io("creating the lock file", path, e)
        }
    })
}

/// Whether `path` still names the locked `file` (a directory moved, removed or replaced while
/// locked no longer does). Without file identities (outside Unix): whether it still exists.
fn still_in_place(file: &File, path: &Path) -> bool {
    let Ok(now) = std::fs::symlink_metadata(path) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        file.metadata().is_ok_and(|held| (held.dev(), held.ino()) == (now.dev(), now.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        now.is_file()
    }
}

/// Removes the leftovers of writes that were killed before they could clean up: files in `dir`
/// named `.{stem}.<pid>.{suffix}` (call it while holding the directory's lock).
pub(crate) fn remove_leftovers(dir: &Path, stem: &str, suffix: &str) {
    remove_pid_named(dir, &format!(".{stem}."), suffix, |_| true);
}

/// Removes what processes that no longer run left in `dir`: files or folders named
/// `{prefix}<pid>{suffix}` whose process is gone (for folders no lock guards: the temporary
/// folder, the data directory).
pub(crate) fn remove_leftovers_of_dead(dir: &Path, prefix: &str, suffix: &str) {
    remove_pid_named(dir, prefix, suffix, |pid| !process_runs(pid));
}

fn remove_pid_named(dir: &Path, prefix: &str, suffix: &str, gone: impl Fn(u32) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(middle) = name.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix)) else {
            continue;
        };
        let Ok(pid) = middle.parse::<u32>() else { continue };
        if middle.chars().all(|c| c.is_ascii_digit()) && gone(pid) {
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
        }
    }
}

/// Whether process `pid` runs (elsewhere than Unix and Windows: assumed to, so nothing of it is
/// removed).
fn process_runs(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // SAFETY: signal 0 sends nothing; kill only checks that the process exists.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(windows)]
    {
        windows_process::runs(pid)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = pid;
        true
    }
}

/// Asking Windows whether a process runs: kernel32's own calls, declared here (three functions do
/// not need a bindings crate).
#[cfg(windows)]
mod windows_process {
    type Handle = *mut core::ffi::c_void;
    const PROCESS_QUERY_LIMITED_INFORMATION: u32 = 0x1000;
    const STILL_ACTIVE: u32 = 259;
    const ERROR_INVALID_PARAMETER: i32 = 87;

    #[link(name = "kernel32")]
    extern "system" {
        fn OpenProcess(access: u32, inherit: i32, pid: u32) -> Handle;
        fn GetExitCodeProcess(process: Handle, code: *mut u32) -> i32;
        fn CloseHandle(handle: Handle) -> i32;
    }

    /// A process that cannot be opened runs unless Windows says no such process exists (a
    /// process of another user refuses access); one that can be runs while it has no exit code.
    pub(super) fn runs(pid: u32) -> bool {
        // SAFETY: OpenProcess takes plain integers and returns a handle or null.
        let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if process.is_null() {
            return std::io::Error::last_os_error().raw_os_error() != Some(ERROR_INVALID_PARAMETER);
        }
        let mut code = 0u32;
        // SAFETY: `process` is the open handle from above and `code` a valid place for the
        // result; the handle is closed once, here, and not used again.
        unsafe {
            let asked = GetExitCodeProcess(process, &mut code);
            CloseHandle(process);
            asked == 0 || code == STILL_ACTIVE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_killed_writes_go_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("genlab-leftovers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            ".checkpoint.safetensors.123.tmp",
            ".checkpoint.safetensors.x.tmp",
            "checkpoint.safetensors",
            "notes.tmp",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        remove_leftovers(&dir, "checkpoint.safetensors", ".tmp");
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".checkpoint.safetensors.x.tmp", "checkpoint.safetensors", "notes.tmp"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_process_runs_until_it_has_ended() {
        assert!(process_runs(std::process::id()));
        let mut child = match cfg!(windows) {
            true => std::process::Command::new("cmd").args(["/c", "exit"]).spawn().unwrap(),
            false => std::process::Command::new("true").spawn().unwrap(),
        };
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_runs(pid), "process {pid} has ended");
    }

    #[test]
    fn a_second_claim_in_the_same_process_is_shared_and_takes_over() {
        let dir = std::env::temp_dir().join(format!("genlab-lock-{}", std::process::id()));
        let first = DirLock::acquire(&dir, ".lock").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(".lock.pid")).unwrap(),
            std::process::id().to_string()
        );
        // Windows' locks are mandatory: the locked file cannot be read through a second handle.
        // The claim must not need to; here its content says nothing of its holder (on Windows
        // the lock itself refuses the write, and any read).
        #[cfg(unix)]
        std::fs::write(dir.join(".lock"), b"not a process id").unwrap();
        let second = DirLock::acquire(&dir, ".lock").unwrap();
        assert!(second.file.lock().unwrap().is_none(), "the first holder still has it");
        drop(first);
        second.ensure().unwrap();
        assert!(second.file.lock().unwrap().is_some(), "taken over once the first let go");
        drop(second); // Windows removes no folder holding an open file
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
