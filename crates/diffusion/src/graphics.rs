//! Pictures of the density: one PNG per output (a colour map with axes in
//! x/y units, a colour bar and the time in the title, on a colour range
//! fixed for the whole run) and an animated GIF of them all — what the
//! course's `plotdens` shows on screen.
//!
//! Drawn with plotters into an RGB buffer using a font embedded in the crate
//! (DejaVu Sans, freely licensed: `assets/DejaVu-LICENSE.txt`), so no system
//! fonts are needed; encoded with the `png` and `gif` crates.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;
use runtime::atomic::{write_atomically, AtomicFile};

use crate::{DiffusionError, Frame, Observer};

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const WIDTH: u32 = 720;
const HEIGHT: u32 = 600;
/// Hundredths of a second between GIF frames.
const GIF_DELAY: u16 = 20;

fn register_font() -> Result<(), DiffusionError> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if register_font_bytes(style).is_err() {
                result = Err(DiffusionError::Graphics {
                    path: PathBuf::from("DejaVuSans.ttf"),
                    why: "the embedded font could not be loaded".into(),
                });
            }
        }
    });
    result
}

fn register_font_bytes(style: FontStyle) -> Result<(), ()> {
    plotters::style::register_font("sans-serif", style, FONT).map_err(|_| ())
}

/// Draws one frame into an RGB buffer of `WIDTH × HEIGHT`.
///
/// `dens[i][j]` is drawn at `(x, y) = (x[j], x[i])`, colours on `0..=vmax`.
pub fn render(frame: &Frame<'_>, vmax: f64, buf: &mut [u8]) -> Result<(), String> {
    let x = &frame.grid.x;
    let n = x.len();
    let (lo, hi) = (x[0], x[n - 1]);
    let h = frame.grid.dx / 2.0;
    let e = |err: DrawingAreaErrorKind<_>| err.to_string();
    let root = BitMapBackend::with_buffer(buf, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let root = root
        .titled(
            &format!("density at time {:.3}", frame.time),
            ("sans-serif", 24),
        )
        .map_err(e)?;
    let (map_area, bar_area) = root.split_horizontally(WIDTH - 120);
    let mut chart = ChartBuilder::on(&map_area)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x")
        .y_desc("y")
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(e)?;
    // Colour every pixel of the plotting area from the cell under it
    // (drawing one rectangle per cell leaves rounding gaps between them).
    let dens = frame.dens;
    let area = chart.plotting_area();
    let (px, py) = area.get_pixel_range();
    let (w, hgt) = ((px.end - px.start) as f64, (py.end - py.start) as f64);
    let pixels = area.strip_coord_spec();
    let cell = |v: f64| (((v - x[0]) / (2.0 * h)).round().max(0.0) as usize).min(n - 1);
    for row_px in 0..(py.end - py.start) {
        let y = hi - (row_px as f64 + 0.5) / hgt * (hi - lo);
        let i = cell(y);
        for col_px in 0..(px.end - px.start) {
            let xv = lo + (col_px as f64 + 0.5) / w * (hi - lo);
            let j = cell(xv);
            let c = ViridisRGB::get_color_normalized(dens[[i, j]].clamp(0.0, vmax), 0.0, vmax);
            pixels.draw_pixel((col_px, row_px), &c).map_err(e)?;
        }
    }
    // Colour bar: a column of colours with the value axis on its right.
    let mut bar = ChartBuilder::on(&bar_area)
        .margin_top(12)
        .margin_bottom(57)
        .margin_right(10)
        .right_y_label_area_size(55)
        .build_cartesian_2d(0.0..1.0, 0.0..vmax)
        .map_err(e)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(e)?;
    let steps = 200;
    bar.draw_series((0..steps).map(|s| {
        let v0 = vmax * s as f64 / steps as f64;
        let v1 = vmax * (s + 1) as f64 / steps as f64;
        let c = ViridisRGB::get_color_normalized((v0 + v1) / 2.0, 0.0, vmax);
        Rectangle::new([(0.0, v0), (1.0, v1)], c.filled())
    }))
    .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

/// An [`Observer`] that writes `density_NNNN.png` for every output
/// (`NNNN` = output number, `step / nper`) and `density.gif` at the end;
/// a resumed run's GIF begins with the earlier outputs' pictures found in
/// the directory.
pub struct Pictures {
    dir: PathBuf,
    vmax: f64,
    buf: Vec<u8>,
    /// The GIF being written, from the first output to [`Observer::finish`].
    gif: Option<gif::Encoder<BufWriter<Pending>>>,
    written: Vec<PathBuf>,
}

/// An [`AtomicFile`] as a writer, for the GIF encoder to own.
struct Pending(AtomicFile);

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.file_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.file_mut().flush()
    }
}

impl std::fmt::Debug for Pictures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pictures")
            .field("dir", &self.dir)
            .field("vmax", &self.vmax)
            .field("written", &self.written.len())
            .finish()
    }
}

