"""Parameters of a notebook run, as papermill passes them: papermill has no Rust translator, so
genlab's runner writes the `let` lines itself, typed as the notebook's `parameters` cell types them
(`let iterations: u64 = 4001;`). Standard library only (the unit tests import it)."""
import re

PARAMETER = re.compile(r"^let (\w+): ([^=]+?) = ", re.MULTILINE)
INTEGERS = {"u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize"}
FLOATS = {"f32", "f64"}


def defined(source):
    """The variables a parameters cell defines, with their Rust types."""
    return {name: rust_type.strip() for name, rust_type in PARAMETER.findall(source)}


def rust_literal(rust_type, text):
    """`text` (as given on a command line) as a Rust literal of `rust_type`; ValueError when it is
    not one. Lists are written `0,10,20` for a slice `&[u64]`."""
    rust_type = rust_type.strip()
    slice_of = re.fullmatch(r"&\[(\w+)\]", rust_type) or re.fullmatch(r"Vec<(\w+)>", rust_type)
    if slice_of:
        items = [rust_literal(slice_of.group(1), t) for t in text.split(",") if t.strip()]
        body = ", ".join(items)
        return f"&[{body}]" if rust_type.startswith("&") else f"vec![{body}]"
    text = text.strip()
    if rust_type in INTEGERS:
        value = int(text)
        if rust_type.startswith("u") and value < 0:
            raise ValueError(f"{text} is negative; {rust_type} holds no negative numbers")
        return str(value)
    if rust_type in FLOATS:
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{text} is not a finite number")
        return repr(value) if "." in repr(value) or "e" in repr(value) else f"{value}.0"
    if rust_type == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"{text} is not true or false")
        return text
    if rust_type in ("&str", "&'static str", "String"):
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return quoted if rust_type != "String" else f"String::from({quoted})"
    raise ValueError(f"a parameter of type {rust_type} cannot be given on the command line")


def injected_lines(source, values, notebook):
    """The `let` lines that set `values` (name -> text) in a notebook whose parameters cell is
    `source`; SystemExit naming the notebook when a name is not defined there or a value does not
    fit its type."""
    types = defined(source)
    lines = []
    for name, text in values.items():
        if name not in types:
            raise SystemExit(f"{notebook}: the parameters cell does not define `{name}` "
                             f"(it defines {', '.join(types) or 'nothing'})")
        try:
            lines.append(f"let {name}: {types[name]} = {rust_literal(types[name], text)};")
        except ValueError as e:
            raise SystemExit(f"{notebook}: -p {name} {text}: {e}")
    return lines
