//! Charts as SVG text, drawn with plotters' SVG backend: line and band charts over a
//! linear or logarithmic x axis, and horizontal bar and range charts over categories.
//!
//! Every chart's SVG ends with an invisible `<rect class="plot-area" data-chart=ID>`
//! over its plot area (where the data is drawn; legends and labels stay outside it), so
//! a test can check that data was drawn there. Data is drawn in saturated colours, the
//! frame, grid, text and shading in greys.

use std::ops::Range;

use chrono::NaiveDate;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::html::num;
use crate::Error;

/// Saturated colours for data series (Tableau 10 without its grey).
pub(crate) const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Shading of closure periods (grey: not data).
pub(crate) const SPAN_GREY: RGBColor = RGBColor(228, 228, 228);

const FONT: &str = "sans-serif";
/// Width of the legend column right of the plot area, pixels.
const LEGEND_W: u32 = 220;
/// Characters of legend text on one line (longer text wraps).
const LEGEND_CHARS: usize = 26;

fn draw_err<E: std::fmt::Display>(e: E) -> Error {
    Error::Invalid(format!("cannot draw a chart: {e}"))
}

/// How x-axis values are labelled.
#[derive(Clone, Copy)]
pub(crate) enum XLabels {
    /// x is a day index from this date: labels are dates.
    Dates(NaiveDate),
    /// Plain numbers.
    Numbers,
}

/// A line.
pub(crate) struct Line {
    /// Legend text.
    pub name: String,
    /// Colour.
    pub color: RGBColor,
    /// Points (non-finite ones are skipped).
    pub points: Vec<(f64, f64)>,
    /// Stroke width, pixels.
    pub width: u32,
}

/// A filled band between two lines.
pub(crate) struct Band {
    /// Legend text.
    pub name: String,
    /// Colour (drawn translucent).
    pub color: RGBColor,
    /// The polygon: the lower edge left to right, then the upper edge right to left.
    pub polygon: Vec<(f64, f64)>,
}

/// A chart of lines and bands over x.
pub(crate) struct XyChart {
    /// Id of the chart (the plot area's `data-chart`).
    pub id: String,
    /// Size in pixels.
    pub size: (u32, u32),
    /// x range (both > 0 with `x_log`).
    pub x: Range<f64>,
    /// Logarithmic x axis.
    pub x_log: bool,
    /// y range.
    pub y: Range<f64>,
    /// x axis title, with its unit.
    pub x_desc: String,
    /// y axis title, with its unit.
    pub y_desc: String,
    /// How x is labelled.
    pub x_labels: XLabels,
    /// Grey vertical spans (e.g. closure periods) and their legend text.
    pub spans: Vec<(f64, f64)>,
    /// Legend text of the spans.
    pub span_name: String,
    /// Bands, drawn under the lines.
    pub bands: Vec<Band>,
    /// Lines.
    pub lines: Vec<Line>,
}

/// A y range that holds `values` with a margin, from 0 when all are >= 0.
pub(crate) fn y_range(values: impl IntoIterator<Item = f64>) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let pad = (hi - lo) * 0.06;
    if pad <= 0.0 {
        return lo..lo + 1.0;
    }
    (if lo < 0.0 { lo - pad } else { lo })..hi + pad
}

fn tick(v: f64, span: f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else if span >= 0.2 {
        2
    } else {
        3
    };
    num(v, decimals)
}

/// Mark the plot area and the chart's role in the SVG text plotters wrote.
pub(crate) fn mark(svg: String, id: &str, area: (Range<i32>, Range<i32>)) -> String {
    let (xs, ys) = area;
    let mark = format!(
        "<rect class=\"plot-area\" data-chart=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"none\"/>\n</svg>",
        super::html::esc(id),
        xs.start,
        ys.start,
        xs.end - xs.start,
        ys.end - ys.start
    );
    let svg = svg.replacen(
        "<svg ",
        &format!(
            "<svg class=\"chart\" role=\"img\" id=\"svg-{}\" ",
            super::html::esc(id)
        ),
        1,
    );
    match svg.rfind("</svg>") {
        Some(i) => format!("{}{}{}", &svg[..i], mark, &svg[i + "</svg>".len()..]),
        None => svg,
    }
}

