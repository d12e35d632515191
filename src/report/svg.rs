//! Inline SVG charts for the HTML reports: no scripts, no external resources, deterministic text.
//!
//! Colours come from CSS classes (`seg-*`, `axis`, ...) defined by the page, so the charts follow
//! the page's style and print the same way. Every piece of text is HTML-escaped.

use super::html::escape;

/// One stacked part of a column, drawn with the CSS class `class`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub value: u64,
    pub class: &'static str,
}

/// One column of a column chart: segments are stacked bottom to top in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Short axis label (shown for some columns only when there are many).
    pub label: String,
    /// Tooltip text (the SVG `<title>`), e.g. the full date and the counts.
    pub title: String,
    pub segments: Vec<Segment>,
}

/// Geometry of the column chart's drawing area (SVG user units; the SVG scales to the page).
const COL_W: f64 = 960.0;
const COL_H: f64 = 240.0;
const COL_LEFT: f64 = 64.0;
const COL_RIGHT: f64 = 12.0;
const COL_TOP: f64 = 12.0;
const COL_BOTTOM: f64 = 28.0;
/// At most this many x-axis labels, so that they never overlap.
const MAX_X_LABELS: usize = 12;

/// A stacked column chart. Each column is one `<g class="{group_class}">`, so the number of
/// columns can be counted in the output; `aria_label` describes the chart for screen readers.
pub fn column_chart(aria_label: &str, group_class: &str, columns: &[Column]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "<svg class=\"chart\" viewBox=\"0 0 {COL_W} {COL_H}\" role=\"img\" aria-label=\"{}\">",
        escape(aria_label)
    ));
    let plot_w = COL_W - COL_LEFT - COL_RIGHT;
    let plot_h = COL_H - COL_TOP - COL_BOTTOM;
    let base = COL_TOP + plot_h;
    let max = columns.iter().map(|c| c.segments.iter().map(|g| g.value).sum::<u64>()).max().unwrap_or(0);
    let (top, step) = nice_scale(max);

    // Horizontal grid lines with their values.
    let mut tick = 0;
    while tick <= top {
        let y = base - plot_h * tick as f64 / top as f64;
        s.push_str(&format!(
            "<line class=\"grid\" x1=\"{COL_LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            COL_W - COL_RIGHT
        ));
        s.push_str(&format!(
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            COL_LEFT - 6.0,
            y + 4.0,
            compact_number(tick)
        ));
        tick += step;
    }

    let n = columns.len().max(1);
    let slot = plot_w / n as f64;
    // Leave a gap between columns while they are wide enough to show one.
    let bar_w = if slot >= 4.0 { slot * 0.8 } else { slot };
    let label_every = columns.len().div_ceil(MAX_X_LABELS).max(1);
    for (i, col) in columns.iter().enumerate() {
        let x = COL_LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        s.push_str(&format!("<g class=\"{}\"><title>{}</title>", escape(group_class), escape(&col.title)));
        // A transparent full-height target so the tooltip works on short and empty columns.
        s.push_str(&format!(
            "<rect class=\"hit\" x=\"{:.1}\" y=\"{COL_TOP:.1}\" width=\"{slot:.1}\" height=\"{plot_h:.1}\"/>",
            COL_LEFT + slot * i as f64
        ));
        let mut y = base;
        for seg in col.segments.iter().filter(|g| g.value > 0) {
            let h = plot_h * seg.value as f64 / top as f64;
            y -= h;
            s.push_str(&format!(
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"/>",
                seg.class
            ));
        }
        s.push_str("</g>");
        if i % label_every == 0 {
            s.push_str(&format!(
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                COL_LEFT + slot * (i as f64 + 0.5),
                base + 18.0,
                escape(&col.label)
            ));
        }
    }
    s.push_str(&format!(
        "<line class=\"axis\" x1=\"{COL_LEFT}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/>",
        COL_W - COL_RIGHT
    ));
    s.push_str("</svg>");
    s
}

/// Geometry of the horizontal bar chart.
const BAR_W: f64 = 960.0;
const BAR_LABEL_W: f64 = 230.0;
const BAR_VALUE_W: f64 = 90.0;
const BAR_ROW_H: f64 = 22.0;
/// Longer labels are shortened on the chart (the tooltip keeps the full text).
const MAX_LABEL_CHARS: usize = 34;

