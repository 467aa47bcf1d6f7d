//! The words on figures, in the lecture's language: English or Korean (the slides' own words:
//! 생성자 / 판별자 손실, 에포크, 테스트할 이미지 ...).

use crate::error::{Error, Result};
use std::cell::Cell;

/// The language of the text genlab puts on figures (titles, axes, legends, panel labels).
///
/// Matplotlib equivalent: none; there one writes every label by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English (the default).
    #[default]
    English,
    /// Korean, as the lecture's slides say it.
    Korean,
}

/// The environment variable that holds the figure language of the process (`ko` or `en`), as
/// [`set_language`] sets it; set before starting Jupyter, it makes that language the default.
pub const LANGUAGE_ENV: &str = "GENLAB_LANG";

thread_local! {
    static SCOPED: Cell<Option<Language>> = const { Cell::new(None) };
}

impl Language {
    /// `en` / `english` or `ko` / `kr` / `korean` / `한국어` (any case).
    pub fn from_code(code: &str) -> Result<Language> {
        match code.trim().to_lowercase().as_str() {
            "en" | "english" => Ok(Language::English),
            "ko" | "kr" | "korean" | "한국어" => Ok(Language::Korean),
            other => Err(Error::InvalidArgument(format!(
                "unknown language `{other}`: use `ko` (Korean) or `en` (English)"
            ))),
        }
    }

    /// The short code (`en`, `ko`).
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Korean => "ko",
        }
    }

    /// The language figures made now use: the one [`Language::scope`] set on this thread, else
    /// the process' default ([`set_language`], or [`LANGUAGE_ENV`]; English when neither says).
    pub fn current() -> Language {
        SCOPED.with(Cell::get).unwrap_or_else(|| {
            std::env::var(LANGUAGE_ENV)
                .ok()
                .and_then(|code| Language::from_code(&code).ok())
                .unwrap_or_default()
        })
    }

    /// Runs `f` with figures in this language on this thread (then back to what it was).
    pub fn scope<T>(self, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Language>);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPED.with(|s| s.set(self.0));
            }
        }
        let _restore = Restore(SCOPED.with(|s| s.replace(Some(self))));
        f()
    }
}

/// Sets the language of the figures made from now on, in every thread (a notebook's first cell:
/// `set_language(Language::Korean)`).
///
/// Kept in the process' environment ([`LANGUAGE_ENV`]), not in a static: evcxr links a copy of
/// genlab into every cell it compiles, each with statics of its own, and a static set in one
/// cell would be unset in the next (found in notebook 02: English figures after a Korean
/// `set_language`). genlab reads the environment only through `std::env`, which serialises
/// reads and writes.
pub fn set_language(language: Language) {
    std::env::set_var(LANGUAGE_ENV, language.code());
}

