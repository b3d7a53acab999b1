//! A schematic map of the network: nodes placed by their `lon`/`lat` (or, when a node has
//! none, by a force-directed layout), links as straight lines, corridors coloured by a
//! value the result gives them (e.g. closure days).
//!
//! Geographic placement is azimuthal around the network's centre (the median longitude
//! and latitude of its nodes) with distances compressed beyond the typical distance of a
//! node from it (`r' = r0 ln(1 + r / r0)`, `r0` half the median distance): directions are
//! kept and nearby places keep their shape, while far partners (Moscow, Malaysia) are
//! pulled in so that the region the scenario is about gets most of the picture.

use std::collections::BTreeMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{legend, Key};
use crate::{Error, Scenario};

const FONT: &str = "sans-serif";
/// Never closed (0): green; more: yellow to dark red.
const ZERO: RGBColor = RGBColor(26, 152, 80);
const RAMP: [RGBColor; 4] = [
    RGBColor(254, 204, 92),
    RGBColor(253, 141, 60),
    RGBColor(227, 26, 28),
    RGBColor(128, 0, 38),
];
const LINK_GREY: RGBColor = RGBColor(196, 196, 196);
const NODE_GREY: RGBColor = RGBColor(70, 70, 70);

fn draw_err<E: std::fmt::Display>(e: E) -> Error {
    Error::Invalid(format!("cannot draw the map: {e}"))
}

/// The colour of `v` on a scale up to `max` (green for 0).
pub(crate) fn ramp(v: f64, max: f64) -> RGBColor {
    if !v.is_finite() {
        return LINK_GREY;
    }
    if v <= 0.0 || max <= 0.0 {
        return ZERO;
    }
    let t = (v / max).clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Positions in an abstract plane (y up), and whether they are geographic.
fn layout(s: &Scenario) -> (Vec<(f64, f64)>, bool) {
    let all: Option<Vec<_>> = s.nodes.iter().map(|n| n.position).collect();
    match all {
        Some(p) if !p.is_empty() => {
            let lon0 = median(p.iter().map(|q| q.lon).collect());
            let lat0 = median(p.iter().map(|q| q.lat).collect());
            let k = lat0.to_radians().cos().max(0.2);
            let planar: Vec<(f64, f64)> = p
                .iter()
                .map(|q| ((q.lon - lon0) * k, q.lat - lat0))
                .collect();
            let r0 = 0.5 * median(planar.iter().map(|(x, y)| x.hypot(*y)).collect()).max(1e-6);
            let pos = planar
                .iter()
                .map(|&(x, y)| {
                    let r = x.hypot(y);
                    if r == 0.0 {
                        (0.0, 0.0)
                    } else {
                        let f = r0 * (1.0 + r / r0).ln() / r;
                        (x * f, y * f)
                    }
                })
                .collect();
            (pos, true)
        }
        _ => (force_layout(s), false),
    }
}

/// Fruchterman-Reingold from a circle of nodes grouped by country; deterministic.
fn force_layout(s: &Scenario) -> Vec<(f64, f64)> {
    let n = s.nodes.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| s.nodes[a].country.cmp(&s.nodes[b].country).then(a.cmp(&b)));
    let mut pos = vec![(0.0, 0.0); n];
    for (k, &i) in order.iter().enumerate() {
        let a = std::f64::consts::TAU * k as f64 / n as f64;
        pos[i] = (a.cos() * 0.5, a.sin() * 0.5);
    }
    let mut edges: Vec<(usize, usize)> = s
        .links
        .iter()
        .map(|l| {
            let (a, b) = (l.from.index(), l.to.index());
            (a.min(b), a.max(b))
        })
        .filter(|(a, b)| a != b && *b < n)
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let k = (1.0 / n as f64).sqrt();
    let steps = 400;
    for step in 0..steps {
        let temp = 0.1 * (1.0 - step as f64 / steps as f64) + 0.002;
        let mut disp = vec![(0.0, 0.0); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d = dx.hypot(dy).max(1e-3);
                let f = k * k / d;
                disp[i].0 += dx / d * f;
                disp[i].1 += dy / d * f;
                disp[j].0 -= dx / d * f;
                disp[j].1 -= dy / d * f;
            }
        }
        for &(a, b) in &edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = dx.hypot(dy).max(1e-3);
            let f = d * d / k;
            disp[a].0 -= dx / d * f;
            disp[a].1 -= dy / d * f;
            disp[b].0 += dx / d * f;
            disp[b].1 += dy / d * f;
        }
        for i in 0..n {
            let (dx, dy) = disp[i];
            let d = dx.hypot(dy).max(1e-9);
            let m = d.min(temp);
            pos[i].0 += dx / d * m;
            pos[i].1 += dy / d * m;
        }
    }
    pos
}

