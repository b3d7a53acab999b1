//! The page: title block, sections of figures (chart, caption, table), escaping and
//! number formats. Nothing here fetches anything: styles are inline and the page's
//! `Content-Security-Policy` forbids every request.

use std::fmt::Write as _;

use super::manifest::ManifestInfo;

/// Escape text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number with thousands separators and `decimals` decimals ("-" for NaN).
pub(crate) fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// USD in millions with 2 decimals, e.g. `37.60`.
pub(crate) fn musd(v: f64) -> String {
    num(v / 1e6, 2)
}

/// A table of a chart's numbers.
pub(crate) struct Table {
    /// Column headers, with units.
    pub headers: Vec<String>,
    /// Rows of cells (already formatted).
    pub rows: Vec<Vec<String>>,
    /// A note under the table.
    pub note: Option<String>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            note: None,
        }
    }

    fn html(&self, out: &mut String) {
        out.push_str("<table class=\"data\"><thead><tr>");
        for h in &self.headers {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr></thead><tbody>");
        for r in &self.rows {
            out.push_str("<tr>");
            for (i, c) in r.iter().enumerate() {
                let numeric = i > 0
                    && c.trim_start_matches(['-', '+'])
                        .starts_with(|ch: char| ch.is_ascii_digit());
                let _ = write!(
                    out,
                    "<td{}>{}</td>",
                    if numeric { " class=\"n\"" } else { "" },
                    esc(c)
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        if let Some(n) = &self.note {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(n));
        }
    }
}

/// One chart with its caption and table.
pub(crate) struct Figure {
    /// Anchor id, e.g. `stranded`.
    pub id: String,
    /// Heading.
    pub title: String,
    /// The SVG (from [`super::chart`]), or `None` when the chart is left out.
    pub svg: Option<String>,
    /// How to read it.
    pub caption: String,
    /// Its numbers.
    pub table: Table,
}

/// Tables longer than this are folded in a `<details>`.
const FOLD_ROWS: usize = 12;

const STYLE: &str = "
:root{--font:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Liberation Sans',sans-serif}
body{font-family:var(--font);margin:0 auto;max-width:940px;padding:16px 24px 48px;color:#222;background:#fff;line-height:1.45}
h1{font-size:1.6em;margin:.4em 0 .2em}h2{font-size:1.25em;margin:1.8em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
th,td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
table.meta th{font-weight:600;color:#555;white-space:nowrap}
figure{margin:.6em 0}figure svg{max-width:100%;height:auto;display:block}
figure svg text{font-family:var(--font)}
figcaption{font-size:.92em;color:#333;margin:.3em 0}
details{margin:.3em 0 1em}summary{cursor:pointer;color:#245;font-size:.9em}
p.note{font-size:.85em;color:#555}.missing{background:#fff6e0;border:1px solid #e8c060;padding:6px 10px}
nav ol{columns:2;font-size:.9em}
p.warning{background:#fdecea;border-left:4px solid #c0392b;padding:6px 10px;font-size:.92em}
section.answer{background:#eef6ee;border:1px solid #9c9;padding:2px 16px 6px;margin-top:1em}section.answer h2{border:none;margin-top:.5em}
section.answer li{margin:.25em 0}footer{margin-top:3em;font-size:.8em;color:#666}
";

/// The whole page.
pub(crate) struct Page<'a> {
    /// The manifest.
    pub info: &'a ManifestInfo,
    /// The folder reported, as given.
    pub dir: String,
    /// Title line, e.g. "Monte Carlo study".
    pub what: String,
    /// Extra rows of the title block (label, value).
    pub facts: Vec<(String, String)>,
    /// Notes shown under the title block (e.g. why the map is missing).
    pub notes: Vec<String>,
    /// The answer in words and numbers, shown first (a compare report's headline).
    pub headline: Vec<String>,
    /// Warnings the study raised, each shown in the section of the figure it concerns:
    /// (figure id, text); an id no figure has puts it under the title.
    pub warnings: Vec<(String, String)>,
    /// The figures, in order.
    pub figures: Vec<Figure>,
}

impl Page<'_> {
    /// The HTML text.
    pub fn html(&self) -> String {
        let info = self.info;
        let scenario = info.scenario.clone().unwrap_or_else(|| "?".into());
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{}\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{} - {} - chokepoint report</title><style>{STYLE}</style></head><body>\n",
            crate::output::folder::REPORT_MARK,
            esc(&scenario),
            esc(&self.what)
        );
        let _ = write!(
            out,
            "<header><h1>{}: {}</h1><table class=\"meta\"><tbody>",
            esc(&self.what),
            esc(&scenario)
        );
        let mut row = |k: &str, v: &str| {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        };
        row("command", info.kind.command());
        if let Some(p) = &info.scenario_path {
            row("scenario file", p);
        }
        if let Some(c) = &info.checksum {
            row("scenario SHA-256", c);
        }
        if let Some(start) = &info.start {
            let window = match (
                info.days,
                chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d"),
            ) {
                (Some(d), Ok(s)) if d > 0 => format!(
                    "{start} to {} ({d} days)",
                    s + chrono::Duration::days(d as i64 - 1)
                ),
                (Some(d), _) => format!("{start}, {d} days"),
                _ => start.clone(),
            };
            row("window", &window);
        }
        if let Some(r) = info.runs {
            row("runs", &num(r as f64, 0));
        }
        if let Some(s) = info.seed {
            row("seed", &s.to_string());
        }
        for (k, v) in &self.facts {
            row(k, v);
        }
        row("version", info.version.as_deref().unwrap_or("?"));
        row("output folder", &self.dir);
        out.push_str("</tbody></table>");
        let _ = write!(
            out,
            "<details><summary>manifest.json (every field)</summary><table class=\"meta\"><tbody>"
        );
        for (k, v) in &info.fields {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        out.push_str("</tbody></table></details>");
        for n in &self.notes {
            let _ = write!(out, "<p class=\"note missing\">{}</p>", esc(n));
        }
        for (id, w) in &self.warnings {
            if !self.figures.iter().any(|f| &f.id == id) {
                let _ = write!(out, "<p class=\"warning\">Warning: {}</p>", esc(w));
            }
        }
        out.push_str("</header>\n");
        if !self.headline.is_empty() {
            out.push_str("<section id=\"answer\" class=\"answer\"><h2>The answer</h2><ul>");
            for h in &self.headline {
                let _ = write!(out, "<li>{}</li>", esc(h));
            }
            out.push_str("</ul></section>\n");
        }
        out.push_str("<nav><ol>");
        for f in &self.figures {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a></li>",
                esc(&f.id),
                esc(&f.title)
            );
        }
        out.push_str("</ol></nav>\n");
        for f in &self.figures {
            let _ = write!(
                out,
                "<section id=\"{}\"><h2>{}</h2><figure>",
                esc(&f.id),
                esc(&f.title)
            );
            for (_, w) in self.warnings.iter().filter(|(id, _)| id == &f.id) {
                let _ = write!(out, "<p class=\"warning\">Warning: {}</p>", esc(w));
            }
            match &f.svg {
                Some(svg) => out.push_str(svg),
                None => out.push_str("<p class=\"missing\">Not drawn (see the note above).</p>"),
            }
            let _ = write!(out, "<figcaption>{}</figcaption></figure>", esc(&f.caption));
            if f.table.rows.len() > FOLD_ROWS {
                let _ = write!(
                    out,
                    "<details><summary>Table of the numbers ({} rows)</summary>",
                    f.table.rows.len()
                );
                f.table.html(&mut out);
                out.push_str("</details>");
            } else {
                f.table.html(&mut out);
            }
            out.push_str("</section>\n");
        }
        let _ = writeln!(
            out,
            "<footer>Written by {} <code>report</code> from the files of the output folder. \
             The page is self-contained: it loads no script, font or image from anywhere.</footer>\
             </body></html>",
            esc(info.version.as_deref().unwrap_or("chokepoint"))
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escapes() {
        assert_eq!(num(1234567.891, 2), "1,234,567.89");
        assert_eq!(num(-1234.0, 0), "-1,234");
        assert_eq!(num(-0.001, 1), "0.0");
        assert_eq!(num(f64::NAN, 1), "-");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
