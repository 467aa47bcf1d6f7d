//! Reading IDX files (the MNIST format), gzipped or raw, with every header field checked.

use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// IDX magic number of an unsigned-byte 3-D array (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// IDX magic number of an unsigned-byte 1-D array (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The contents of one IDX file of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension, e.g. `[60000, 28, 28]`.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file, transparently gunzipping it when it starts with the gzip magic.
///
/// Checks the magic number against `expected_magic`, and that the payload holds exactly the
/// number of bytes the header announces. Errors name the file and what is wrong with it.
pub fn read_idx(path: &Path, expected_magic: u32) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingData { path: path.to_path_buf() },
        _ => Error::io("reading", path, e),
    })?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 5);
        GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| corrupt(path, format!("gzip stream is damaged ({e})")))?;
        out
    } else {
        raw
    };
    parse_idx(&bytes, expected_magic).map_err(|reason| corrupt(path, reason))
}

fn corrupt(path: &Path, reason: String) -> Error {
    Error::CorruptData {
        path: path.to_path_buf(),
        reason,
    }
}

/// Parses IDX bytes; the error is the reason the bytes are not a valid file.
pub fn parse_idx(bytes: &[u8], expected_magic: u32) -> std::result::Result<IdxArray, String> {
    if bytes.len() < 4 {
        return Err(format!("only {} bytes, too short for an IDX header", bytes.len()));
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let magic = word(0);
    if magic != expected_magic {
        return Err(format!("magic number is {magic:#010x}, expected {expected_magic:#010x}"));
    }
    let rank = (magic & 0xff) as usize;
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(format!("header is cut short ({} of {header} bytes)", bytes.len()));
    }
    let dims: Vec<usize> = (0..rank).map(|d| word(4 + 4 * d) as usize).collect();
    let expected = dims.iter().product::<usize>();
    let payload = bytes.len() - header;
    if payload != expected {
        return Err(format!("holds {payload} data bytes, the header {dims:?} announces {expected}"));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(data);
        v
    }

    #[test]
    fn parses_a_valid_file() {
        let a = parse_idx(&idx(IMAGES_MAGIC, &[2, 1, 2], &[1, 2, 3, 4]), IMAGES_MAGIC).unwrap();
        assert_eq!(a.dims, vec![2, 1, 2]);
        assert_eq!(a.data, vec![1, 2, 3, 4]);
    }

    #[test]
    fn rejects_wrong_magic_and_lengths() {
        assert!(parse_idx(&idx(LABELS_MAGIC, &[2], &[1, 2]), IMAGES_MAGIC)
            .unwrap_err()
            .contains("magic"));
        assert!(parse_idx(&idx(LABELS_MAGIC, &[3], &[1, 2]), LABELS_MAGIC)
            .unwrap_err()
            .contains("announces"));
        assert!(parse_idx(&idx(LABELS_MAGIC, &[1], &[1, 2]), LABELS_MAGIC)
            .unwrap_err()
            .contains("announces"));
        assert!(parse_idx(&[0, 0], LABELS_MAGIC).unwrap_err().contains("too short"));
        assert!(parse_idx(&IMAGES_MAGIC.to_be_bytes(), IMAGES_MAGIC)
            .unwrap_err()
            .contains("cut short"));
    }
}