/// `en` or `ko`, by [`Language::current`].
pub(crate) fn pick(en: impl Into<String>, ko: impl Into<String>) -> String {
    match Language::current() {
        Language::English => en.into(),
        Language::Korean => ko.into(),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "Iteration 400" / "반복 400".
pub(crate) fn iteration(n: u64) -> String {
    pick(format!("Iteration {n}"), format!("반복 {n}"))
}

/// The title of a GAN progression sheet, for all snapshots or from `first` to `last`.
pub(crate) fn generated_digits(range: Option<(u64, u64)>) -> String {
    match range {
        None => pick("Generated digits during training", "학습 중에 생성된 숫자"),
        Some((a, b)) => pick(
            format!("Generated digits during training: iteration {a} to iteration {b}"),
            format!("학습 중에 생성된 숫자: 반복 {a}부터 {b}까지"),
        ),
    }
}

/// "After 10 epochs" / "10 에포크 후" (`lower`: "after 10 epochs").
pub(crate) fn after_epochs(n: u64, lower: bool) -> String {
    let en = format!("{} {n} epoch{}", if lower { "after" } else { "After" }, plural(n));
    pick(en, format!("{n} 에포크 후"))
}

/// The lecture's row labels: "test images" / "테스트할 이미지".
pub(crate) fn test_images() -> String {
    pick("test images", "테스트할 이미지")
}

/// "reconstructions" / "오토인코더가 복원한 이미지".
pub(crate) fn reconstructions() -> String {
    pick("reconstructions", "오토인코더가 복원한 이미지")
}

/// The autoencoder progression sheet's title.
pub(crate) fn reconstructions_during_training() -> String {
    pick("Autoencoder reconstructions during training", "학습 중 오토인코더가 복원한 이미지")
}

/// The code figure: title (with the code's size), the row labels.
pub(crate) fn code(shape: &[usize]) -> (String, String, impl Fn(usize) -> String, String) {
    let size: usize = shape.iter().product();
    let dims = shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
    (
        pick(
            format!("The encoder's code h: {dims} = {size} values for 784 pixels"),
            format!("인코더의 코드 h: 픽셀 784개를 값 {dims} = {size}개로"),
        ),
        test_images(),
        |c| pick(format!("h, channel {c}"), format!("h의 채널 {c}")),
        reconstructions(),
    )
}

/// The denoising figure: its rows and title.
pub(crate) fn denoising(epochs: u64) -> (String, [String; 3]) {
    let title = pick(
        format!("Denoising after {epochs} epoch{}", plural(epochs)),
        format!("{epochs} 에포크 학습 후 노이즈 제거 결과"),
    );
    (
        title,
        [
            pick("noisy", "노이즈를 더한 이미지"),
            pick("cleaned", "노이즈를 제거한 이미지"),
            pick("original", "원본 이미지"),
        ],
    )
}

/// The latent-walk grid's title.
pub(crate) fn latent_walk() -> String {
    pick(
        "Latent walk: one row per pair of noise vectors",
        "잠재 공간 보간: 각 행은 노이즈 벡터 한 쌍 사이의 보간",
    )
}

/// A latent-walk GIF frame's title.
pub(crate) fn step_of(t: usize, steps: usize) -> String {
    pick(format!("Step {t} of {steps}"), format!("{steps}단계 중 {t}단계"))
}

/// The activation slide's title.
pub(crate) fn activations_title() -> String {
    pick(
        "Activation functions (solid) and their derivatives (dashed)",
        "활성화 함수(실선)와 도함수(점선)",
    )
}

/// GAN loss figure: title, the two series.
pub(crate) fn gan_losses() -> (String, String, String) {
    (
        pick("GAN losses", "GAN 손실"),
        pick("discriminator", "판별자 손실"),
        pick("generator", "생성자 손실"),
    )
}

/// "(moving average of 50)" after a series name.
pub(crate) fn moving_average(window: usize) -> String {
    pick(format!("moving average of {window}"), format!("구간 {window} 이동 평균"))
}

/// Autoencoder loss figure: title, the two series.
pub(crate) fn autoencoder_losses() -> (String, String, String) {
    (
        pick("Autoencoder loss (binary cross-entropy)", "오토인코더 손실 (이진 교차 엔트로피)"),
        pick("loss (training data)", "loss (학습 데이터)"),
        pick("val_loss (test data)", "val_loss (테스트 데이터)"),
    )
}

/// Score figure: title, the three series and the FID axis.
pub(crate) fn sample_scores() -> [String; 5] {
    [
        pick("Generated digits as the classifier sees them", "채점 분류기로 평가한 생성된 숫자"),
        pick("confident (p >= 0.9)", "확신 비율 (p ≥ 0.9)"),
        pick(
            "smallest digit share x 10 (1: all ten even)",
            "가장 적게 생성된 숫자의 비율 × 10 (1이면 0–9가 고르게 생성됨)",
        ),
        pick("FID (right axis, lower is better)", "FID (오른쪽 축, 낮을수록 좋음)"),
        pick("FID", "FID"),
    ]
}

/// The words of the GAN diagram: each box's lines and the notes on its arrows.
pub(crate) struct GanDiagram {
    pub noise: Vec<String>,
    pub generator: Vec<String>,
    pub fake: Vec<String>,
    pub real: Vec<String>,
    pub discriminator: Vec<String>,
    pub verdict: String,
    pub update: String,
}

/// The GAN diagram's title.
pub(crate) fn gan_diagram_title() -> String {
    pick(
        "A GAN: the generator makes fakes, the discriminator judges",
        "GAN: 생성자는 가짜를 만들고 판별자는 진짜와 가짜를 가려냅니다",
    )
}

/// The GAN diagram's words.
pub(crate) fn gan_diagram() -> GanDiagram {
    let lines = |en: &[&str], ko: &[&str]| -> Vec<String> { en.iter().zip(ko).map(|(e, k)| pick(*e, *k)).collect() };
    GanDiagram {
        noise: lines(&["noise z", "100 random numbers"], &["노이즈 z", "난수 100개"]),
        generator: lines(&["generator G", "the forger"], &["생성자 G", "위조범"]),
        fake: lines(&["fake images", "G(z), 28×28"], &["가짜 이미지", "G(z), 28×28"]),
        real: lines(&["real images x", "MNIST, 28×28"], &["진짜 이미지 x", "MNIST, 28×28"]),
        discriminator: lines(&["discriminator D", "the shop owner"], &["판별자 D", "가게 주인"]),
        verdict: pick("P(real): D(x), D(G(z))", "진짜일 확률: D(x), D(G(z))"),
        update: pick(
            "the generator learns to fool D (D frozen in this step)",
            "생성자는 D를 속이도록 학습합니다 (이 단계에서 D는 동결)",
        ),
    }
}

/// The real-and-generated figure: title, the two panels.
pub(crate) fn real_and_generated(iteration: u64) -> (String, String, String) {
    (
        pick("Real digits and generated ones", "진짜 숫자와 생성된 숫자"),
        pick("real (MNIST)", "진짜 이미지 (MNIST)"),
        pick(
            format!("generated (iteration {iteration})"),
            format!("생성된 이미지 (반복 {iteration})"),
        ),
    )
}

/// The score comparison of runs: title, x axis.
pub(crate) fn score_comparison() -> (String, String) {
    (
        pick("Confident share (p >= 0.9) of each run", "실행별 확신 비율 (p ≥ 0.9)"),
        pick("generated images seen (thousands)", "생성한 이미지 (천 장)"),
    )
}

/// D(x) and D(G(z)) figure: title, the two series.
pub(crate) fn gan_probabilities() -> (String, String, String) {
    (
        pick("The discriminator's probability of \"real\"", "판별자가 \"진짜\"로 판정한 확률"),
        pick("D(x): real images", "D(x): 진짜 이미지"),
        pick("D(G(z)): generated images", "D(G(z)): 생성된 이미지"),
    )
}

/// Axis names: "iteration", "epoch", "loss", "share of samples".
pub(crate) fn axis(name: &str) -> String {
    match name {
        "iteration" => pick("iteration", "반복"),
        "epoch" => pick("epoch", "에포크"),
        "loss" => pick("loss", "손실"),
        "share of samples" => pick("share of samples", "샘플 비율"),
        "probability" => pick("probability", "확률"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_sets_the_language_on_its_thread_and_restores_it() {
        assert_eq!(Language::from_code("KO").unwrap(), Language::Korean);
        assert!(Language::from_code("de").unwrap_err().to_string().contains("use `ko`"));
        let before = Language::current();
        let inside = Language::Korean.scope(|| (Language::current(), iteration(400)));
        assert_eq!(inside, (Language::Korean, "반복 400".to_string()));
        assert_eq!(Language::current(), before);
        assert_eq!(Language::English.scope(|| after_epochs(1, false)), "After 1 epoch");
    }
}
