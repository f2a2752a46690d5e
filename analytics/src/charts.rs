//! The dashboard's charts as SVG, drawn by plotters on the server: crisp at any size, with axis
//! labels, units, a legend and an accessible title. plotters escapes every text it writes, so
//! API and application names cannot inject markup.

use gatehouse_contract::{Breakdown, Overview, Panel, TierUsage};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const SIZE: (u32, u32) = (760, 300);
const FONT: &str = "sans-serif";
/// Colour-blind-safe (Okabe–Ito): success, 4xx, 5xx, throttled, auth failure.
const OUTCOME_COLOURS: [RGBColor; 5] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];
/// Marks the newest bucket of a count chart while it is still filling.
const PARTIAL: &str = "so far";
const LINE_COLOURS: [RGBColor; 4] =
    [RGBColor(0, 114, 178), RGBColor(230, 159, 0), RGBColor(213, 94, 0), RGBColor(0, 158, 115)];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// "13:00" within a day, "Nov 27" across days (UTC).
fn time_label(ms: i64, span_ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) else { return String::new() };
    if span_ms <= 2 * 86_400_000 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{} {}", &t.month().to_string()[..3], t.day())
    }
}

/// Round times to mark a time axis with — every 15 minutes, hour, few hours, day or week, the
/// finest that gives at most eight marks — aligned to UTC midnight, so a day's axis reads 03:00,
/// 06:00, … rather than wherever plotters' arithmetic on milliseconds falls.
fn time_ticks(from: i64, to: i64) -> Vec<i64> {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const STEPS: [i64; 11] =
        [5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];
    let span = (to - from).max(1);
    let step = STEPS.into_iter().find(|step| span / step <= 8).unwrap_or(7 * DAY * (span / (8 * 7 * DAY) + 1));
    let first = from.div_euclid(step) * step + if from.rem_euclid(step) == 0 { 0 } else { step };
    (0..).map(|i| first + i * step).take_while(|t| *t <= to).collect()
}

/// Wraps plotters' SVG with role, title and how many series it draws (the tests count them).
fn finish(svg: String, title: &str, description: &str, series: usize) -> String {
    let Some(open) = svg.find("<svg") else { return svg };
    let Some(end) = svg[open..].find('>').map(|i| open + i) else { return svg };
    format!(
        "{}<svg role=\"img\" aria-label=\"{}\" class=\"chart\" data-series=\"{series}\" {}><title>{}</title><desc>{}</desc>{}",
        &svg[..open],
        escape(title),
        svg[open + 4..end].trim(),
        escape(title),
        escape(description),
        &svg[end + 1..]
    )
}

fn empty(root: &DrawingArea<SVGBackend, Shift>, title: &str) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // In the middle of whatever height the chart has: bar charts are shorter than SIZE.
    let middle = root.dim_in_pixel().1 as i32 / 2 - 8;
    root.draw(&Text::new(
        format!("{title}: no requests in this range"),
        (20, middle),
        (FONT, 15).into_font().color(&RGBColor(90, 90, 90)),
    ))
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Height of a time chart's legend row, between its title and its plot.
const LEGEND_HEIGHT: u32 = 22;
/// A time chart's margin and the width of its value labels: where its plot, and so its legend,
/// starts.
const TIME_MARGIN: u32 = 12;
const VALUE_LABELS: u32 = 64;

/// A time chart's legend on a row of its own above the plot, where it hides no data (inside the
/// plot, five series' legend covered a third of a 300-pixel chart). Starts where the plot does.
fn draw_legend(
    area: &DrawingArea<SVGBackend, Shift>,
    series: &[(&str, RGBColor, Vec<Option<f64>>)],
    stacked: bool,
) -> Result<(), String> {
    let style = (FONT, 13).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    let middle = LEGEND_HEIGHT as i32 / 2;
    let mut x = (TIME_MARGIN + VALUE_LABELS) as i32;
    for (name, colour, _) in series {
        if stacked {
            area.draw(&Rectangle::new([(x, middle - 5), (x + 12, middle + 5)], colour.mix(0.75).filled()))
        } else {
            area.draw(&PathElement::new(vec![(x, middle), (x + 14, middle)], colour.stroke_width(2)))
        }
        .map_err(|e| e.to_string())?;
        area.draw(&Text::new(name.to_string(), (x + 18, middle), style.clone())).map_err(|e| e.to_string())?;
        let (width, _) = area.estimate_text_size(name, &style).map_err(|e| e.to_string())?;
        x += 18 + width as i32 + 16;
    }
    Ok(())
}

