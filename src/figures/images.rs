//! Digit images: validation, gray-scale rendering and the grid layouts built from them.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;

/// Side of an MNIST image in pixels.
pub const IMAGE_SIDE: usize = 28;

/// The value range of pixel data, said explicitly so nothing is guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelRange {
    /// `[-1, 1]`: GAN data and generator output (tanh).
    Symmetric,
    /// `[0, 1]`: autoencoder data and output (sigmoid).
    Unit,
}

impl PixelRange {
    /// Maps a value to a gray level (0 black, 255 white), clamping outliers.
    pub fn gray(self, v: f32) -> u8 {
        let unit = match self {
            PixelRange::Symmetric => 0.5 * v + 0.5,
            PixelRange::Unit => v,
        };
        (unit.clamp(0.0, 1.0) * 255.0).round() as u8
    }
}

/// A validated set of 28x28 images laid out `cols` per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pixels: Vec<u8>,
    cols: usize,
}

impl Images {
    pub fn new(values: &[f32], range: PixelRange, cols: usize) -> Result<Images> {
        let per = IMAGE_SIDE * IMAGE_SIDE;
        if values.is_empty() || values.len() % per != 0 {
            return Err(Error::InvalidArgument(format!(
                "expected whole 28x28 images (784 values each), got {} values",
                values.len()
            )));
        }
        if cols == 0 {
            return Err(Error::InvalidArgument("a grid needs at least one column".into()));
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!("image values must be finite, found {bad}")));
        }
        Ok(Images {
            pixels: values.iter().map(|&v| range.gray(v)).collect(),
            cols,
        })
    }

    pub fn count(&self) -> usize {
        self.pixels.len() / (IMAGE_SIDE * IMAGE_SIDE)
    }
    pub fn cols(&self) -> usize {
        self.cols.min(self.count())
    }
    pub fn rows(&self) -> usize {
        self.count().div_ceil(self.cols)
    }

    /// Size in pixels of the grid with `px` screen pixels per image pixel and `gap` between.
    pub fn grid_size(&self, px: u32, gap: u32) -> (u32, u32) {
        let cell = IMAGE_SIDE as u32 * px;
        let w = self.cols() as u32 * cell + (self.cols() as u32 - 1) * gap;
        let h = self.rows() as u32 * cell + (self.rows() as u32 - 1) * gap;
        (w, h)
    }

    /// Draws the grid with its top-left corner at `at`.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, at: (i32, i32), px: u32, gap: u32) -> Result<()> {
        let side = IMAGE_SIDE as u32 * px;
        for i in 0..self.count() {
            let (r, c) = (i / self.cols, i % self.cols);
            let img = &self.pixels[i * IMAGE_SIDE * IMAGE_SIDE..][..IMAGE_SIDE * IMAGE_SIDE];
            let mut rgb = Vec::with_capacity((side * side * 3) as usize);
            for y in 0..side as usize {
                for x in 0..side as usize {
                    let g = img[(y / px as usize) * IMAGE_SIDE + x / px as usize];
                    rgb.extend([g, g, g]);
                }
            }
            let pos = (at.0 + (c as u32 * (side + gap)) as i32, at.1 + (r as u32 * (side + gap)) as i32);
            let element =
                BitMapElement::with_owned_buffer(pos, (side, side), rgb).ok_or_else(|| Error::Figure("image buffer size".into()))?;
            area.draw(&element).map_err(|e| Error::Figure(e.to_string()))?;
        }
        Ok(())
    }
}