/// One legend entry: a line, a filled box or a grey box.
pub(crate) enum Key {
    /// A line of this colour.
    Line(RGBColor),
    /// A filled box of this colour (translucent when `true`).
    Fill(RGBColor, bool),
    /// A dot of this colour (what a range chart's mean is drawn with).
    Dot(RGBColor),
}

/// Legend text cut into lines of at most `width` characters, at spaces or underscores
/// where it can be (a long option name is wrapped, never cut off).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    // Pieces end after a space or an underscore, which stay with the piece before.
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if c == ' ' || c == '_' {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    for p in pieces {
        if !cur.is_empty() && cur.chars().count() + p.trim_end().chars().count() > width {
            lines.push(cur.trim_end().to_string());
            cur = String::new();
        }
        let mut p = p;
        while p.chars().count() > width {
            let head: String = p.chars().take(width).collect();
            p = p.chars().skip(width).collect();
            lines.push(head);
        }
        cur.push_str(&p);
    }
    if !cur.trim().is_empty() {
        lines.push(cur.trim_end().to_string());
    }
    lines
}

/// Draw a legend at pixel (x, y) of `root`, one entry a row.
pub(crate) fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    x: i32,
    y: i32,
    entries: &[(String, Key)],
) -> Result<(), Error> {
    let style = TextStyle::from((FONT, 13).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut cy = y + 9;
    for (name, key) in entries {
        match key {
            Key::Line(c) => root
                .draw(&PathElement::new(
                    vec![(x, cy), (x + 22, cy)],
                    c.stroke_width(3),
                ))
                .map_err(draw_err)?,
            Key::Fill(c, translucent) => {
                let fill = if *translucent {
                    c.mix(0.3).filled()
                } else {
                    c.filled()
                };
                root.draw(&Rectangle::new([(x, cy - 6), (x + 22, cy + 6)], fill))
                    .map_err(draw_err)?
            }
            Key::Dot(c) => root
                .draw(&Circle::new((x + 11, cy), 5, c.filled()))
                .map_err(draw_err)?,
        }
        for (k, line) in wrap(name, LEGEND_CHARS).into_iter().enumerate() {
            if k > 0 {
                cy += 16;
            }
            root.draw(&Text::new(line, (x + 28, cy), style.clone()))
                .map_err(draw_err)?;
        }
        cy += 20;
    }
    Ok(())
}

impl XyChart {
    /// The SVG text.
    pub fn svg(&self) -> Result<String, Error> {
        if self.x_log {
            let lo = self.x.start.max(1e-12);
            let hi = self.x.end.max(lo * 10.0);
            self.draw((lo..hi).log_scale())
        } else {
            self.draw(self.x.clone())
        }
    }

    fn draw<X>(&self, x: X) -> Result<String, Error>
    where
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let mut buf = String::new();
        let area;
        {
            let root = SVGBackend::with_string(&mut buf, self.size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .margin_right(LEGEND_W + 12)
                .x_label_area_size(48)
                .y_label_area_size(78)
                .build_cartesian_2d(x, self.y.clone())
                .map_err(draw_err)?;
            let y_span = self.y.end - self.y.start;
            let x_labels = self.x_labels;
            let x_span = self.x.end - self.x.start;
            let x_fmt = move |v: &f64| match x_labels {
                XLabels::Dates(start) => {
                    let d = start + chrono::Duration::days(v.round() as i64);
                    d.format("%Y-%m-%d").to_string()
                }
                XLabels::Numbers => tick(*v, x_span.min(1e9)),
            };
            let y_fmt = move |v: &f64| tick(*v, y_span);
            chart
                .configure_mesh()
                .x_desc(self.x_desc.as_str())
                .y_desc(self.y_desc.as_str())
                .x_labels(8)
                .y_labels(8)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 14))
                .light_line_style(RGBColor(242, 242, 242))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(draw_err)?;
            let (y0, y1) = (self.y.start, self.y.end);
            chart
                .draw_series(
                    self.spans
                        .iter()
                        .map(|&(a, b)| Rectangle::new([(a, y0), (b, y1)], SPAN_GREY.filled())),
                )
                .map_err(draw_err)?;
            for b in &self.bands {
                let pts: Vec<(f64, f64)> = b
                    .polygon
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        pts,
                        b.color.mix(0.3).filled(),
                    )))
                    .map_err(draw_err)?;
            }
            for l in &self.lines {
                let pts = l
                    .points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite());
                chart
                    .draw_series(LineSeries::new(pts, l.color.stroke_width(l.width)))
                    .map_err(draw_err)?;
            }
            area = chart.plotting_area().get_pixel_range();
            let mut keys: Vec<(String, Key)> = Vec::new();
            for l in &self.lines {
                keys.push((l.name.clone(), Key::Line(l.color)));
            }
            for b in &self.bands {
                keys.push((b.name.clone(), Key::Fill(b.color, true)));
            }
            if !self.spans.is_empty() {
                keys.push((self.span_name.clone(), Key::Fill(SPAN_GREY, false)));
            }
            legend(&root, area.0.end + 16, area.1.start, &keys)?;
            root.present().map_err(draw_err)?;
        }
        Ok(mark(buf, &self.id, area))
    }
}