/// How a time chart's value axis runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    /// From zero: counts and rates.
    Linear,
    /// By powers of ten: latencies, where a few slow requests (a 30 s timeout) would otherwise
    /// press the typical ones (tens of milliseconds) flat onto the axis.
    Log,
}

/// The smallest value a log axis shows, in the chart's unit: a 0 ms percentile is drawn there.
const LOG_FLOOR: f64 = 0.1;

/// A time chart's value axis: what it spans and marks, in plotted units (a log axis plots
/// log10 of each value, so that its marks and lines share one linear coordinate).
#[derive(Clone)]
struct ValueAxis {
    scale: Scale,
    low: f64,
    high: f64,
    marks: Vec<f64>,
}

impl ValueAxis {
    /// An axis for values up to `top` (and, on a log axis, down to `bottom`, the smallest
    /// value above zero: infinite when there is none, as when every latency read 0 ms).
    fn new(scale: Scale, bottom: f64, top: f64) -> Self {
        match scale {
            Scale::Linear => {
                let high = (top * 1.1).max(1e-9);
                // About five marks a round step apart: 1, 2 or 5 times a power of ten.
                let rough = high / 5.0;
                let power = 10f64.powf(rough.log10().floor());
                let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(rough);
                let marks = (0..).map(|i| f64::from(i) * step).take_while(|m| *m <= high).collect();
                ValueAxis { scale, low: 0.0, high, marks }
            }
            Scale::Log => {
                let low = bottom.min(top).max(LOG_FLOOR).log10().floor();
                let high = top.max(LOG_FLOOR).log10().ceil().max(low + 1.0);
                // Each decade; over two decades or fewer also its 2s and 5s.
                let steps: &[f64] = if high - low <= 2.0 { &[1.0, 2.0, 5.0] } else { &[1.0] };
                let marks = (low as i32..=high as i32)
                    .flat_map(|decade| steps.iter().map(move |m| (m * 10f64.powi(decade)).log10()))
                    .filter(|m| *m <= high + 1e-9)
                    .collect();
                ValueAxis { scale, low, high, marks }
            }
        }
    }

    /// Where a value is plotted.
    fn plot(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Linear => value,
            Scale::Log => value.max(LOG_FLOOR).log10(),
        }
    }

    /// A mark's label, in the chart's unit: "0, 50, 100", "1.5k"; on a log axis "0.1, 1, 10, 1k".
    fn label(&self, plotted: f64) -> String {
        let value = match self.scale {
            Scale::Linear => plotted,
            Scale::Log => 10f64.powf(plotted),
        };
        let short = |v: f64| {
            let text = format!("{v:.2}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        match value {
            v if v >= 1000.0 => format!("{}k", short(v / 1000.0)),
            // One precision for a linear axis: "0, 50, 100", not "0.00, 50, 100".
            v if self.scale == Scale::Linear && self.high >= 10.0 => format!("{v:.0}"),
            v => short(v),
        }
    }
}

/// The axis as plotters' coordinate: linear over its span, marked where it says (plotters'
/// own `WithKeyPoints` over `f64` could not take a label formatter).
impl Ranged for ValueAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.low) / (self.high - self.low);
        limit.0 + (f64::from(limit.1 - limit.0) * fraction).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold lines at the marks; no light lines between them.
        if hint.weight().allow_light_points() { Vec::new() } else { self.marks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.low..self.high
    }
}

