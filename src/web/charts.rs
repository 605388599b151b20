//! Charts drawn on the server as SVG: no script, no network, scaled to the width of the page
//! (readable on a phone, printable). Colours from the Okabe–Ito palette, which people with
//! colour blindness tell apart; each chart has a title for screen readers, and its page lists
//! the numbers too.

use std::fmt::Write;

/// Line colours, in order; the overall line is black.
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

const W: f64 = 340.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;

/// Text safe inside SVG markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters, an ellipsis when cut.
fn cut(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A month `2026-11` as its label (`Nov 26`).
fn month_label(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match month.split_once('-') {
        Some((y, m)) => {
            let i: usize = m.parse().unwrap_or(1);
            format!("{} {}", NAMES[i.clamp(1, 12) - 1], y.get(2..).unwrap_or(y))
        }
        None => month.to_string(),
    }
}

/// One line of a line chart: its name, colour and a value (percent) per label.
pub struct Line<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: &'a [Option<f64>],
}

/// Percentages (0–100) over `months`, one line each; a month without a value breaks the line.
pub fn lines(title: &str, months: &[String], lines: &[Line<'_>]) -> String {
    let h = 220.0;
    let bottom = 30.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = h - TOP - bottom;
    let n = months.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d7dbe2\" stroke-width=\"1\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#555\">{tick}%</text>",
            W - RIGHT,
            LEFT - 4.0,
            y(tick) + 4.0,
            y = y(tick)
        );
    }
    // Month labels: every one when they fit, else every second or third.
    let step = n.div_ceil(6).max(1);
    for (i, m) in months.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                x(i),
                h - bottom + 16.0,
                escape(&month_label(m))
            );
        }
    }
    for line in lines {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in line.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
                path.trim_end(),
                line.colour
            );
        }
        for (i, v) in line.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>{}, {}: {v:.1}%</title></circle>",
                    x(i),
                    y(*v),
                    line.colour,
                    escape(line.name),
                    escape(&month_label(&months[i.min(months.len().saturating_sub(1))]))
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of percentages (0–100), each with its label above it.
pub fn bars(title: &str, items: &[(String, f64)], colour: &str) -> String {
    let row = 36.0;
    let h = TOP + row * items.len().max(1) as f64;
    let plot_w = W - 2.0 - 44.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let top = TOP + row * i as f64;
        let width = plot_w * v.clamp(0.0, 100.0) / 100.0;
        let _ = write!(
            svg,
            "<text x=\"2\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{}<title>{}</title></text><rect x=\"2\" y=\"{:.1}\" width=\"{plot_w:.1}\" height=\"12\" fill=\"#eceef2\"/><rect x=\"2\" y=\"{:.1}\" width=\"{width:.1}\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"#222\">{v:.0}%</text>",
            top + 11.0,
            escape(&cut(label, 58)),
            escape(label),
            top + 16.0,
            top + 16.0,
            2.0 + plot_w + 4.0,
            top + 26.0
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_what_people_typed_and_break_lines_at_gaps() {
        let months = vec!["2026-10".to_string(), "2026-11".into(), "2026-12".into()];
        let values = [Some(50.0), None, Some(75.0)];
        let svg = lines(
            "Scores <by> store",
            &months,
            &[Line {
                name: "S1 · <script>",
                colour: PALETTE[0],
                values: &values,
            }],
        );
        assert!(svg.contains("Scores &lt;by&gt; store") && !svg.contains("<script>"));
        // Two separate pieces of line: a gap in November.
        let d = svg.split("<path d=\"").nth(1).unwrap();
        assert_eq!(d.split('"').next().unwrap().matches('M').count(), 2);
        assert!(svg.contains("Oct 26") && svg.contains("Dec 26"));
        let b = bars("Weakest", &[("A question & more".into(), 40.0)], PALETTE[1]);
        assert!(b.contains("A question &amp; more") && b.contains("40%"));
    }
}
