//! Keras-style model summaries, derived from the model types.

use crate::layers::KerasLayer;
use dfdx::nn::modules::Module;
use dfdx::nn::TensorCollection;
use dfdx::prelude::*;
use std::fmt;

/// One row of a summary: a layer (or a nested model), its output shape and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// Keras-style name, e.g. `conv2d_1`.
    pub name: String,
    /// Keras class, e.g. `Conv2D`.
    pub class: String,
    /// Output shape without the batch axis (channels first).
    pub output_shape: Vec<usize>,
    /// Parameters the optimiser updates.
    pub trainable: usize,
    /// Parameters it does not (BatchNorm running statistics, frozen layers).
    pub non_trainable: usize,
}

impl LayerRow {
    /// All parameters of the row.
    pub fn params(&self) -> usize {
        self.trainable + self.non_trainable
    }
}

/// A model's summary, printed like Keras' `model.summary()`.
///
/// Keras equivalent: `model.summary()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Model name shown in the header.
    pub name: String,
    /// Input shape without the batch axis.
    pub input_shape: Vec<usize>,
    /// One row per layer.
    pub rows: Vec<LayerRow>,
}

/// The summaries of the three models a [`Gan`](crate::Gan) holds, as the lecture prints them one
/// after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GanSummaries {
    /// `generator.summary()`.
    pub generator: Summary,
    /// `discriminator.summary()`.
    pub discriminator: Summary,
    /// `gan.summary()`: the generator, then the frozen discriminator.
    pub gan: Summary,
}

impl fmt::Display for GanSummaries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{}\n\n{}", self.generator, self.discriminator, self.gan)
    }
}

impl Summary {
    /// Total parameter count.
    pub fn total_params(&self) -> usize {
        self.rows.iter().map(LayerRow::params).sum()
    }
    /// Parameters updated by training.
    pub fn trainable_params(&self) -> usize {
        self.rows.iter().map(|r| r.trainable).sum()
    }
    /// Parameters not updated by training.
    pub fn non_trainable_params(&self) -> usize {
        self.rows.iter().map(|r| r.non_trainable).sum()
    }

    /// Builds the summary of a model by running a one-image batch through it.
    pub fn of<M, X>(name: &str, model: &M, example: X) -> Summary
    where
        M: Summarize<X>,
        X: HasShape,
    {
        let input_shape = without_batch(example.shape());
        let mut rows = Vec::new();
        model.summarize(example, &mut rows);
        number_like_keras(&mut rows);
        Summary {
            name: name.to_string(),
            input_shape,
            rows,
        }
    }

    /// A summary of models joined in sequence (like Keras' functional `Model(ginput, d(g(ginput)))`),
    /// one row per part; `frozen` parts count as non-trainable.
    pub fn combined(name: &str, input_shape: Vec<usize>, parts: &[(&Summary, bool)]) -> Summary {
        let mut rows = vec![LayerRow {
            name: "input_layer".into(),
            class: "InputLayer".into(),
            output_shape: input_shape.clone(),
            trainable: 0,
            non_trainable: 0,
        }];
        for (part, frozen) in parts {
            let total = part.total_params();
            let trainable = if *frozen { 0 } else { part.trainable_params() };
            rows.push(LayerRow {
                name: part.name.clone(),
                class: "Sequential".into(),
                output_shape: part.rows.last().map(|r| r.output_shape.clone()).unwrap_or_default(),
                trainable,
                non_trainable: total - trainable,
            });
        }
        Summary {
            name: name.to_string(),
            input_shape,
            rows,
        }
    }
}

fn without_batch<S: Shape>(shape: &S) -> Vec<usize> {
    shape.concrete().into_iter().skip(1).collect()
}

/// Keras names repeats `conv2d`, `conv2d_1`, `conv2d_2`, ...
fn number_like_keras(rows: &mut [LayerRow]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for row in rows {
        let n = seen.entry(row.name.clone()).or_insert(0);
        if *n > 0 {
            row.name = format!("{}_{}", row.name, n);
        }
        *n += 1;
    }
}

fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = std::iter::once("None".to_string())
        .chain(shape.iter().map(|d| d.to_string()))
        .collect();
    format!("({})", dims.join(", "))
}

/// `1234567` as `1,234,567`, as Keras prints counts.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = "━".repeat(82);
        writeln!(f, "Model: \"{}\"  (shapes are channels-first: (batch, C, H, W))", self.name)?;
        writeln!(f, "{rule}")?;
        writeln!(f, "{:<44}{:<26}{:>12}", "Layer (type)", "Output Shape", "Param #")?;
        writeln!(f, "{rule}")?;
        for row in &self.rows {
            let layer = format!("{} ({})", row.name, row.class);
            writeln!(f, "{layer:<44}{:<26}{:>12}", shape_text(&row.output_shape), thousands(row.params()))?;
        }
        writeln!(f, "{rule}")?;
        writeln!(f, " Total params: {}", thousands(self.total_params()))?;
        writeln!(f, " Trainable params: {}", thousands(self.trainable_params()))?;
        write!(f, " Non-trainable params: {}", thousands(self.non_trainable_params()))
    }
}

/// Counts parameters of a module, split into (trainable, non-trainable).
pub fn param_counts<M: TensorCollection<f32, Cpu>>(module: &M) -> (usize, usize) {
    let (mut trainable, mut fixed) = (0, 0);
    crate::walk::each_tensor(module, |_, is_trainable, t| {
        *if is_trainable { &mut trainable } else { &mut fixed } += t.len();
    });
    (trainable, fixed)
}

/// A layer or tuple of layers that can describe itself row by row.
pub trait Summarize<X> {
    /// The output of the layer (or of the last layer of a tuple).
    type Output;
    /// Runs `x` through, pushing one row per layer.
    fn summarize(&self, x: X, rows: &mut Vec<LayerRow>) -> Self::Output;
}

impl<X, L> Summarize<X> for L
where
    L: KerasLayer + Module<X> + TensorCollection<f32, Cpu>,
    <L as Module<X>>::Output: HasShape,
{
    type Output = <L as Module<X>>::Output;
    fn summarize(&self, x: X, rows: &mut Vec<LayerRow>) -> Self::Output {
        let y = self.forward(x);
        let (trainable, non_trainable) = param_counts(self);
        let output_shape = without_batch(y.shape());
        rows.push(LayerRow {
            name: L::KERAS_NAME.to_string(),
            class: L::KERAS_CLASS.to_string(),
            output_shape: output_shape.clone(),
            trainable,
            non_trainable,
        });
        if let Some((class, name)) = L::EXTRA_ROW {
            rows.push(LayerRow {
                name: name.to_string(),
                class: class.to_string(),
                output_shape,
                trainable: 0,
                non_trainable: 0,
            });
        }
        y
    }
}

macro_rules! summarize_tuple {
    ($x:ident; $($idx:tt $layer:ident $input:ident $output:ident),+ => $last:ident) => {
        impl<$x, $($layer, $output),+> Summarize<$x> for ($($layer,)+)
        where
            $($layer: Summarize<$input, Output = $output>),+
        {
            type Output = $last;
            fn summarize(&self, x: $x, rows: &mut Vec<LayerRow>) -> Self::Output {
                $(let x = self.$idx.summarize(x, rows);)+
                x
            }
        }
    };
}
crate::layers::for_each_tuple!(summarize_tuple);

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn formats_counts_like_keras() {
        assert_eq!(thousands(865_281), "865,281");
        assert_eq!(thousands(4_385), "4,385");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_078_146), "1,078,146");
    }
}
