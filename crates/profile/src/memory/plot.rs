//! `memory.png`: the heap and the resident memory over time, as `mprof
//! plot` draws them, with the peak marked. Drawn into an RGB buffer (lines,
//! rectangles and the built-in 5×7 font) and encoded with the `png` crate.

use crate::memory::font;
use crate::memory::report::MemoryReport;
use crate::ProfileError;

const WIDTH: usize = 960;
const HEIGHT: usize = 540;
/// The plotting area's margins: left, right, top, bottom.
const LEFT: usize = 90;
const RIGHT: usize = 24;
const TOP: usize = 56;
const BOTTOM: usize = 64;
/// Screen pixels per font pixel.
const SCALE: usize = 2;

type Rgb = [u8; 3];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
/// The heap: matplotlib's first colour.
pub(crate) const HEAP: Rgb = [31, 119, 180];
/// The resident memory: its second.
pub(crate) const RSS: Rgb = [255, 127, 14];
const PEAK: Rgb = [214, 39, 40];

/// The picture, PNG-encoded.
pub(crate) fn render(r: &MemoryReport) -> Result<Vec<u8>, ProfileError> {
    let mut c = Canvas::new(WIDTH, HEIGHT);
    let points = r.timeline();
    let t_end = points
        .iter()
        .map(|p| p.seconds)
        .fold(r.peak_at().as_secs_f64(), f64::max)
        .max(1e-3);
    let top = points
        .iter()
        .map(|p| p.heap.max(p.rss.unwrap_or(0)))
        .fold(r.peak_bytes(), u64::max)
        .max(1);
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let x_axis = Axis::new(t_end);
    let y_axis = Axis::new(mib(top));
    let (x0, x1) = (LEFT as f64, (WIDTH - RIGHT) as f64);
    let (y0, y1) = ((HEIGHT - BOTTOM) as f64, TOP as f64);
    let px = |t: f64| x0 + t / x_axis.end * (x1 - x0);
    let py = |m: f64| y0 - m / y_axis.end * (y0 - y1);

    // Grid and tick labels.
    for (i, tick) in y_axis.ticks().enumerate() {
        let y = py(tick).round() as i64;
        c.line((x0, y as f64), (x1, y as f64), GRID, 1);
        let label = y_axis.label(i);
        let w = text_width(&label);
        c.text(LEFT as i64 - 8 - w as i64, y - 7, &label, BLACK);
    }
    for (i, tick) in x_axis.ticks().enumerate() {
        let x = px(tick).round() as i64;
        c.line((x as f64, y0), (x as f64, y1), GRID, 1);
        let label = x_axis.label(i);
        let w = text_width(&label);
        c.text(x - w as i64 / 2, y0 as i64 + 8, &label, BLACK);
    }
    // Axes.
    c.line((x0, y0), (x1, y0), BLACK, 1);
    c.line((x0, y0), (x0, y1), BLACK, 1);
    let title = "memory used (MiB) over time (s)";
    c.text((WIDTH - text_width(title)) as i64 / 2, 18, title, BLACK);
    c.text(
        ((WIDTH - text_width("time (s)")) / 2) as i64,
        (HEIGHT - 26) as i64,
        "time (s)",
        BLACK,
    );

    // The series: resident memory under the heap, which it contains.
    let series =
        |c: &mut Canvas, value: &dyn Fn(&crate::memory::TimePoint) -> Option<u64>, colour| {
            let mut last: Option<(f64, f64)> = None;
            for p in points {
                let Some(v) = value(p) else {
                    last = None;
                    continue;
                };
                let at = (px(p.seconds), py(mib(v)));
                if let Some(from) = last {
                    c.line(from, at, colour, 2);
                }
                last = Some(at);
            }
        };
    let has_rss = points.iter().any(|p| p.rss.is_some());
    if has_rss {
        series(&mut c, &|p| p.rss, RSS);
    }
    series(&mut c, &|p| Some(p.heap), HEAP);

    // The peak, which the readings may have missed.
    let (peak_x, peak_y) = (px(r.peak_at().as_secs_f64()), py(mib(r.peak_bytes())));
    c.rect(peak_x as i64 - 4, peak_y as i64 - 4, 9, 9, PEAK);
    let label = format!("peak {:.1} MiB", mib(r.peak_bytes()));
    let lx = (peak_x as i64 + 8).min((WIDTH - RIGHT - text_width(&label)) as i64);
    c.text(lx, (peak_y as i64 - 20).max(TOP as i64 + 2), &label, PEAK);

    // Legend, top left inside the plot.
    let (lx, mut ly) = (LEFT as i64 + 12, TOP as i64 + 10);
    for (name, colour, shown) in [("heap", HEAP, true), ("resident (RSS)", RSS, has_rss)] {
        if shown {
            c.rect(lx, ly + 5, 24, 4, colour);
            c.text(lx + 32, ly, name, BLACK);
            ly += 22;
        }
    }
    c.png()
}

