//! Output folders, notes on stderr and small file writers.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::CliError;

/// An output folder under construction: everything is written into a hidden temporary sibling
/// and moved into place by [`OutputDir::finish`], so an interrupted run never leaves a folder
/// that looks complete. An existing folder is an error unless `force`.
pub struct OutputDir {
    target: PathBuf,
    work: PathBuf,
    force: bool,
}

impl OutputDir {
    /// Checks the target and creates the temporary folder.
    pub fn create(target: &Path, force: bool) -> Result<Self, CliError> {
        if target.exists() && !force {
            return Err(CliError::Input(format!(
                "{}: already exists; choose another --out or pass --force to replace it",
                target.display()
            )));
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kratos-out".into());
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)
            .map_err(|e| CliError::Failure(format!("{}: {e}", parent.display())))?;
        let work = parent.join(format!(".{name}.partial"));
        if work.exists() {
            fs::remove_dir_all(&work)
                .map_err(|e| CliError::Failure(format!("{}: {e}", work.display())))?;
        }
        fs::create_dir_all(&work)
            .map_err(|e| CliError::Failure(format!("{}: {e}", work.display())))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            work,
            force,
        })
    }

    /// The temporary folder everything is written into.
    pub fn dir(&self) -> &Path {
        &self.work
    }

    /// A path inside the folder (creating parent folders).
    pub fn path(&self, relative: &str) -> Result<PathBuf, CliError> {
        let p = self.work.join(relative);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| CliError::Failure(format!("{}: {e}", parent.display())))?;
        }
        Ok(p)
    }

    /// Writes a text file inside the folder.
    pub fn write(&self, relative: &str, text: &str) -> Result<(), CliError> {
        let p = self.path(relative)?;
        fs::write(&p, text).map_err(|e| CliError::Failure(format!("{}: {e}", p.display())))
    }

    /// Moves the finished folder into place (replacing the old one only with `--force`).
    pub fn finish(self) -> Result<PathBuf, CliError> {
        if self.target.exists() {
            if !self.force {
                return Err(CliError::Input(format!(
                    "{}: appeared while running; not replaced",
                    self.target.display()
                )));
            }
            fs::remove_dir_all(&self.target)
                .map_err(|e| CliError::Failure(format!("{}: {e}", self.target.display())))?;
        }
        fs::rename(&self.work, &self.target)
            .map_err(|e| CliError::Failure(format!("{}: {e}", self.target.display())))?;
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    /// Removes the temporary folder of a run that failed before [`OutputDir::finish`].
    fn drop(&mut self) {
        if self.work.exists() {
            let _ = fs::remove_dir_all(&self.work);
        }
    }
}

/// A note on stderr (kept off stdout, which carries the summary).
/// Refuses to replace an existing output file without `--force`.
pub fn refuse_existing_file(path: &Path, force: bool) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::Input(format!(
            "{}: is a folder; --out takes a JSON file name",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(CliError::Input(format!(
            "{}: already exists; choose another --out or pass --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

/// Writes `value` as pretty JSON to `path`, creating its folder.
pub fn write_json_file(path: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failure(format!("{}: {e}", path.display())))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
    }
    fs::write(path, text).map_err(|e| CliError::io(path, e))
}

pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
