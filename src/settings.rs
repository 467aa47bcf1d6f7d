//! Run settings read from the environment, so that one notebook serves both the lecture's full
//! run and the test suite's short one.

use std::str::FromStr;

/// The value of environment variable `name` parsed as `T`, or `default` when it is unset.
///
/// The notebooks write, for example, `genlab::setting("GENLAB_GAN_ITERATIONS", 4001)`: a reader
/// sees the lecture's value, and the test suite sets the variable to run a short version.
/// A set but unparsable value falls back to `default` with a warning on stderr.
pub fn setting<T: FromStr + std::fmt::Display>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            eprintln!("warning: {name}={text:?} is not a valid value; using {default}");
            default
        }),
        Err(_) => default,
    }
}

#[cfg(test)]
mod tests {
    use super::setting;

    #[test]
    fn reads_parses_and_falls_back() {
        std::env::set_var("GENLAB_TEST_SETTING_A", "12");
        std::env::set_var("GENLAB_TEST_SETTING_B", "twelve");
        assert_eq!(setting("GENLAB_TEST_SETTING_A", 4001u64), 12);
        assert_eq!(setting("GENLAB_TEST_SETTING_B", 4001u64), 4001);
        assert_eq!(setting("GENLAB_TEST_SETTING_UNSET", 7u64), 7);
    }
}