/// Width in pixels of `text` drawn at [`SCALE`].
fn text_width(text: &str) -> usize {
    text.chars().count() * (font::WIDTH + 1) * SCALE
}

/// An axis from 0 to a round end, with ticks at 1, 2 or 5 times a power of
/// ten.
struct Axis {
    step: f64,
    end: f64,
    decimals: usize,
}

impl Axis {
    fn new(max: f64) -> Axis {
        let raw = max / 5.0;
        let exponent = raw.log10().floor() as i32;
        // m·10^e, divided for negative e so that 0.01 is the double nearest it.
        let times_power = |m: f64| {
            if exponent < 0 {
                m / 10f64.powi(-exponent)
            } else {
                m * 10f64.powi(exponent)
            }
        };
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(times_power)
            .find(|s| *s >= raw)
            .unwrap_or_else(|| times_power(10.0));
        let end = (max / step).ceil().max(1.0) * step;
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        Axis {
            step,
            end,
            decimals,
        }
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let n = (self.end / self.step).round() as usize;
        (0..=n).map(move |i| i as f64 * self.step)
    }

    fn label(&self, i: usize) -> String {
        format!("{:.*}", self.decimals, i as f64 * self.step)
    }
}

/// An RGB picture.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            pixels: WHITE.repeat(width * height),
        }
    }

    fn set(&mut self, x: i64, y: i64, colour: Rgb) {
        if (0..self.width as i64).contains(&x) && (0..self.height as i64).contains(&y) {
            let at = (y as usize * self.width + x as usize) * 3;
            self.pixels[at..at + 3].copy_from_slice(&colour);
        }
    }

    fn rect(&mut self, x: i64, y: i64, w: usize, h: usize, colour: Rgb) {
        for dy in 0..h as i64 {
            for dx in 0..w as i64 {
                self.set(x + dx, y + dy, colour);
            }
        }
    }

    /// A line `thickness` pixels wide, by steps along its longer side.
    fn line(&mut self, from: (f64, f64), to: (f64, f64), colour: Rgb, thickness: usize) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let steps = dx.abs().max(dy.abs()).ceil().max(1.0) as usize;
        let off = (thickness as i64 - 1) / 2;
        for i in 0..=steps {
            let f = i as f64 / steps as f64;
            let (x, y) = (
                (from.0 + f * dx).round() as i64,
                (from.1 + f * dy).round() as i64,
            );
            self.rect(x - off, y - off, thickness, thickness, colour);
        }
    }

    /// `text` with its top left corner at (`x`, `y`).
    fn text(&mut self, x: i64, y: i64, text: &str, colour: Rgb) {
        for (i, ch) in text.chars().enumerate() {
            let left = x + (i * (font::WIDTH + 1) * SCALE) as i64;
            for (row, bits) in font::glyph(ch).iter().enumerate() {
                for col in 0..font::WIDTH {
                    if bits & (1 << (font::WIDTH - 1 - col)) != 0 {
                        self.rect(
                            left + (col * SCALE) as i64,
                            y + (row * SCALE) as i64,
                            SCALE,
                            SCALE,
                            colour,
                        );
                    }
                }
            }
        }
    }

    fn png(&self) -> Result<Vec<u8>, ProfileError> {
        let fail = |e: png::EncodingError| ProfileError::Render {
            file: "memory.png",
            why: e.to_string(),
        };
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&self.pixels).map_err(fail)?;
        writer.finish().map_err(fail)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_a_round_number_with_five_or_so_ticks() {
        let a = Axis::new(7.3);
        assert_eq!((a.step, a.end), (2.0, 8.0));
        assert_eq!(a.ticks().count(), 5);
        assert_eq!(a.label(3), "6");
        let a = Axis::new(0.042);
        assert_eq!((a.step, a.decimals), (0.01, 2));
        assert!((a.end - 0.05).abs() < 1e-12, "{}", a.end);
        assert_eq!(a.label(2), "0.02");
        let a = Axis::new(640.0);
        assert_eq!((a.step, a.end), (200.0, 800.0));
    }
}