/// A time chart: one series per (name, colour, values), stacked as areas (on a linear axis) or
/// drawn as lines.
fn time_chart(
    overview: &Overview,
    title: &str,
    unit: &str,
    series: &[(&str, RGBColor, Vec<Option<f64>>)],
    stacked: bool,
    scale: Scale,
) -> String {
    let mut svg = String::new();
    let drawn = (|| -> Result<usize, String> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let xs: Vec<i64> = overview.timeline.iter().map(|b| b.start).collect();
        let mut stacks = vec![vec![0.0f64; xs.len()]; series.len() + 1];
        for (s, (_, _, values)) in series.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                stacks[s + 1][i] = if stacked { stacks[s][i] } else { 0.0 } + v.unwrap_or(0.0);
            }
        }
        let values = || series.iter().flat_map(|s| s.2.iter().flatten().copied());
        let top = if stacked {
            stacks[series.len()].iter().copied().fold(0.0, f64::max)
        } else {
            values().fold(0.0, f64::max)
        };
        let bottom = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let axis = ValueAxis::new(scale, bottom, top);
        if xs.is_empty() || (overview.totals.requests == 0) {
            empty(&root, title)?;
            root.present().map_err(|e| e.to_string())?;
            return Ok(0);
        }
        let span = overview.to - overview.from;
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let below_title = root.titled(title, (FONT, 17)).map_err(|e| e.to_string())?;
        let (legend, plot) = below_title.split_vertically(LEGEND_HEIGHT);
        draw_legend(&legend, series, stacked)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(TIME_MARGIN)
            .margin_top(4)
            .x_label_area_size(40)
            .y_label_area_size(VALUE_LABELS)
            .build_cartesian_2d(
                (overview.from..overview.to).with_key_points(time_ticks(overview.from, overview.to)),
                axis.clone(),
            )
            .map_err(|e| e.to_string())?;
        let unit = match scale {
            Scale::Linear => unit.to_string(),
            Scale::Log => format!("{unit} (log scale)"),
        };
        chart
            .configure_mesh()
            .x_label_formatter(&|x| time_label(*x, span))
            .y_label_formatter(&|y| axis.label(*y))
            .x_desc("time (UTC)")
            .y_desc(&unit)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| e.to_string())?;
        // Counts in the newest bucket are still coming in: its span is shaded and marked, so
        // that its lower count does not read as traffic falling (as Kibana marks it).
        if let Some(start) = xs.last().copied().filter(|start| stacked && start + overview.bucket_ms > overview.to) {
            let shade = RGBColor(120, 120, 120).mix(0.15).filled();
            chart
                .draw_series(std::iter::once(Rectangle::new([(start, axis.low), (overview.to, axis.high)], shade)))
                .map_err(|e| e.to_string())?;
            let note = (FONT, 11).into_font().color(&RGBColor(90, 90, 90)).pos(Pos::new(HPos::Right, VPos::Top));
            chart
                .draw_series(std::iter::once(Text::new(PARTIAL, (overview.to, axis.high), note)))
                .map_err(|e| e.to_string())?;
        }
        for (s, (_, colour, values)) in series.iter().enumerate() {
            let colour = *colour;
            if stacked {
                let points: Vec<(i64, f64)> = xs.iter().zip(&stacks[s + 1]).map(|(x, y)| (*x, *y)).collect();
                let base: Vec<(i64, f64)> = xs.iter().zip(&stacks[s]).map(|(x, y)| (*x, *y)).rev().collect();
                let polygon: Vec<(i64, f64)> = points.into_iter().chain(base).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(polygon, colour.mix(0.75).filled())))
                    .map_err(|e| e.to_string())?;
            } else {
                let points: Vec<(i64, f64)> =
                    xs.iter().zip(values).filter_map(|(x, y)| y.map(|y| (*x, axis.plot(y)))).collect();
                chart.draw_series(LineSeries::new(points, colour.stroke_width(2))).map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
        Ok(series.len())
    })();
    match drawn {
        Ok(n) => finish(
            svg,
            title,
            &format!(
                "{title}, {unit}, from {} to {} UTC",
                time_label(overview.from, 3 * 86_400_000),
                time_label(overview.to, 3 * 86_400_000)
            ),
            n,
        ),
        Err(e) => {
            tracing::error!(error = %e, chart = title, "cannot draw a chart");
            format!("<p class=\"error\">{} could not be drawn.</p>", escape(title))
        }
    }
}