/// A horizontal bar chart of `(label, value)` rows, in the given order; each row is one
/// `<g class="{group_class}">`.
pub fn bar_chart(aria_label: &str, group_class: &str, rows: &[(String, u64)]) -> String {
    let h = BAR_ROW_H * rows.len().max(1) as f64 + 4.0;
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {BAR_W} {h:.1}\" role=\"img\" aria-label=\"{}\">",
        escape(aria_label)
    );
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let plot_w = BAR_W - BAR_LABEL_W - BAR_VALUE_W;
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 2.0 + BAR_ROW_H * i as f64;
        let w = plot_w * *value as f64 / max as f64;
        s.push_str(&format!(
            "<g class=\"{}\"><title>{}: {}</title>",
            escape(group_class),
            escape(label),
            group_digits(*value)
        ));
        s.push_str(&format!(
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            BAR_LABEL_W - 8.0,
            y + 15.0,
            escape(&shorten(label, MAX_LABEL_CHARS))
        ));
        s.push_str(&format!(
            "<rect class=\"seg-bar\" x=\"{BAR_LABEL_W:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/>",
            y + 3.0,
            BAR_ROW_H - 6.0
        ));
        s.push_str(&format!(
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            BAR_LABEL_W + w + 6.0,
            y + 15.0,
            group_digits(*value)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A small inline bar split into parts proportional to `total`, e.g. used / unused / not
/// observable out of the granted permissions. Parts beyond `total` are clipped.
pub fn proportion_bar(title: &str, parts: &[Segment], total: u64) -> String {
    const W: f64 = 120.0;
    const H: f64 = 12.0;
    let mut s = format!(
        "<svg class=\"pbar\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{0}\"><title>{0}</title>",
        escape(title)
    );
    s.push_str(&format!("<rect class=\"seg-track\" x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\"/>"));
    if total > 0 {
        let mut x = 0.0;
        for p in parts.iter().filter(|p| p.value > 0) {
            // Any non-zero part stays visible, however small its share.
            let w = (W * p.value as f64 / total as f64).max(1.5).min(W - x);
            if w <= 0.0 {
                break;
            }
            s.push_str(&format!("<rect class=\"{}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"{H}\"/>", p.class));
            x += w;
        }
    }
    s.push_str("</svg>");
    s
}

/// The top of the y axis and the grid step: a "nice" step (1, 2 or 5 times a power of ten) that
/// gives about four grid lines.
fn nice_scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let raw = max.div_ceil(4).max(1);
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10 * magnitude);
    (max.div_ceil(step) * step, step)
}

/// 1234 -> "1,234".
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Axis labels: 1500 -> "1.5k", 2000000 -> "2M".
fn compact_number(n: u64) -> String {
    let short = |v: u64, unit: u64, suffix: &str| {
        if v.is_multiple_of(unit) {
            format!("{}{suffix}", v / unit)
        } else {
            format!("{:.1}{suffix}", v as f64 / unit as f64)
        }
    };
    match n {
        n if n >= 1_000_000_000 => short(n, 1_000_000_000, "G"),
        n if n >= 1_000_000 => short(n, 1_000_000, "M"),
        n if n >= 10_000 => short(n, 1_000, "k"),
        n => group_digits(n),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(label: &str, values: &[u64]) -> Column {
        Column {
            label: label.into(),
            title: format!("{label} <b>"),
            segments: values.iter().map(|v| Segment { value: *v, class: "seg-ok" }).collect(),
        }
    }

    #[test]
    fn nice_scale_covers_the_maximum_with_round_steps() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(100), (100, 50));
        assert_eq!(nice_scale(1234), (1500, 500));
        for max in [3u64, 17, 99, 101, 4999, 123_456_789] {
            let (top, step) = nice_scale(max);
            assert!(top >= max && top % step == 0 && top / step <= 10, "{max}: {top} {step}");
        }
    }

    #[test]
    fn column_chart_has_one_group_per_column_and_escapes_text() {
        let cols: Vec<Column> = (0..40).map(|i| col(&format!("d{i}"), &[i, 1])).collect();
        let svg = column_chart("a \"chart\"", "day", &cols);
        assert_eq!(svg.matches("<g class=\"day\">").count(), 40);
        assert!(svg.contains("aria-label=\"a &quot;chart&quot;\""));
        assert!(svg.contains("<title>d3 &lt;b&gt;</title>"));
        assert!(!svg.contains("<b>"));
        // 40 columns: labels every 4th column only.
        assert_eq!(svg.matches("text-anchor=\"middle\">d").count(), 10);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn column_chart_handles_no_columns_and_zero_values() {
        let svg = column_chart("empty", "day", &[]);
        assert_eq!(svg.matches("<g class=\"day\">").count(), 0);
        let svg = column_chart("zeros", "day", &[col("a", &[0, 0])]);
        assert_eq!(svg.matches("<g class=\"day\">").count(), 1);
        assert!(!svg.contains("seg-ok"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn bar_chart_rows_scale_to_the_largest() {
        let rows = vec![("s3.amazonaws.com".to_string(), 200), ("<iam>".to_string(), 100)];
        let svg = bar_chart("services", "svc", &rows);
        assert_eq!(svg.matches("<g class=\"svc\">").count(), 2);
        assert!(svg.contains("width=\"640.0\"") && svg.contains("width=\"320.0\""));
        assert!(svg.contains("&lt;iam&gt;") && !svg.contains("<iam>"));
    }

    #[test]
    fn proportion_bar_clips_to_the_total() {
        let parts = [Segment { value: 3, class: "seg-used" }, Segment { value: 9, class: "seg-unused" }];
        let svg = proportion_bar("3 of 10", &parts, 10);
        assert!(svg.contains("class=\"seg-used\" x=\"0.0\" y=\"0\" width=\"36.0\""));
        assert!(svg.contains("class=\"seg-unused\" x=\"36.0\" y=\"0\" width=\"84.0\""));
        assert!(!proportion_bar("none", &parts, 0).contains("seg-used"));
        let tiny = [Segment { value: 1, class: "seg-used" }, Segment { value: 999, class: "seg-unused" }];
        let svg = proportion_bar("1 of 1000", &tiny, 1000);
        assert!(svg.contains("class=\"seg-used\" x=\"0.0\" y=\"0\" width=\"1.5\""));
        assert!(svg.contains("class=\"seg-unused\" x=\"1.5\" y=\"0\" width=\"118.5\""));
    }

    #[test]
    fn numbers_are_grouped_and_compacted() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1234567), "1,234,567");
        assert_eq!(compact_number(5000), "5,000");
        assert_eq!(compact_number(15000), "15k");
        assert_eq!(compact_number(2_500_000), "2.5M");
    }
}
