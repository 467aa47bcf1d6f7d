//! The figure language set once holds in every thread and for code linked separately (evcxr's
//! cells each link their own copy of genlab): it lives in the process' environment. A test
//! binary of its own, as it changes the process' default.

use genlab::figures::LANGUAGE_ENV;
use genlab::{set_language, Figure, Language};

#[test]
fn set_language_holds_in_every_thread_through_the_environment() {
    assert_eq!(Language::current(), Language::English, "English unless asked");
    set_language(Language::Korean);
    assert_eq!(std::env::var(LANGUAGE_ENV).unwrap(), "ko");
    let other_thread = std::thread::spawn(Language::current).join().unwrap();
    assert_eq!(other_thread, Language::Korean);
    let svg = Figure::gan_diagram().to_svg().unwrap();
    assert!(svg.contains("생성자 G"), "{svg}");
    // A scope still wins on its thread.
    assert_eq!(Language::English.scope(Language::current), Language::English);
    // Set from outside (as a kernel's environment would): an unknown code means English.
    std::env::set_var(LANGUAGE_ENV, "de");
    assert_eq!(Language::current(), Language::English);
    set_language(Language::English);
    assert_eq!(Language::current(), Language::English);
}
