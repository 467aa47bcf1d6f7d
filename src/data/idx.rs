//! Reading IDX files (the MNIST format), gzipped or raw, with every header field checked.

use crate::error::{Error, Result};
use crate::files::open_regular;
use flate2::bufread::GzDecoder;
use std::io::{BufRead, BufReader, Read};
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

/// The most data bytes an IDX file may announce: 256 MiB (MNIST's largest file holds 47 MB).
pub const MAX_IDX_BYTES: usize = 256 << 20;

/// The bytes of an IDX file of `images.len() / (rows * cols)` unsigned-byte images of
/// `rows x cols` pixels (magic [`IMAGES_MAGIC`], big-endian dimensions, as MNIST's files).
///
/// Panics unless `images` holds whole images.
pub fn idx_images(images: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    assert!(
        rows * cols > 0 && images.len() % (rows * cols) == 0,
        "idx_images needs whole images"
    );
    let n = images.len() / (rows * cols);
    let mut bytes = Vec::with_capacity(16 + images.len());
    for v in [IMAGES_MAGIC, n as u32, rows as u32, cols as u32] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes.extend_from_slice(images);
    bytes
}

/// Reads an IDX file, transparently gunzipping it when it starts with the gzip magic.
///
/// Checks the magic number against `expected_magic`, and that the payload holds exactly the
/// number of bytes the header announces (at most [`MAX_IDX_BYTES`]). The header is read first,
/// and no more than the payload it announces is ever read or decompressed, so a small file
/// cannot expand without bound. Errors name the file and what is wrong with it.
pub fn read_idx(path: &Path, expected_magic: u32) -> Result<IdxArray> {
    let file = open_regular(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingData { path: path.to_path_buf() },
        _ => Error::io("reading", path, e),
    })?;
    let mut reader = BufReader::new(file);
    let gzipped = reader
        .fill_buf()
        .map_err(|e| Error::io("reading", path, e))?
        .starts_with(&[0x1f, 0x8b]);
    let result = if gzipped {
        let mut decoder = GzDecoder::new(reader);
        read_idx_from(&mut decoder, expected_magic).and_then(|array| {
            // The stream ended (its checksum was read); anything after it is not MNIST's.
            match decoder.into_inner().fill_buf() {
                Ok([]) => Ok(array),
                Ok(_) => Err("bytes follow the end of its data".to_string()),
                Err(e) => Err(format!("it cannot be read to its end ({e})")),
            }
        })
    } else {
        read_idx_from(reader, expected_magic)
    };
    result.map_err(|reason| corrupt(path, if gzipped { format!("{reason} (gzip stream)") } else { reason }))
}

fn corrupt(path: &Path, reason: String) -> Error {
    Error::CorruptData {
        path: path.to_path_buf(),
        reason,
    }
}

/// Parses IDX bytes; the error is the reason the bytes are not a valid file.
pub fn parse_idx(bytes: &[u8], expected_magic: u32) -> std::result::Result<IdxArray, String> {
    read_idx_from(bytes, expected_magic)
}

/// Reads one IDX array from a stream: the header, then exactly the payload it announces (one
/// byte more is asked for, to find a payload that is too long). Sizes are checked before any
/// allocation; the buffer grows with what the stream actually delivers, not with what the
/// header claims.
pub fn read_idx_from(mut stream: impl Read, expected_magic: u32) -> std::result::Result<IdxArray, String> {
    let mut word = [0u8; 4];
    let got = read_up_to(&mut stream, &mut word)?;
    if got < 4 {
        return Err(format!("only {got} bytes, too short for an IDX header"));
    }
    let magic = u32::from_be_bytes(word);
    if magic != expected_magic {
        return Err(format!("magic number is {magic:#010x}, expected {expected_magic:#010x}"));
    }
    let rank = (magic & 0xff) as usize;
    let header = 4 + 4 * rank;
    let mut dims = Vec::with_capacity(rank);
    for d in 0..rank {
        let got = read_up_to(&mut stream, &mut word)?;
        if got < 4 {
            return Err(format!("header is cut short ({} of {header} bytes)", 4 + 4 * d + got));
        }
        dims.push(u32::from_be_bytes(word) as usize);
    }
    let expected = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_IDX_BYTES)
        .ok_or_else(|| format!("the header {dims:?} announces more than {MAX_IDX_BYTES} data bytes, the most genlab reads"))?;
    let mut data = Vec::new();
    stream
        .take(expected as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("it cannot be read to its end ({e})"))?;
    match data.len().cmp(&expected) {
        std::cmp::Ordering::Equal => Ok(IdxArray { dims, data }),
        std::cmp::Ordering::Less => Err(format!("holds {} data bytes, the header {dims:?} announces {expected}", data.len())),
        std::cmp::Ordering::Greater => Err(format!("holds more data bytes than the {expected} the header {dims:?} announces")),
    }
}

/// Fills `buf` as far as the stream goes; returns how many bytes it got.
fn read_up_to(stream: &mut impl Read, buf: &mut [u8]) -> std::result::Result<usize, String> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("its header cannot be read ({e})")),
        }
    }
    Ok(got)
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

    #[test]
    fn refuses_headers_whose_size_overflows_or_exceeds_the_limit() {
        // 2^32-1 cubed wraps to a small number in unchecked arithmetic.
        let err = parse_idx(&idx(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[]), IMAGES_MAGIC).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        let err = parse_idx(&idx(IMAGES_MAGIC, &[1 << 16, 1 << 16, 1], &[]), IMAGES_MAGIC).unwrap_err();
        assert!(err.contains(&MAX_IDX_BYTES.to_string()), "{err}");
        let err = parse_idx(&idx(IMAGES_MAGIC, &[0, 28, 28], &[]), IMAGES_MAGIC).unwrap();
        assert_eq!(err.dims, vec![0, 28, 28]);
    }

    #[test]
    fn reads_no_more_than_the_header_announces() {
        // An endless stream behind a 2-byte header: the reader stops after 3 bytes.
        let header = idx(LABELS_MAGIC, &[2], &[]);
        let endless = std::io::Read::chain(&header[..], std::io::repeat(7));
        let err = read_idx_from(endless, LABELS_MAGIC).unwrap_err();
        assert!(err.contains("more data bytes"), "{err}");
    }
}