/// Horizontal bars, biggest on top: requests (success part and error part).
fn bar_chart(title: &str, rows: &[(String, f64, f64)], unit: &str) -> String {
    // Room for at least four bars, so that a chart of one or two keeps the bars' thickness,
    // readable axes and the legend below the bars rather than over them.
    const MIN_SLOTS: usize = 4;
    let mut svg = String::new();
    let drawn =
        (|| -> Result<usize, String> {
            let slots = rows.len().max(MIN_SLOTS);
            let root = SVGBackend::with_string(&mut svg, (SIZE.0, (60 + 28 * slots) as u32)).into_drawing_area();
            if rows.is_empty() {
                empty(&root, title)?;
                root.present().map_err(|e| e.to_string())?;
                return Ok(0);
            }
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let top = rows.iter().map(|r| r.1 + r.2).fold(0.0, f64::max);
            let labels: Vec<String> = rows
                .iter()
                .map(|r| {
                    if r.0.chars().count() > 40 {
                        format!("{}…", r.0.chars().take(39).collect::<String>())
                    } else {
                        r.0.clone()
                    }
                })
                .collect();
            let mut chart = ChartBuilder::on(&root)
                .caption(title, (FONT, 17))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(260)
                .build_cartesian_2d(0.0..(top * 1.1).max(1.0), 0.0..slots as f64)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(slots * 2 + 1)
                .y_label_formatter(&|y| {
                    // Labels sit in the middle of each slot (y = i + 0.5), biggest row at the top.
                    let i = (*y - 0.5).round();
                    if (*y - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < slots {
                        labels.get(slots - 1 - i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                // Fixed sizes: plotters' default scales with the chart's height.
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 12))
                .x_label_formatter(&|x| if *x >= 1000.0 { format!("{:.1}k", x / 1000.0) } else { format!("{x:.0}") })
                .x_desc(unit)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| e.to_string())?;
            let y = |i: usize| (slots - 1 - i) as f64;
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    Rectangle::new([(0.0, y(i) + 0.15), (r.1, y(i) + 0.85)], OUTCOME_COLOURS[0].filled())
                }))
                .map_err(|e| e.to_string())?
                .label("succeeded")
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], OUTCOME_COLOURS[0].filled()));
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    Rectangle::new([(r.1, y(i) + 0.15), (r.1 + r.2, y(i) + 0.85)], OUTCOME_COLOURS[2].filled())
                }))
                .map_err(|e| e.to_string())?
                .label("failed")
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], OUTCOME_COLOURS[2].filled()));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font((FONT, 13))
                .draw()
                .map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
            Ok(2)
        })();
    match drawn {
        Ok(series) => finish(
            svg,
            title,
            &format!(
                "{title}: {}",
                rows.iter().map(|r| format!("{} {} {unit}", r.0, r.1 + r.2)).collect::<Vec<_>>().join(", ")
            ),
            series,
        ),
        Err(e) => {
            tracing::error!(error = %e, chart = title, "cannot draw a chart");
            format!("<p class=\"error\">{} could not be drawn.</p>", escape(title))
        }
    }
}

fn bars(rows: &[Breakdown]) -> Vec<(String, f64, f64)> {
    rows.iter().map(|b| (b.label.clone(), (b.requests - b.errors) as f64, b.errors as f64)).collect()
}

fn tier_bars(rows: &[TierUsage]) -> Vec<(String, f64, f64)> {
    rows.iter()
        .map(|t| {
            let limit = t.requests_per_minute.map(|n| n.to_string()).unwrap_or_else(|| "∞".into());
            (
                format!("{} → {}: peak {}/{limit} per min", t.application_name, t.api_name, t.peak_per_minute),
                (t.requests - t.throttled) as f64,
                t.throttled as f64,
            )
        })
        .collect()
}

