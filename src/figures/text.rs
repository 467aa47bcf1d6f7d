//! Figure text: the two embedded fonts (DejaVu Sans for Latin text, genlab Hangul for Korean),
//! which of them a string needs, and SVG text turned into glyph outlines, so PNG, GIF, inline and
//! SVG figures need no installed fonts (and slide programs that ignore SVG fonts show the same
//! letters).

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, PxScale, ScaleFont};
use plotters::style::{FontDesc, FontStyle, IntoFont};
use std::fmt::Write;
use std::sync::{Once, OnceLock};

/// DejaVu Sans (licence in assets/fonts/DejaVuSans-LICENSE.txt): Latin, Greek, math symbols.
static LATIN_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// genlab Hangul, a subset of NanumSquare (licence and how it was made in
/// assets/fonts/GenlabHangul-LICENSE.txt): all 11,172 Hangul syllables, jamo, ASCII, Latin-1.
static HANGUL_FONT: &[u8] = include_bytes!("../../assets/fonts/GenlabHangul-Regular.ttf");

/// The plotters family of Latin text.
pub const LATIN: &str = "sans-serif";
/// The plotters family of text with Hangul (or anything else DejaVu Sans lacks).
pub const HANGUL: &str = "genlab-hangul";

fn parsed() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FONTS: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let latin = FontRef::try_from_slice(LATIN_FONT).ok()?;
            let hangul = FontRef::try_from_slice(HANGUL_FONT).ok()?;
            Some((latin, hangul))
        })
        .as_ref()
}

/// Registers both embedded fonts with plotters, once per process.
pub fn ensure_fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        let latin = plotters::style::register_font(LATIN, FontStyle::Normal, LATIN_FONT);
        let hangul = plotters::style::register_font(HANGUL, FontStyle::Normal, HANGUL_FONT);
        if latin.is_err() || hangul.is_err() {
            eprintln!("genlab: an embedded font could not be loaded; figures will miss text");
        }
    });
}

/// The family that has every letter of `text`: DejaVu Sans when it has them all (it draws the
/// English figures as before), else genlab Hangul.
pub fn family_for(text: &str) -> &'static str {
    match parsed() {
        Some((latin, _)) if text.chars().any(|c| !c.is_whitespace() && latin.glyph_id(c) == GlyphId(0)) => HANGUL,
        _ => LATIN,
    }
}

/// The font of `size` pixels for `text` (see [`family_for`]).
pub fn font(text: &str, size: f64) -> FontDesc<'static> {
    (family_for(text), size).into_font()
}

/// Whether the font of `family` has a glyph for `c` (not the missing-glyph box).
#[cfg(test)]
fn has_glyph(family: &str, c: char) -> bool {
    parsed().is_some_and(|(latin, hangul)| {
        let font = if family == HANGUL { hangul } else { latin };
        font.glyph_id(c) != GlyphId(0)
    })
}

/// `svg` with every `<text>` element plotters wrote replaced by a `<path>` of its glyph outlines,
/// placed as plotters' bitmap backend places the same text.
pub fn outline_svg_text(svg: &str) -> String {
    let Some((latin, hangul)) = parsed() else {
        return svg.to_string();
    };
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(start) = rest.find("<text ") {
        out.push_str(&rest[..start]);
        let element = &rest[start..];
        let (Some(open_end), Some(close)) = (element.find('>'), element.find("</text>")) else {
            break;
        };
        let attrs = &element[6..open_end];
        // plotters puts the text on a line of its own.
        let content = unescape(element[open_end + 1..close].trim_matches(['\n', '\r']));
        let family = attr(attrs, "font-family").unwrap_or(LATIN);
        let font = if family == HANGUL { hangul } else { latin };
        match TextElement::parse(attrs) {
            Some(text) => text.write_path(font, &content, &mut out),
            None => out.push_str(&element[..close + 7]),
        }
        rest = &element[close + 7..];
    }
    out.push_str(rest);
    out
}

/// The attributes of one plotters `<text>` element.
struct TextElement<'a> {
    x: f32,
    y: f32,
    /// plotters' font size (the SVG `font-size` is this divided by 1.24).
    size: f32,
    anchor: &'a str,
    dy: &'a str,
    fill: &'a str,
    opacity: &'a str,
    transform: Option<&'a str>,
}

