//! Server-drawn SVG: a small writer for the dashboard's charts ([`super::charts`]) and the route
//! thumbnails ([`route_svg`]), and the response that serves a chart.
//!
//! Every text and attribute value goes through [`escape`](super::page::escape); numbers are
//! written with one decimal at most, and non-finite numbers become 0, so nothing from the store
//! can end the element it is in. The documents carry no script and load nothing: colours come
//! from one inline `<style>` (with a dark variant) and presentation attributes.

use actix_web::HttpResponse;
use actix_web::http::header;

use super::html::escape;

/// The CSP of a served SVG: no scripts, no fetches, only its own inline style block.
pub const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'";

/// The style block of every chart: muted text, grid lines, the three fitness lines.
const STYLE: &str = "text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;fill:#5b6673}\
.grid{stroke:#dde2e8;stroke-width:1}.zero{stroke:#9aa4b1;stroke-dasharray:4 3}\
.line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}\
.ctl{stroke:#2563eb}.atl{stroke:#db2777}.tsb{stroke:#ea8a00}\
.empty{font-size:14px}\
@media (prefers-color-scheme:dark){text{fill:#9aa4b1}.grid{stroke:#313843}.zero{stroke:#5b6673}\
.ctl{stroke:#60a5fa}.atl{stroke:#f472b6}.tsb{stroke:#fbbf24}}";

/// A number for an attribute: at most one decimal, `0` for NaN and infinities.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { (v * 10.0).round() / 10.0 } else { 0.0 };
    if v == v.trunc() { format!("{}", v as i64) } else { format!("{v:.1}") }
}

/// Where a text is anchored horizontally.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document under construction (a `viewBox` of `width × height` user units, drawn at
/// 100 % of its container's width by the page).
pub struct Svg {
    out: String,
}

impl Svg {
    /// Starts a document with an accessible title and description.
    pub fn new(width: f64, height: f64, title: &str, desc: &str) -> Self {
        let (w, h) = (num(width), num(height));
        let mut out = String::with_capacity(8 * 1024);
        out.push_str(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             role=\"img\" aria-labelledby=\"t d\"><title id=\"t\">{}</title><desc id=\"d\">{}</desc><style>{STYLE}</style>",
            escape(title),
            escape(desc)
        ));
        Self { out }
    }

    /// A rectangle filled with `fill` (a colour from this module, never input), with a tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        self.out.push_str(&format!(
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            escape(fill),
            escape(tip)
        ));
    }

    /// A small filled square (legend swatch).
    pub fn swatch(&mut self, x: f64, y: f64, size: f64, fill: &str) {
        self.out.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{s}\" height=\"{s}\" rx=\"2\" fill=\"{}\"/>",
            num(x),
            num(y),
            escape(fill),
            s = num(size)
        ));
    }

    /// A straight line with a CSS class (`grid`, `zero`, or a line class).
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), class: &str) {
        self.out.push_str(&format!(
            "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            escape(class),
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        ));
    }

    /// A polyline through `points` with the given classes (e.g. `line ctl`).
    pub fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        self.out.push_str(&format!("<polyline class=\"{}\" points=\"{}\"/>", escape(class), points_attr(points)));
    }

    /// A text at (`x`, `y`) (baseline), anchored as given, with an optional extra class.
    pub fn text(&mut self, (x, y): (f64, f64), anchor: Anchor, class: &str, text: &str) {
        let class = if class.is_empty() { String::new() } else { format!(" class=\"{}\"", escape(class)) };
        self.out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{class}>{}</text>",
            num(x),
            num(y),
            anchor.as_str(),
            escape(text)
        ));
    }

    /// Closes the document.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// `x,y x,y …` for a `points` attribute.
fn points_attr(points: &[(f64, f64)]) -> String {
    let mut s = String::with_capacity(points.len() * 10);
    for (i, (x, y)) in points.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&num(*x));
        s.push(',');
        s.push_str(&num(*y));
    }
    s
}

/// A "nice" upper bound for an axis (1, 2, 2.5 or 5 × 10ⁿ) at or above `max`, and its step
/// for `ticks` grid lines.
pub fn nice_scale(max: f64, ticks: u32) -> (f64, f64) {
    let ticks = f64::from(ticks.max(1));
    let raw = if max.is_finite() && max > 0.0 { max / ticks } else { 1.0 / ticks };
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    (step * ticks, step)
}

/// The width and height of the route thumbnails.
pub const ROUTE_SIZE: (f64, f64) = (96.0, 64.0);

/// The most vertices a route thumbnail draws.
const ROUTE_MAX_POINTS: usize = 160;

