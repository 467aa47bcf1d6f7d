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
    /// A row named `name` of Keras class `class`.
    pub fn new(name: &str, class: &str, output_shape: Vec<usize>, trainable: usize, non_trainable: usize) -> LayerRow {
        LayerRow {
            name: name.into(),
            class: class.into(),
            output_shape,
            trainable,
            non_trainable,
        }
    }

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

    /// Builds the summary of a model by running a one-image batch through it, named as Keras
    /// names the first model of a program (`conv2d`, `conv2d_1`, ...).
    pub fn of<M, X>(name: &str, model: &M, example: X) -> Summary
    where
        M: Summarize<X>,
        X: HasShape,
    {
        let mut summary = Summary::unnamed(model, example);
        summary.name = name.to_string();
        KerasNames::default().number(&mut summary.rows);
        summary
    }

    /// The summary of a `Sequential` model built in a program after others: its name and its
    /// layers' names continue the program's counts (`names`), as Keras' do (the discriminator's
    /// first convolution is `conv2d_2` when the generator has two).
    pub fn of_sequential<M, X>(names: &mut KerasNames, model: &M, example: X) -> Summary
    where
        M: Summarize<X>,
        X: HasShape,
    {
        let mut summary = Summary::unnamed(model, example);
        summary.name = names.next("sequential");
        // A Sequential built with `input_shape=` creates an input layer it does not list.
        names.next("input_layer");
        names.number(&mut summary.rows);
        summary
    }

    fn unnamed<M: Summarize<X>, X: HasShape>(model: &M, example: X) -> Summary {
        let input_shape = without_batch(example.shape());
        let mut rows = Vec::new();
        model.summarize(example, &mut rows);
        Summary {
            name: String::new(),
            input_shape,
            rows,
        }
    }

    /// A summary of models joined in sequence (like Keras' functional `Model(ginput, d(g(ginput)))`),
    /// one row for the input layer and one per part; `frozen` parts count as non-trainable.
    pub fn combined(names: &mut KerasNames, name: &str, input_shape: Vec<usize>, parts: &[(&Summary, bool)]) -> Summary {
        let mut rows = vec![LayerRow::new(&names.next("input_layer"), "InputLayer", input_shape.clone(), 0, 0)];
        for (part, frozen) in parts {
            let total = part.total_params();
            let trainable = if *frozen { 0 } else { part.trainable_params() };
            let output_shape = part.rows.last().map(|r| r.output_shape.clone()).unwrap_or_default();
            rows.push(LayerRow::new(&part.name, "Sequential", output_shape, trainable, total - trainable));
        }
        Summary {
            name: name.to_string(),
            input_shape,
            rows,
        }
    }
}

/// The names Keras has handed out in one program: each stem counts up across every model built
/// in it (`conv2d`, `conv2d_1`, ...; `sequential`, `sequential_1`, ...).
///
/// Keras equivalent: the per-session name counter behind `keras.backend.get_uid`.
#[derive(Debug, Default, Clone)]
pub struct KerasNames(std::collections::HashMap<String, usize>);

impl KerasNames {
    /// The next name for `stem`: the stem itself the first time, then `stem_1`, `stem_2`, ...
    pub fn next(&mut self, stem: &str) -> String {
        let n = self.0.entry(stem.to_string()).or_insert(0);
        let name = if *n == 0 { stem.to_string() } else { format!("{stem}_{n}") };
        *n += 1;
        name
    }

    /// Replaces each row's name stem with its next name.
    fn number(&mut self, rows: &mut [LayerRow]) {
        for row in rows {
            row.name = self.next(&row.name);
        }
    }
}

fn without_batch<S: Shape>(shape: &S) -> Vec<usize> {
    shape.concrete().into_iter().skip(1).collect()
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
        if L::OWN_ROW {
            rows.push(LayerRow::new(
                L::KERAS_NAME,
                L::KERAS_CLASS,
                output_shape.clone(),
                trainable,
                non_trainable,
            ));
        }
        if let Some((class, name)) = L::EXTRA_ROW {
            rows.push(LayerRow::new(name, class, output_shape, 0, 0));
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