/// A short label of a node: its name up to " (" or " /".
fn short_name(name: &str) -> &str {
    let cut = [" (", " /"]
        .iter()
        .filter_map(|p| name.find(p))
        .min()
        .unwrap_or(name.len());
    &name[..cut]
}

/// Boxes of labels placed so far (x0, y0, x1, y1).
/// The farthest a label may stand from its point, pixels (joined by a leader line).
const MAX_LEADER: f64 = 110.0;

/// Where a label went.
struct Placed {
    /// The text's anchor (left, middle).
    at: (i32, i32),
    /// The end of its leader line at the label, when it stands away from its point.
    leader: Option<(i32, i32)>,
}

/// Pixels between the centre lines of corridors drawn side by side between the same two
/// nodes.
const PARALLEL_GAP: f64 = 6.0;

/// The offset of each corridor's line between two nodes, so that corridors sharing the
/// same two nodes (a road and a rail between the same towns) are drawn apart, side by
/// side, instead of one hiding the other. `keys[i]` is (unordered node pair, corridor
/// or `None` for links of no corridor); returns the perpendicular offset of each, in
/// units of [`PARALLEL_GAP`]: 0 when alone, else spread evenly around 0 in the order the
/// corridors first appear.
pub(crate) fn parallel_offsets(keys: &[((usize, usize), Option<&str>)]) -> Vec<f64> {
    let mut groups: BTreeMap<(usize, usize), Vec<Option<&str>>> = BTreeMap::new();
    for (pair, c) in keys {
        let g = groups.entry(*pair).or_default();
        if !g.contains(c) {
            g.push(*c);
        }
    }
    keys.iter()
        .map(|(pair, c)| {
            let g = &groups[pair];
            let k = g.iter().position(|x| x == c).unwrap_or(0) as f64;
            k - (g.len() as f64 - 1.0) / 2.0
        })
        .collect()
}

