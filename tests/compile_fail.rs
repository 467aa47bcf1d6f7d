//! Shapes are checked by the compiler: wrong sizes and channel counts do not build.

#[test]
fn wrong_shapes_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/right_shapes.rs");
    t.compile_fail("tests/ui/wrong_conv_output_size.rs");
    t.compile_fail("tests/ui/wrong_channel_count.rs");
    t.compile_fail("tests/ui/wrong_flatten_size.rs");
    t.compile_fail("tests/ui/wrong_reshape_size.rs");
}