/// One panel as SVG.
pub fn render(overview: &Overview, panel: Panel) -> String {
    let per_bucket = format!("requests per {}", bucket_name(overview.bucket_ms));
    match panel {
        Panel::Traffic => {
            let series: Vec<(&str, RGBColor, Vec<Option<f64>>)> = gatehouse_contract::Outcome::ALL
                .iter()
                .zip(OUTCOME_COLOURS)
                .map(|(o, colour)| {
                    let values = overview
                        .timeline
                        .iter()
                        .map(|b| {
                            let t = &b.totals;
                            Some(match o {
                                gatehouse_contract::Outcome::Success => t.success,
                                gatehouse_contract::Outcome::ClientError => t.client_error,
                                gatehouse_contract::Outcome::ServerError => t.server_error,
                                gatehouse_contract::Outcome::Throttled => t.throttled,
                                gatehouse_contract::Outcome::AuthFailure => t.auth_failure,
                            } as f64)
                        })
                        .collect();
                    (o.label(), colour, values)
                })
                .collect();
            time_chart(overview, panel.title(), &per_bucket, &series, true, Scale::Linear)
        }
        Panel::ErrorRate => {
            let values = overview
                .timeline
                .iter()
                .map(|b| (b.totals.requests > 0).then_some(b.totals.error_rate * 100.0))
                .collect();
            time_chart(
                overview,
                panel.title(),
                "% of requests that failed",
                &[("error rate", OUTCOME_COLOURS[2], values)],
                false,
                Scale::Linear,
            )
        }
        Panel::Latency => {
            let line = |f: fn(&gatehouse_contract::Totals) -> Option<f64>| {
                overview.timeline.iter().map(|b| f(&b.totals)).collect::<Vec<_>>()
            };
            let series = [
                ("p50 total", LINE_COLOURS[0], line(|t| t.latency.p50)),
                ("p95 total", LINE_COLOURS[1], line(|t| t.latency.p95)),
                ("p99 total", LINE_COLOURS[2], line(|t| t.latency.p99)),
                ("p95 backend", LINE_COLOURS[3], line(|t| t.backend_latency.p95)),
            ];
            time_chart(overview, panel.title(), "milliseconds", &series, false, Scale::Log)
        }
        Panel::TopApis => bar_chart(panel.title(), &bars(&overview.top_apis), "requests"),
        Panel::TopApplications => bar_chart(panel.title(), &bars(&overview.top_applications), "requests"),
        Panel::TopConsumers => bar_chart(panel.title(), &bars(&overview.top_consumers), "requests"),
        Panel::Groups => bar_chart(panel.title(), &bars(&overview.by_group), "requests"),
        Panel::Operations => bar_chart(panel.title(), &bars(&overview.operations), "requests"),
        Panel::StatusCodes => bar_chart(panel.title(), &bars(&overview.status_codes), "requests"),
        Panel::TierUsage => bar_chart(panel.title(), &tier_bars(&overview.tier_usage), "requests (throttled in red)"),
    }
}

