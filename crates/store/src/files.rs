//! Files under the data directory: normalised audio messages, recordings and voicemails.
//!
//! Audio messages are written whole, through a temporary file and a rename, so a reader never
//! sees half a file. Recordings and voicemails are written while a call goes on, by the media
//! engine; this module only names where they live.

use std::path::{Path, PathBuf};

use crate::StoreError;

/// The kinds of file the store keeps, each in its own directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Uploaded audio, normalised (8 kHz mono 16-bit WAV).
    Audio,
    /// Call recordings.
    Recording,
    /// Voicemails.
    Voicemail,
}

impl FileKind {
    /// The directory, relative to the data directory.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Audio => "audio",
            Self::Recording => "recordings",
            Self::Voicemail => "voicemails",
        }
    }

    /// The path of the file for `id`, relative to the data directory.
    pub fn relative_path(self, id: &impl std::fmt::Display) -> String {
        format!("{}/{id}.wav", self.dir())
    }
}

/// Creates the data directory and its sub-directories.
pub(crate) async fn create_layout(data_dir: &Path) -> Result<(), StoreError> {
    for kind in [FileKind::Audio, FileKind::Recording, FileKind::Voicemail] {
        let dir = data_dir.join(kind.dir());
        tokio::fs::create_dir_all(&dir).await.map_err(|source| file_error(&dir, source))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` so that the file either exists whole or not at all.
pub(crate) async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use tokio::io::AsyncWriteExt;

    let tmp = path.with_extension("tmp");
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if let Err(source) = result {
        // Best effort: a leftover .tmp file is harmless and never read.
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(file_error(path, source));
    }
    Ok(())
}

/// Reads a whole file.
pub(crate) async fn read(path: &Path) -> Result<Vec<u8>, StoreError> {
    tokio::fs::read(path).await.map_err(|source| file_error(path, source))
}

/// Removes a file; a file already gone is fine.
pub(crate) async fn remove(path: &Path) -> Result<(), StoreError> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(file_error(path, e)),
        _ => Ok(()),
    }
}

pub(crate) fn file_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File { path: PathBuf::from(path).display().to_string(), source }
}
