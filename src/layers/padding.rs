//! Keras padding modes ('same', 'valid') and the output-size arithmetic behind them.

/// A Keras padding mode, as a marker type so that it can sit in a layer's type.
pub trait Padding: Copy + Default + std::fmt::Debug + Send + Sync + 'static {
    /// `true` for 'same', `false` for 'valid'.
    const SAME: bool;
    /// The Keras spelling ("same" or "valid").
    const NAME: &'static str;
}

/// Keras `padding='same'`: output size `ceil(h / stride)`, zero padding split as TensorFlow does
/// (the extra row and column go to the bottom and right).
///
/// Keras equivalent: `padding="same"`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Same;

/// Keras `padding='valid'`: no padding, output size `(h - k) / stride + 1`.
///
/// Keras equivalent: `padding="valid"` (the default).
#[derive(Debug, Default, Clone, Copy)]
pub struct Valid;

impl Padding for Same {
    const SAME: bool = true;
    const NAME: &'static str = "same";
}

impl Padding for Valid {
    const SAME: bool = false;
    const NAME: &'static str = "valid";
}

/// Output size of a window op (conv or pool) along one axis, as Keras computes it.
pub const fn output_size(input: usize, kernel: usize, stride: usize, same: bool) -> usize {
    if same {
        input.div_ceil(stride)
    } else if input < kernel {
        0
    } else {
        (input - kernel) / stride + 1
    }
}

/// Zero rows (or columns) added before the input along one axis.
///
/// TensorFlow pads `max((out - 1) * stride + kernel - input, 0)` in total and puts the smaller
/// half first, so for even inputs with stride 2 the extra row lands at the bottom/right.
pub const fn padding_before(input: usize, kernel: usize, stride: usize, same: bool) -> usize {
    if !same {
        return 0;
    }
    let out = output_size(input, kernel, stride, true);
    let needed = (out - 1) * stride + kernel;
    let total = if needed > input { needed - input } else { 0 };
    total / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output sizes and TensorFlow's asymmetric 'same' padding (28 -> 14 with k=5, s=2: total
    /// pad 3, one before, two after), for every layer shape of the lecture's models.
    #[test]
    fn keras_output_sizes_and_padding() {
        // (input, kernel, stride, same, output, padding before)
        for (h, k, s, same, out, before) in [
            (28, 5, 2, true, 14, 1),
            (14, 5, 2, true, 7, 1),
            (7, 3, 2, true, 4, 1),
            (16, 3, 1, false, 14, 0),
            (28, 3, 1, true, 28, 1),
            (28, 5, 1, true, 28, 2),
        ] {
            assert_eq!(output_size(h, k, s, same), out, "{h} {k} {s} {same}");
            assert_eq!(padding_before(h, k, s, same), before, "{h} {k} {s} {same}");
        }
    }
}