fn bucket_name(ms: i64) -> String {
    match ms {
        60_000 => "minute".into(),
        ms if ms % 3_600_000 == 0 && ms > 3_600_000 => format!("{} hours", ms / 3_600_000),
        3_600_000 => "hour".into(),
        ms => format!("{} minutes", ms / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::{PARTIAL, Scale, ValueAxis, render, time_ticks};
    use gatehouse_contract::{Bucket, Latency, Overview, Panel, Totals};

    #[test]
    fn a_count_chart_marks_its_newest_bucket_while_it_fills() {
        let hour = 3_600_000;
        let bucket = |start| Bucket { start, totals: Totals { requests: 10, success: 10, ..Default::default() } };
        let overview = |to| Overview {
            from: 0,
            to,
            bucket_ms: hour,
            totals: Totals { requests: 30, success: 30, ..Default::default() },
            timeline: vec![bucket(0), bucket(hour), bucket(2 * hour)],
            ..Default::default()
        };
        // Ten minutes into the third hour, then with the third hour over.
        assert!(render(&overview(2 * hour + 600_000), Panel::Traffic).contains(PARTIAL));
        assert!(!render(&overview(3 * hour), Panel::Traffic).contains(PARTIAL));
        // Percentiles and rates are not lowered by a bucket that is still filling.
        assert!(!render(&overview(2 * hour + 600_000), Panel::Latency).contains(PARTIAL));
    }

    #[test]
    fn latency_runs_on_a_log_axis_so_a_timeout_does_not_flatten_the_rest() {
        // Typical requests take 20–40 ms; one in a hundred times out at 30 s.
        let axis = ValueAxis::new(Scale::Log, 20.0, 30_000.0);
        let labels: Vec<String> = axis.marks.iter().map(|m| axis.label(*m)).collect();
        assert_eq!(labels, ["10", "100", "1k", "10k", "100k"]);
        // 20 ms and 40 ms lie 7.5 % of the axis apart, not the 0.06 % of a linear one.
        let gap = (axis.plot(40.0) - axis.plot(20.0)) / (axis.high - axis.low);
        assert!(gap > 0.07, "{gap}");
        // Every latency 0 ms (nothing above zero): one decade above the floor, not an endless axis.
        let still = ValueAxis::new(Scale::Log, f64::INFINITY, 0.0);
        assert_eq!((still.low, still.high), (-1.0, 0.0));
        assert_eq!(still.plot(0.0), still.low);
        // Over two decades or fewer, the 2s and 5s are marked too; 0 ms sits on the floor.
        let narrow = ValueAxis::new(Scale::Log, 0.3, 8.0);
        let labels: Vec<String> = narrow.marks.iter().map(|m| narrow.label(*m)).collect();
        assert_eq!(labels, ["0.1", "0.2", "0.5", "1", "2", "5", "10"]);
        assert_eq!(narrow.plot(0.0), narrow.low);

        let hour = 3_600_000;
        let bucket = |start, p50, p99| Bucket {
            start,
            totals: Totals {
                requests: 100,
                latency: Latency { p50: Some(p50), p95: Some(p50), p99: Some(p99) },
                ..Default::default()
            },
        };
        let overview = Overview {
            from: 0,
            to: 2 * hour,
            bucket_ms: hour,
            totals: Totals { requests: 200, ..Default::default() },
            timeline: vec![bucket(0, 20.0, 30_000.0), bucket(hour, 40.0, 35.0)],
            ..Default::default()
        };
        let svg = render(&overview, Panel::Latency);
        // plotters writes each label on a line of its own.
        assert!(svg.contains("milliseconds (log scale)") && svg.contains("\n1k\n") && svg.contains("\n10k\n"), "{svg}");
    }

    #[test]
    fn count_axes_start_at_zero_and_step_roundly() {
        let axis = ValueAxis::new(Scale::Linear, 3.0, 180.0);
        let labels: Vec<String> = axis.marks.iter().map(|m| axis.label(*m)).collect();
        assert_eq!(labels, ["0", "50", "100", "150"]);
        let small = ValueAxis::new(Scale::Linear, 0.5, 1.0);
        let labels: Vec<String> = small.marks.iter().map(|m| small.label(*m)).collect();
        assert_eq!(labels, ["0", "0.5", "1"]);
        let large = ValueAxis::new(Scale::Linear, 1.0, 4_200.0);
        assert_eq!(large.label(large.marks[1]), "1k");
    }

    #[test]
    fn time_axes_are_marked_at_round_times() {
        let hour = 3_600_000;
        let day = 24 * hour;
        // A day from 10:15: every three hours from 12:00.
        let from = 20_000 * day + 10 * hour + 15 * 60_000;
        let ticks = time_ticks(from, from + day);
        assert_eq!(ticks.len(), 8);
        assert_eq!(ticks[0], 20_000 * day + 12 * hour);
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 3 * hour));
        // An hour: quarters. A week: midnights.
        assert!(time_ticks(from, from + hour).iter().all(|t| t % (15 * 60_000) == 0));
        let week = time_ticks(from, from + 7 * day);
        assert_eq!(week.len(), 7);
        assert!(week.iter().all(|t| t % day == 0));
        // Thirty days: at most eight marks, a week apart.
        assert!(time_ticks(from, from + 30 * day).len() <= 8);
    }
}