impl Pictures {
    /// Pictures in `dir` (created if needed), colours on `0..=vmax` (pass
    /// the initial maximum so every frame shares one scale).
    pub fn new(dir: impl Into<PathBuf>, vmax: f64) -> Result<Self, DiffusionError> {
        let dir = dir.into();
        register_font()?;
        std::fs::create_dir_all(&dir).map_err(|e| DiffusionError::io(&dir, e))?;
        Ok(Pictures {
            vmax: if vmax > 0.0 { vmax } else { 1.0 },
            buf: vec![0; (WIDTH * HEIGHT * 3) as usize],
            gif: None,
            written: Vec::new(),
            dir,
        })
    }

    /// The PNG files written so far.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }

    fn graphics_err(path: &Path, why: impl ToString) -> DiffusionError {
        DiffusionError::Graphics {
            path: path.to_path_buf(),
            why: why.to_string(),
        }
    }

    /// The picture in `buf` as a PNG file at `path`, written atomically.
    fn write_png(&self, path: &Path) -> Result<(), DiffusionError> {
        let mut png = Vec::new();
        let mut enc = png::Encoder::new(&mut png, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| Self::graphics_err(path, e))?;
        w.write_image_data(&self.buf)
            .map_err(|e| Self::graphics_err(path, e))?;
        w.finish().map_err(|e| Self::graphics_err(path, e))?;
        write_atomically(path, |w| w.write_all(&png))?;
        Ok(())
    }

    /// The path of output number `number`'s picture.
    fn png_path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("density_{number:04}.png"))
    }

    /// Adds the picture in `buf`, output number `number`, to the GIF. The
    /// first frame starts the file (a temporary until [`Observer::finish`]),
    /// led by the pictures of the outputs before it found in the directory,
    /// so that a resumed run's GIF shows the whole run.
    fn add_gif_frame(&mut self, number: usize) -> Result<(), DiffusionError> {
        let gif_path = self.dir.join("density.gif");
        if self.gif.is_none() {
            let file = Pending(AtomicFile::create(&gif_path)?);
            let mut enc = gif::Encoder::new(BufWriter::new(file), WIDTH as u16, HEIGHT as u16, &[])
                .map_err(|e| Self::graphics_err(&gif_path, e))?;
            enc.set_repeat(gif::Repeat::Infinite)
                .map_err(|e| Self::graphics_err(&gif_path, e))?;
            for earlier in 0..number {
                if let Some(rgb) = read_picture(&self.png_path(earlier)) {
                    write_gif_frame(&mut enc, &rgb)
                        .map_err(|e| Self::graphics_err(&gif_path, e))?;
                }
            }
            self.gif = Some(enc);
        }
        let enc = self.gif.as_mut().expect("encoder created above");
        write_gif_frame(enc, &self.buf).map_err(|e| Self::graphics_err(&gif_path, e))
    }
}

/// Appends one RGB picture of `WIDTH × HEIGHT` to the GIF.
fn write_gif_frame<W: Write>(
    enc: &mut gif::Encoder<W>,
    rgb: &[u8],
) -> Result<(), gif::EncodingError> {
    let mut frame = gif::Frame::from_rgb_speed(WIDTH as u16, HEIGHT as u16, rgb, 10);
    frame.delay = GIF_DELAY;
    enc.write_frame(&frame)
}

/// The RGB pixels of a picture this module wrote at `path`, or `None` when
/// there is none there (missing, unreadable, or another size or colour type).
fn read_picture(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = png::Decoder::new(io::BufReader::new(file))
        .read_info()
        .ok()?;
    let info = reader.info();
    let ours = info.width == WIDTH
        && info.height == HEIGHT
        && info.color_type == png::ColorType::Rgb
        && info.bit_depth == png::BitDepth::Eight;
    if !ours {
        return None;
    }
    let mut rgb = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut rgb).ok()?;
    Some(rgb)
}

impl Observer for Pictures {
    fn output(&mut self, frame: &Frame<'_>) -> Result<(), DiffusionError> {
        let number = frame.step / frame.grid.nper;
        let path = self.png_path(number);
        render(frame, self.vmax, &mut self.buf).map_err(|e| Self::graphics_err(&path, e))?;
        self.write_png(&path)?;
        self.add_gif_frame(number)?;
        self.written.push(path);
        Ok(())
    }

    /// Ends the GIF and puts it in place.
    fn finish(&mut self, _frame: &Frame<'_>) -> Result<(), DiffusionError> {
        let gif_path = self.dir.join("density.gif");
        if let Some(enc) = self.gif.take() {
            let out = enc
                .into_inner()
                .map_err(|e| DiffusionError::io(&gif_path, e))?;
            let Pending(file) = out
                .into_inner()
                .map_err(|e| DiffusionError::io(&gif_path, e.into_error()))?;
            file.commit()?;
        }
        Ok(())
    }
}
