//! Animated GIFs of figures (e.g. the snapshot grids of a GAN run).

use super::Figure;
use crate::error::{Error, Result};
use base64::Engine;
use std::path::Path;

/// A looping animated GIF of figures: shown inline in evcxr as `image/gif` when it is the last
/// expression of a cell, or saved for slides.
///
/// Matplotlib equivalent: `matplotlib.animation.FuncAnimation(..).save("x.gif")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Animation {
    bytes: Vec<u8>,
}

impl Animation {
    /// `frames` as a looping GIF, `delay_ms` per frame, at `scale`; all frames must share the
    /// first frame's size. TensorFlow's DCGAN tutorial shows its training the same way.
    pub fn from_frames(frames: &[Figure], delay_ms: u16, scale: f64) -> Result<Animation> {
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
        Ok(Animation { bytes })
    }

    /// The GIF file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Writes the GIF to `path` (creating its folder); errors name the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        super::write_file(path.as_ref(), &self.bytes)
    }

    /// Shows the animation in an evcxr (Jupyter) cell as `image/gif`.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/gif\n{}\nEVCXR_END_CONTENT",
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        );
    }
}

/// Writes `frames` as a looping animated GIF, `delay_ms` per frame, at `scale`
/// ([`Animation::from_frames`], then [`Animation::save`]).
pub fn save_gif(frames: &[Figure], path: impl AsRef<Path>, delay_ms: u16, scale: f64) -> Result<()> {
    Animation::from_frames(frames, delay_ms, scale)?.save(path)
}