/// A small standalone SVG of a GPS track (`[lat, lng]` pairs), or `None` when there is no track
/// (fewer than two valid points, or all at one spot). Equirectangular projection around the
/// track's middle latitude, fitted into [`ROUTE_SIZE`] keeping its shape; a dot marks the start.
pub fn route_svg(latlng: &[[f64; 2]]) -> Option<String> {
    let valid: Vec<[f64; 2]> = latlng
        .iter()
        .copied()
        .filter(|[lat, lng]| lat.is_finite() && lng.is_finite() && lat.abs() <= 90.0 && lng.abs() <= 180.0)
        .filter(|[lat, lng]| !(*lat == 0.0 && *lng == 0.0))
        .collect();
    if valid.len() < 2 {
        return None;
    }
    let (mut min_lat, mut max_lat) = (f64::MAX, f64::MIN);
    for [lat, _] in &valid {
        min_lat = min_lat.min(*lat);
        max_lat = max_lat.max(*lat);
    }
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    let projected: Vec<(f64, f64)> = valid.iter().map(|[lat, lng]| (lng * k, -lat)).collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in &projected {
        (x0, x1, y0, y1) = (x0.min(*x), x1.max(*x), y0.min(*y), y1.max(*y));
    }
    let (span_x, span_y) = (x1 - x0, y1 - y0);
    if span_x.max(span_y) <= 1e-9 {
        return None;
    }
    let (w, h) = ROUTE_SIZE;
    let pad = 5.0;
    let scale = ((w - 2.0 * pad) / span_x.max(1e-12)).min((h - 2.0 * pad) / span_y.max(1e-12));
    let (off_x, off_y) = ((w - span_x * scale) / 2.0, (h - span_y * scale) / 2.0);
    let step = projected.len().div_ceil(ROUTE_MAX_POINTS).max(1);
    let last = projected.len() - 1;
    let points: Vec<(f64, f64)> = projected
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == last)
        .map(|(_, (x, y))| (off_x + (x - x0) * scale, off_y + (y - y0) * scale))
        .collect();
    let (sx, sy) = points[0];
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#fc4c02\" stroke-width=\"2\" stroke-linejoin=\"round\" \
         stroke-linecap=\"round\"/><circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"#1d7a3e\"/></svg>",
        points_attr(&points),
        num(sx),
        num(sy),
        w = num(w),
        h = num(h)
    ))
}

/// A chart as `image/svg+xml`: not sniffed, not cached, no scripts, no fetches.
pub fn response(svg: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, SVG_CSP))
        .body(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_finite() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.74), "2.7");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut svg = Svg::new(100.0, 50.0, "<t>", "d\"");
        svg.text((1.0, 2.0), Anchor::Start, "a\"b", "</text><script>x</script>");
        svg.rect(0.0, 0.0, 1.0, 1.0, "red\"/>", "<b>");
        let out = svg.finish();
        assert!(!out.contains("<script>") && !out.contains("<t>") && !out.contains("<b>"), "{out}");
        assert!(out.contains("&lt;/text&gt;&lt;script&gt;") && out.contains("red&quot;/&gt;"), "{out}");
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 50\""));
        assert!(out.ends_with("</svg>"));
    }

    #[test]
    fn nice_scales_round_up() {
        assert_eq!(nice_scale(7.3, 4), (8.0, 2.0));
        assert_eq!(nice_scale(0.0, 4), (1.0, 0.25));
        assert_eq!(nice_scale(93.0, 4), (100.0, 25.0));
        assert_eq!(nice_scale(f64::NAN, 2), (1.0, 0.5));
    }

    #[test]
    fn routes_fit_the_box_and_skip_missing_tracks() {
        assert_eq!(route_svg(&[]), None);
        assert_eq!(route_svg(&[[52.0, 4.0], [52.0, 4.0]]), None);
        assert_eq!(route_svg(&[[f64::NAN, 4.0], [52.0, 4.0]]), None);
        let track: Vec<[f64; 2]> = (0..1000).map(|i| [52.0 + f64::from(i) * 1e-5, 4.0 + f64::from(i) * 2e-5]).collect();
        let svg = route_svg(&track).expect("route");
        let points = svg.split("points=\"").nth(1).and_then(|s| s.split('"').next()).expect("points");
        let pairs: Vec<(f64, f64)> = points
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').expect("pair");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect();
        assert!(pairs.len() <= ROUTE_MAX_POINTS + 1 && pairs.len() > 10, "{}", pairs.len());
        assert!(pairs.iter().all(|(x, y)| (0.0..=96.0).contains(x) && (0.0..=64.0).contains(y)));
        // North-east track: starts bottom-left, ends top-right.
        let (first, last) = (pairs[0], pairs[pairs.len() - 1]);
        assert!(first.0 < last.0 && first.1 > last.1, "{first:?} {last:?}");
    }
}