impl<'a> TextElement<'a> {
    fn parse(attrs: &'a str) -> Option<TextElement<'a>> {
        Some(TextElement {
            x: attr(attrs, "x")?.parse().ok()?,
            y: attr(attrs, "y")?.parse().ok()?,
            size: attr(attrs, "font-size")?.parse::<f32>().ok()? * 1.24,
            anchor: attr(attrs, "text-anchor").unwrap_or("start"),
            dy: attr(attrs, "dy").unwrap_or("0.76em"),
            fill: attr(attrs, "fill").unwrap_or("#000000"),
            opacity: attr(attrs, "opacity").unwrap_or("1"),
            transform: attr(attrs, "transform"),
        })
    }

    /// Writes the `<path>` of `content` in `font`. The baseline sits where plotters' bitmap
    /// backend puts it: half the size below the top of its layout box (`size / 1.24` high).
    fn write_path(&self, font: &FontRef<'_>, content: &str, out: &mut String) {
        let scaled = font.as_scaled(PxScale::from(self.size));
        let glyphs: Vec<GlyphId> = content.chars().map(|c| font.glyph_id(c)).collect();
        let mut advances = Vec::with_capacity(glyphs.len());
        let mut pen = 0.0f32;
        for (i, &g) in glyphs.iter().enumerate() {
            if i > 0 {
                pen += scaled.kern(glyphs[i - 1], g);
            }
            advances.push(pen);
            pen += scaled.h_advance(g);
        }
        let box_height = self.size / 1.24;
        let top = match self.dy {
            "0.5ex" => self.y - box_height / 2.0,
            "-0.5ex" => self.y - box_height,
            _ => self.y,
        };
        let baseline = top + self.size / 2.0;
        let left = match self.anchor {
            "middle" => self.x - pen / 2.0,
            "end" => self.x - pen,
            _ => self.x,
        };
        let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());
        let mut d = String::new();
        for (&g, &offset) in glyphs.iter().zip(&advances) {
            let Some(outline) = font.outline(g) else { continue };
            let at = |p: ab_glyph::Point| (left + offset + p.x * sx, baseline - p.y * sy);
            let mut end: Option<ab_glyph::Point> = None;
            for curve in &outline.curves {
                let (first, last) = match curve {
                    OutlineCurve::Line(a, b) | OutlineCurve::Quad(a, _, b) | OutlineCurve::Cubic(a, _, _, b) => (*a, *b),
                };
                if end != Some(first) {
                    if end.is_some() {
                        d.push('Z');
                    }
                    let (x, y) = at(first);
                    let _ = write!(d, "M{x:.2} {y:.2}");
                }
                match curve {
                    OutlineCurve::Line(_, b) => {
                        let (x, y) = at(*b);
                        let _ = write!(d, "L{x:.2} {y:.2}");
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        let ((cx, cy), (x, y)) = (at(*c), at(*b));
                        let _ = write!(d, "Q{cx:.2} {cy:.2} {x:.2} {y:.2}");
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        let ((ax, ay), (bx, by), (x, y)) = (at(*c1), at(*c2), at(*b));
                        let _ = write!(d, "C{ax:.2} {ay:.2} {bx:.2} {by:.2} {x:.2} {y:.2}");
                    }
                }
                end = Some(last);
            }
            if end.is_some() {
                d.push('Z');
            }
        }
        let _ = write!(
            out,
            r#"<path d="{d}" fill="{}" opacity="{}"{}><title>{}</title></path>"#,
            self.fill,
            self.opacity,
            self.transform.map(|t| format!(r#" transform="{t}""#)).unwrap_or_default(),
            escape(content)
        );
    }
}

/// The value of `name="..."` in an element's attributes.
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = format!(" {attrs}").find(&key)? + key.len() - 1;
    let value = &attrs[start..];
    Some(&value[..value.find('"')?])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_text_gets_the_hangul_font_and_latin_text_keeps_dejavu() {
        assert_eq!(family_for("Generator loss"), LATIN);
        assert_eq!(family_for("f(x), f′(x)"), LATIN);
        assert_eq!(family_for("생성자 손실"), HANGUL);
        assert_eq!(family_for("반복 400"), HANGUL);
    }

    #[test]
    fn the_hangul_font_has_every_syllable_and_ascii() {
        let missing: Vec<char> = ('가'..='힣')
            .chain(' '..='~')
            .chain('ㄱ'..='ㅣ')
            .filter(|&c| !has_glyph(HANGUL, c))
            .collect();
        assert!(
            missing.is_empty(),
            "no glyph for {} characters, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        assert!(!has_glyph(LATIN, '가'), "DejaVu Sans was thought to lack Hangul");
    }

    #[test]
    fn svg_text_becomes_outlines_with_its_words_kept_as_titles() {
        let svg = r##"<svg><text x="100" y="20" dy="0.5ex" text-anchor="middle" font-family="genlab-hangul" font-size="16.129" opacity="1" fill="#000000">판별자 &amp; 생성자</text><rect/></svg>"##;
        let out = outline_svg_text(svg);
        assert!(!out.contains("<text"), "{out}");
        assert!(out.contains("<rect/>"));
        assert!(out.contains("<title>판별자 &amp; 생성자</title>"));
        let d = attr(&out[out.find("<path").unwrap() + 5..], "d").unwrap();
        let contours = d.matches('M').count();
        assert!(contours >= 6, "six syllables need at least six contours, got {contours}");
        // Centred on x = 100: the outline spans both sides of it.
        let xs: Vec<f32> = d
            .split(['M', 'L', 'Q', 'C', 'Z'])
            .filter_map(|seg| seg.split(' ').next().and_then(|x| x.parse().ok()))
            .collect();
        let (lo, hi) = xs.iter().fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(lo < 70.0 && hi > 130.0 && (lo + hi) / 2.0 - 100.0 < 5.0, "{lo}..{hi}");
    }
}
