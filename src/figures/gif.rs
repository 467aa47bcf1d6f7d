//! Animated GIFs of figures (e.g. the snapshot grids of a GAN run).

use super::Figure;
use crate::error::{Error, Result};
use std::path::Path;

/// Writes `frames` as a looping animated GIF, `delay_ms` per frame, at `scale`.
///
/// All frames are drawn at the first frame's size. TensorFlow's DCGAN tutorial shows its
/// training the same way.
pub fn save_gif(frames: &[Figure], path: impl AsRef<Path>, delay_ms: u16, scale: f64) -> Result<()> {
    let first = frames
        .first()
        .ok_or_else(|| Error::InvalidArgument("a GIF needs at least one frame".into()))?;
    let (w, h, _) = first.to_rgb(scale)?;
    let (w16, h16) = (u16::try_from(w), u16::try_from(h));
    let (Ok(w16), Ok(h16)) = (w16, h16) else {
        return Err(Error::InvalidArgument(format!("{w}x{h} is too large for a GIF")));
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, w16, h16, &[]).map_err(|e| Error::Figure(e.to_string()))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| Error::Figure(e.to_string()))?;
        for figure in frames {
            let (fw, fh, rgb) = figure.to_rgb(scale)?;
            if (fw, fh) != (w, h) {
                return Err(Error::InvalidArgument(format!(
                    "GIF frames must share one size: {w}x{h} and {fw}x{fh}"
                )));
            }
            let mut frame = gif::Frame::from_rgb_speed(w16, h16, &rgb, 10);
            frame.delay = delay_ms / 10;
            encoder.write_frame(&frame).map_err(|e| Error::Figure(e.to_string()))?;
        }
    }
    super::write_file(path.as_ref(), &bytes)
}