/// One value of a bar chart.
#[derive(Clone, Copy)]
pub(crate) enum BarValue {
    /// A bar from 0 to the value.
    Bar(f64),
    /// A range: a bar from `lo` to `hi`, a tick at `mid` and a dot at `dot`.
    Range {
        /// Lower end (e.g. p5).
        lo: f64,
        /// Tick (e.g. p50).
        mid: f64,
        /// Upper end (e.g. p95).
        hi: f64,
        /// Dot (e.g. the mean).
        dot: f64,
    },
}

/// A horizontal chart over categories: one row per category, one bar (or range) per
/// group in each row.
pub(crate) struct BarChart {
    /// Id of the chart.
    pub id: String,
    /// Width, pixels (the height follows from the rows).
    pub width: u32,
    /// Row names, top to bottom.
    pub categories: Vec<String>,
    /// Groups and their colours (one bar per group in each row).
    pub groups: Vec<(String, RGBColor)>,
    /// `values[row][group]`.
    pub values: Vec<Vec<BarValue>>,
    /// x axis title, with its unit.
    pub x_desc: String,
    /// y axis title (what the rows are).
    pub y_desc: String,
    /// Extra legend entries (e.g. what the tick and the dot of a range mean).
    pub extra_keys: Vec<(String, Key)>,
}