/// Whether the segment p-q crosses the box (x0, y0, x1, y1) (Liang-Barsky clipping).
fn crosses(b: (f64, f64, f64, f64), p: (f64, f64), q: (f64, f64)) -> bool {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - b.0),
        (dx, b.2 - p.0),
        (-dy, p.1 - b.1),
        (dy, b.3 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return false;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// A corridor's line on the map: (corridor index, one end, the other), pixels.
type CorridorLine = (usize, (f64, f64), (f64, f64));

struct Placer {
    boxes: Vec<(f64, f64, f64, f64)>,
    bounds: (f64, f64, f64, f64),
    /// Corridor lines labels should not sit on: (corridor index, from, to).
    lines: Vec<CorridorLine>,
    /// The corridor whose label is being placed (its own line may be touched), and
    /// whether lines are avoided at all in this pass.
    owner: Option<usize>,
    avoid_lines: bool,
}

impl Placer {
    fn free(&self, b: (f64, f64, f64, f64)) -> bool {
        let (x0, y0, x1, y1) = self.bounds;
        b.0 >= x0
            && b.2 <= x1
            && b.1 >= y0
            && b.3 <= y1
            && self
                .boxes
                .iter()
                .all(|o| b.2 <= o.0 || b.0 >= o.2 || b.3 <= o.1 || b.1 >= o.3)
            && (!self.avoid_lines
                || self
                    .lines
                    .iter()
                    .filter(|l| Some(l.0) != self.owner)
                    .all(|l| !crosses(b, l.1, l.2)))
    }

    /// [`Placer::place`] by preference: a node's name touching its point (clear of
    /// corridor lines, else across one), then further out; a corridor's name clear of
    /// other corridors' lines, touching its own line or further out, else anywhere free.
    fn place_clear(
        &mut self,
        owner: Option<usize>,
        x: f64,
        y: f64,
        text: &str,
        size: f64,
    ) -> Option<Placed> {
        self.owner = owner;
        let order: [(bool, bool); 4] = if owner.is_none() {
            [(true, true), (true, false), (false, true), (false, false)]
        } else {
            [(true, true), (false, true), (true, false), (false, false)]
        };
        for (near, avoid) in order {
            self.avoid_lines = avoid;
            if let Some(p) = self.place(x, y, text, size, near) {
                return Some(p);
            }
        }
        None
    }

    /// Place a label of `text` near (x, y): right, left, above or below; `None` when
    /// every place is taken.
    /// A free box for `text` near (x, y): first the eight places touching the point,
    /// then rings further out (up to [`MAX_LEADER`] pixels), nearest first. Returns the
    /// text's anchor (left, middle) and, when the label stands away from its point, the
    /// point on the box's edge nearest to (x, y), for a leader line.
    fn place(&mut self, x: f64, y: f64, text: &str, size: f64, near: bool) -> Option<Placed> {
        // plotters' SVG writes a font of `size` at 0.806 of it; a sans-serif character
        // is about 0.57 of that wide.
        let w = text.chars().count() as f64 * size * 0.46 + 2.0;
        let h = size + 2.0;
        let mut candidates = vec![
            (x + 6.0, y - h / 2.0),
            (x - 6.0 - w, y - h / 2.0),
            (x - w / 2.0, y - 6.0 - h),
            (x - w / 2.0, y + 6.0),
            (x + 6.0, y - h - 2.0),
            (x + 6.0, y + 2.0),
            (x - 6.0 - w, y - h - 2.0),
            (x - 6.0 - w, y + 2.0),
        ];
        if near {
            candidates.truncate(8);
        } else {
            candidates.clear();
        }
        let mut r = 14.0;
        while !near && r <= MAX_LEADER {
            for k in 0..16 {
                let a = std::f64::consts::TAU * k as f64 / 16.0;
                // The box's nearest edge point at distance r in direction a.
                let (dx, dy) = (a.cos() * r, a.sin() * r);
                let bx = if dx >= 0.0 { x + dx } else { x + dx - w };
                let by = y + dy - h / 2.0;
                candidates.push((bx, by));
            }
            r += 8.0;
        }
        for (bx, by) in candidates {
            let b = (bx, by, bx + w, by + h);
            if self.free(b) {
                self.boxes.push(b);
                let leader = (!near).then(|| {
                    (
                        (x.clamp(b.0, b.2)).round() as i32,
                        (y.clamp(b.1, b.3)).round() as i32,
                    )
                });
                return Some(Placed {
                    at: (bx.round() as i32, (by + h / 2.0).round() as i32),
                    leader,
                });
            }
        }
        None
    }
}

/// The map as SVG text; `values` by corridor id (missing: grey), `metric` what they are
/// (with unit, for the legend). Returns the SVG and whether the placement is geographic.
pub(crate) fn svg(
    id: &str,
    scenario: &Scenario,
    values: &BTreeMap<String, f64>,
    metric: &str,
    size: (u32, u32),
) -> Result<(String, bool, Vec<String>), Error> {
    let (pos, geographic) = layout(scenario);
    let legend_w = 200i32;
    let (w, h) = (size.0 as i32, size.1 as i32);
    let (bx0, by0, bx1, by1) = (12, 12, w - legend_w - 24, h - 12);
    // Fit into the box, same scale on both axes, y up.
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &pos {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let pad = 30.0;
    let (bw, bh) = (
        (bx1 - bx0) as f64 - 2.0 * pad,
        (by1 - by0) as f64 - 2.0 * pad,
    );
    let scale = if pos.is_empty() {
        1.0
    } else {
        (bw / (x1 - x0).max(1e-9)).min(bh / (y1 - y0).max(1e-9))
    };
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (mx, my) = ((bx0 + bx1) as f64 / 2.0, (by0 + by1) as f64 / 2.0);
    let px: Vec<(f64, f64)> = pos
        .iter()
        .map(|&(x, y)| (mx + (x - cx) * scale, my - (y - cy) * scale))
        .collect();
    let pi = |i: usize| -> (i32, i32) {
        let (x, y) = px[i];
        (x.round() as i32, y.round() as i32)
    };
    let max = values
        .values()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut in_corridor = vec![None; scenario.links.len()];
    for c in &scenario.corridors {
        for l in &c.links {
            if let Some(slot) = in_corridor.get_mut(l.index()) {
                *slot = Some(c.id.as_str());
            }
        }
    }
    let mut buf = String::new();
    let mut unnamed = Vec::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        root.draw(&Rectangle::new(
            [(bx0, by0), (bx1, by1)],
            RGBColor(220, 220, 220).stroke_width(1),
        ))
        .map_err(draw_err)?;
        let ends = |l: &crate::network::Link| (l.from.index(), l.to.index());
        // Corridors between the same two nodes are drawn side by side.
        let keys: Vec<((usize, usize), Option<&str>)> = scenario
            .links
            .iter()
            .enumerate()
            .map(|(li, l)| {
                let (a, b) = ends(l);
                ((a.min(b), a.max(b)), in_corridor[li])
            })
            .collect();
        let offsets = parallel_offsets(&keys);
        let segment = |li: usize| -> Option<[(f64, f64); 2]> {
            let (a, b) = ends(&scenario.links[li]);
            if a >= px.len() || b >= px.len() {
                return None;
            }
            // The normal is taken from the lower node index to the higher, so both
            // directions of a pair shift the same way.
            let (lo, hi) = (a.min(b), a.max(b));
            let (dx, dy) = (px[hi].0 - px[lo].0, px[hi].1 - px[lo].1);
            let d = dx.hypot(dy).max(1e-9);
            let o = offsets[li] * PARALLEL_GAP;
            let (nx, ny) = (-dy / d * o, dx / d * o);
            Some([(px[a].0 + nx, px[a].1 + ny), (px[b].0 + nx, px[b].1 + ny)])
        };
        let round = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
        for (li, owner) in in_corridor.iter().enumerate() {
            if owner.is_some() {
                continue;
            }
            if let Some([p, q]) = segment(li) {
                root.draw(&PathElement::new(
                    vec![round(p), round(q)],
                    LINK_GREY.stroke_width(2),
                ))
                .map_err(draw_err)?;
            }
        }
        // The worst corridor last, so on top where lines cross.
        let value = |c: &crate::network::Corridor| values.get(&c.id).copied().unwrap_or(f64::NAN);
        let mut by_value: Vec<&crate::network::Corridor> = scenario.corridors.iter().collect();
        by_value.sort_by(|x, y| {
            let (vx, vy) = (value(x), value(y));
            let k = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
            k(vx).total_cmp(&k(vy))
        });
        for c in by_value {
            let color = ramp(value(c), max);
            for l in &c.links {
                let Some(link) = scenario.links.get(l.index()) else {
                    continue;
                };
                // Sea and air legs are long straight lines that say little: draw them thin.
                let width = match link.mode {
                    crate::network::Mode::Road | crate::network::Mode::Rail => 5,
                    crate::network::Mode::Sea | crate::network::Mode::Air => 2,
                };
                if let Some([p, q]) = segment(l.index()) {
                    root.draw(&PathElement::new(
                        vec![round(p), round(q)],
                        color.stroke_width(width),
                    ))
                    .map_err(draw_err)?;
                }
            }
        }
        for i in 0..px.len() {
            root.draw(&Circle::new(pi(i), 3, NODE_GREY.filled()))
                .map_err(draw_err)?;
        }
        let mut placer = Placer {
            boxes: px
                .iter()
                .map(|&(x, y)| (x - 4.0, y - 4.0, x + 4.0, y + 4.0))
                .collect(),
            bounds: (
                bx0 as f64 + 2.0,
                by0 as f64 + 2.0,
                bx1 as f64 - 2.0,
                by1 as f64 - 2.0,
            ),
            lines: scenario
                .corridors
                .iter()
                .enumerate()
                .flat_map(|(ci, c)| {
                    c.links
                        .iter()
                        .filter_map(|l| segment(l.index()))
                        .map(move |[p, q]| (ci, p, q))
                        .collect::<Vec<_>>()
                })
                .collect(),
            owner: None,
            avoid_lines: false,
        };
        let corridor_style = TextStyle::from((FONT, 12).into_font().style(FontStyle::Bold))
            .color(&RGBColor(40, 40, 40))
            .pos(Pos::new(HPos::Left, VPos::Center));
        let node_style = TextStyle::from((FONT, 11).into_font())
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Left, VPos::Center));
        // Corridor names first, the worst first (the colours are about them), each by
        // the middle of its own line; then every node. A label that cannot touch its
        // point stands nearby with a leader line.
        let mut named: Vec<(usize, &crate::network::Corridor)> =
            scenario.corridors.iter().enumerate().collect();
        named.sort_by(|x, y| {
            let k = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
            k(value(y.1)).total_cmp(&k(value(x.1)))
        });
        let leader_style = RGBColor(150, 150, 150).stroke_width(1);
        for (ci, c) in named {
            let Some(li) = c.links.first().map(|l| l.index()) else {
                continue;
            };
            let Some([p, q]) = segment(li) else {
                continue;
            };
            let (x, y) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
            if let Some(pl) = placer.place_clear(Some(ci), x, y, &c.id, 12.0) {
                // Always a leader from the line's middle: on a crowded map a name beside
                // its line can also be beside another.
                let end = pl.leader.unwrap_or_else(|| {
                    let b = placer.boxes.last().copied().unwrap_or((x, y, x, y));
                    (
                        x.clamp(b.0, b.2).round() as i32,
                        y.clamp(b.1, b.3).round() as i32,
                    )
                });
                // In the corridor's colour, so that a name set apart still points at
                // its own line.
                let own = ramp(value(c), max).stroke_width(2);
                root.draw(&PathElement::new(vec![round((x, y)), end], own))
                    .map_err(draw_err)?;
                root.draw(&Text::new(c.id.clone(), pl.at, corridor_style.clone()))
                    .map_err(draw_err)?;
            } else {
                unnamed.push(c.id.clone());
            }
        }
        for (i, n) in scenario.nodes.iter().enumerate() {
            let name = short_name(&n.name).to_string();
            if let Some(pl) = placer.place_clear(None, px[i].0, px[i].1, &name, 11.0) {
                if let Some(end) = pl.leader {
                    root.draw(&PathElement::new(vec![pi(i), end], leader_style))
                        .map_err(draw_err)?;
                }
                root.draw(&Text::new(name, pl.at, node_style.clone()))
                    .map_err(draw_err)?;
            } else {
                unnamed.push(name);
            }
        }
        let mut keys: Vec<(String, Key)> = vec![(format!("0 {metric}"), Key::Line(ZERO))];
        if max > 0.0 {
            for f in [0.25, 0.5, 0.75, 1.0] {
                let v = max * f;
                keys.push((
                    format!(
                        "{} {metric}",
                        super::html::num(v, if max < 10.0 { 1 } else { 0 })
                    ),
                    Key::Line(ramp(v, max)),
                ));
            }
        }
        keys.push(("link of no corridor".into(), Key::Line(LINK_GREY)));
        legend(&root, bx1 + 16, by0, &keys)?;
        root.present().map_err(draw_err)?;
    }
    // The plot area is the map's box.
    let svg = super::chart::mark(buf, id, (bx0..bx1, by0..by1));
    Ok((svg, geographic, unnamed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_corridors_are_drawn_apart() {
        let keys = [
            ((1, 2), Some("rail")),
            ((1, 2), Some("road")),
            ((2, 3), None),
            ((1, 2), Some("rail")),
            ((4, 5), Some("x")),
        ];
        assert_eq!(parallel_offsets(&keys), [-0.5, 0.5, 0.0, -0.5, 0.0]);
    }

    #[test]
    fn every_node_is_named_and_the_worst_corridor_is_on_top() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/afghanistan/base.toml"
        );
        let s = Scenario::load(path).unwrap();
        // As criticality's map: hairatan_rail worst, hairatan_road (same two nodes) 0.
        let mut values: BTreeMap<String, f64> =
            s.corridors.iter().map(|c| (c.id.clone(), 10.0)).collect();
        values.insert("hairatan_rail".into(), 49.3);
        values.insert("hairatan_road".into(), 0.0);
        let (svg, geo, unnamed) = svg("map", &s, &values, "USD m", (900, 620)).unwrap();
        assert!(geo);
        assert!(unnamed.is_empty(), "not named: {unnamed:?}");
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .and_then(|(_, r)| r.split("</text>").next())
            })
            .map(str::trim)
            .collect();
        for n in &s.nodes {
            assert!(texts.contains(&short_name(&n.name)), "{} unnamed", n.id);
        }
        for c in &s.corridors {
            assert!(texts.contains(&c.id.as_str()), "{} unnamed", c.id);
        }
        // The thick lines in drawing order: the last is the worst's dark red, and the
        // two Hairatan lines (same two nodes) do not coincide.
        let thick: Vec<&str> = svg
            .split("<polyline")
            .skip(1)
            .filter(|p| p.contains("stroke-width=\"5\""))
            .collect();
        let worst = format!("#{:02X}{:02X}{:02X}", RAMP[3].0, RAMP[3].1, RAMP[3].2);
        assert!(thick.last().unwrap().contains(&worst), "{:?}", thick.last());
        let points = |colour: &str| -> Vec<String> {
            thick
                .iter()
                .filter(|p| p.contains(colour))
                .map(|p| {
                    p.split("points=\"")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        let zero = format!("#{:02X}{:02X}{:02X}", ZERO.0, ZERO.1, ZERO.2);
        let (rail, road) = (points(&worst), points(&zero));
        assert_eq!(rail.len(), 1);
        assert!(!road.contains(&rail[0]), "the road is drawn over the rail");
    }

    #[test]
    fn the_ramp_is_green_at_zero_and_dark_red_at_the_top() {
        assert_eq!(ramp(0.0, 10.0), ZERO);
        assert_eq!(ramp(10.0, 10.0), RAMP[3]);
        assert_eq!(ramp(f64::NAN, 10.0), LINK_GREY);
        let mid = ramp(5.0, 10.0);
        assert!(mid.0 > mid.2, "reddish");
    }

    #[test]
    fn both_layouts_place_every_node_apart() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/twoland.toml");
        let s = Scenario::load(path).unwrap();
        let (pos, geo) = layout(&s);
        assert!(!geo);
        assert_eq!(pos.len(), s.nodes.len());
        for i in 0..pos.len() {
            for j in (i + 1)..pos.len() {
                let d = (pos[i].0 - pos[j].0).hypot(pos[i].1 - pos[j].1);
                assert!(d > 0.01, "nodes {i} and {j} overlap");
            }
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/afghanistan/base.toml"
        );
        let s = Scenario::load(path).unwrap();
        let (pos, geo) = layout(&s);
        assert!(geo);
        let at = |id: &str| pos[s.nodes.iter().position(|n| n.id == id).unwrap()];
        // Directions kept: Peshawar east of Kabul, Termez north, Karachi south.
        assert!(at("peshawar").0 > at("kabul").0);
        assert!(at("termez").1 > at("kabul").1);
        assert!(at("karachi").1 < at("kabul").1);
    }
}