impl BarChart {
    /// The SVG text.
    pub fn svg(&self) -> Result<String, Error> {
        let n = self.categories.len().max(1);
        let g = self.groups.len().max(1);
        let row_h = (14 * g as u32 + 10).max(26);
        let height = 110 + row_h * n as u32;
        let mut lo = 0.0f64;
        let mut hi = 0.0f64;
        for v in self.values.iter().flatten() {
            let (a, b) = match *v {
                BarValue::Bar(x) => (x, x),
                BarValue::Range {
                    lo, hi, mid, dot, ..
                } => (lo.min(mid).min(dot), hi.max(mid).max(dot)),
            };
            if a.is_finite() {
                lo = lo.min(a);
            }
            if b.is_finite() {
                hi = hi.max(b);
            }
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        let pad = (hi - lo) * 0.05;
        let x = (if lo < 0.0 { lo - pad } else { lo })..hi + pad;
        let label_w = self
            .categories
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 30) as u32
            * 7
            + 16;
        let mut buf = String::new();
        let area;
        {
            let root = SVGBackend::with_string(&mut buf, (self.width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let rows = n as f64;
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .margin_right(LEGEND_W + 12)
                .x_label_area_size(48)
                .y_label_area_size(label_w + 24)
                .build_cartesian_2d(x.clone(), 0.0..rows)
                .map_err(draw_err)?;
            let x_span = x.end - x.start;
            let x_fmt = move |v: &f64| tick(*v, x_span);
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(8)
                .x_label_formatter(&x_fmt)
                .x_desc(self.x_desc.as_str())
                .y_desc(self.y_desc.as_str())
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 14))
                .light_line_style(RGBColor(242, 242, 242))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(draw_err)?;
            // Row i (from the top) spans y in [rows - i - 1, rows - i].
            let slot = 0.8 / g as f64;
            let mut shapes: Vec<Rectangle<(f64, f64)>> = Vec::new();
            let mut ticks: Vec<PathElement<(f64, f64)>> = Vec::new();
            let mut dots: Vec<Circle<(f64, f64), i32>> = Vec::new();
            for (i, row) in self.values.iter().enumerate() {
                let top = rows - i as f64 - 0.1;
                for (j, v) in row.iter().enumerate() {
                    let color = self.groups.get(j).map_or(PALETTE[0], |g| g.1);
                    let (y_hi, y_lo) = (top - slot * j as f64, top - slot * (j + 1) as f64 + 0.02);
                    match *v {
                        BarValue::Bar(b) if b.is_finite() => {
                            shapes.push(Rectangle::new([(0.0, y_lo), (b, y_hi)], color.filled()))
                        }
                        BarValue::Bar(_) => {}
                        BarValue::Range { lo, mid, hi, dot } => {
                            if lo.is_finite() && hi.is_finite() {
                                shapes.push(Rectangle::new(
                                    [(lo, y_lo), (hi, y_hi)],
                                    color.mix(0.45).filled(),
                                ));
                            }
                            if mid.is_finite() {
                                ticks.push(PathElement::new(
                                    vec![(mid, y_lo), (mid, y_hi)],
                                    color.stroke_width(3),
                                ));
                            }
                            if dot.is_finite() {
                                dots.push(Circle::new(
                                    (dot, (y_lo + y_hi) / 2.0),
                                    5,
                                    BLACK.filled(),
                                ));
                            }
                        }
                    }
                }
            }
            chart.draw_series(shapes).map_err(draw_err)?;
            chart.draw_series(ticks).map_err(draw_err)?;
            chart.draw_series(dots).map_err(draw_err)?;
            if x.start < 0.0 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, 0.0), (0.0, rows)],
                        BLACK.stroke_width(1),
                    )))
                    .map_err(draw_err)?;
            }
            area = chart.plotting_area().get_pixel_range();
            let style = TextStyle::from((FONT, 13).into_font())
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center));
            for (i, name) in self.categories.iter().enumerate() {
                let (_, py) = chart.backend_coord(&(x.start, rows - i as f64 - 0.5));
                let text: String = name.chars().take(30).collect();
                root.draw(&Text::new(text, (area.0.start - 8, py), style.clone()))
                    .map_err(draw_err)?;
            }
            let mut keys: Vec<(String, Key)> = self
                .groups
                .iter()
                .filter(|g| !g.0.is_empty())
                .map(|(name, c)| (name.clone(), Key::Fill(*c, false)))
                .collect();
            keys.extend(self.extra_keys.iter().map(|(s, k)| {
                (
                    s.clone(),
                    match k {
                        Key::Line(c) => Key::Line(*c),
                        Key::Fill(c, t) => Key::Fill(*c, *t),
                        Key::Dot(c) => Key::Dot(*c),
                    },
                )
            }));
            legend(&root, area.0.end + 16, area.1.start, &keys)?;
            root.present().map_err(draw_err)?;
        }
        Ok(mark(buf, &self.id, area))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_legend_text_wraps_and_is_never_cut() {
        let name = "trans_afghan_rail_phase1 (B/C 0.031)";
        let lines = wrap(name, LEGEND_CHARS);
        assert_eq!(lines, ["trans_afghan_rail_phase1", "(B/C 0.031)"]);
        assert_eq!(lines.concat().replace(' ', ""), name.replace(' ', ""));
        // A word longer than a line is split, not dropped.
        let long = "x".repeat(60);
        assert_eq!(wrap(&long, 26).concat(), long);
        let c = XyChart {
            id: "t".into(),
            size: (600, 300),
            x: 0.0..1.0,
            x_log: false,
            y: 0.0..1.0,
            x_desc: "x".into(),
            y_desc: "y".into(),
            x_labels: XLabels::Numbers,
            spans: vec![],
            span_name: String::new(),
            bands: vec![Band {
                name: name.into(),
                color: PALETTE[0],
                polygon: vec![(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.0, 0.5)],
            }],
            lines: vec![],
        };
        let svg = c.svg().unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .and_then(|(_, r)| r.split("</text>").next())
            })
            .map(str::trim)
            .collect();
        assert!(texts.contains(&"trans_afghan_rail_phase1"), "{texts:?}");
        assert!(texts.contains(&"(B/C 0.031)"), "{texts:?}");
    }

    #[test]
    fn a_line_chart_marks_its_plot_area_and_draws_its_line() {
        let c = XyChart {
            id: "t".into(),
            size: (700, 300),
            x: 0.0..10.0,
            x_log: false,
            y: y_range([0.0, 5.0]),
            x_desc: "day".into(),
            y_desc: "trucks".into(),
            x_labels: XLabels::Numbers,
            spans: vec![(2.0, 3.0)],
            span_name: "closed".into(),
            bands: vec![],
            lines: vec![Line {
                name: "a".into(),
                color: PALETTE[0],
                points: (0..10).map(|i| (i as f64, (i % 5) as f64)).collect(),
                width: 2,
            }],
        };
        let svg = c.svg().unwrap();
        assert!(svg.starts_with("<svg class=\"chart\""), "{}", &svg[..80]);
        assert!(svg.contains("class=\"plot-area\" data-chart=\"t\""));
        assert!(
            svg.contains("#1F77B4") || svg.contains("#1f77b4"),
            "the line's colour"
        );
        assert!(svg.contains(">\ntrucks\n</text>"), "the y axis title");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn log_axes_and_bars_draw() {
        let c = XyChart {
            id: "log".into(),
            size: (700, 300),
            x: 1.0..1000.0,
            x_log: true,
            y: 0.0..10.0,
            x_desc: "years".into(),
            y_desc: "USD".into(),
            x_labels: XLabels::Numbers,
            spans: vec![],
            span_name: String::new(),
            bands: vec![Band {
                name: "b".into(),
                color: PALETTE[1],
                polygon: vec![(1.0, 1.0), (100.0, 5.0), (10.0, 5.0)],
            }],
            lines: vec![],
        };
        assert!(c.svg().unwrap().contains("<polygon"));
        let b = BarChart {
            id: "bars".into(),
            width: 700,
            categories: vec!["a".into(), "b".into()],
            groups: vec![("g".into(), PALETTE[2])],
            values: vec![
                vec![BarValue::Bar(3.0)],
                vec![BarValue::Range {
                    lo: -1.0,
                    mid: 1.0,
                    hi: 2.0,
                    dot: f64::NAN,
                }],
            ],
            x_desc: "USD".into(),
            y_desc: "component".into(),
            extra_keys: vec![],
        };
        let svg = b.svg().unwrap();
        assert!(
            svg.contains(">\na\n</text>") && svg.contains(">\nb\n</text>"),
            "row names"
        );
    }
}
