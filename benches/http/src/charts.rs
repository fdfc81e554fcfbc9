//! SVG charts with plotters' SVG backend (text is emitted as SVG `<text>`, so
//! no font library is needed): req/s per scenario, latency percentiles per
//! scenario, and the cost per middleware layer.

use std::path::Path;

use plotters::prelude::*;

use super::report::{depth_points, reference_connections};
use super::results::{Key, Results};
use super::scenario::Scenario;
use super::stats::Spread;
use super::summary::Summary;

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The colour of a framework's bars and lines.
fn colour(framework: &str) -> RGBColor {
    match framework {
        "kiln" => RGBColor(214, 82, 30),
        "axum" => RGBColor(52, 101, 164),
        "actix" => RGBColor(78, 154, 6),
        "hyper" => RGBColor(117, 80, 123),
        _ => RGBColor(120, 120, 120),
    }
}

#[allow(clippy::cast_precision_loss)] // small counts
fn f(n: usize) -> f64 {
    n as f64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded non-negative indices
fn index(x: f64) -> usize {
    x.round().max(0.0) as usize
}

/// Writes every chart into `dir` and returns the file names written.
///
/// # Errors
/// On drawing or I/O failures.
pub fn write_all(results: &Results, dir: &Path) -> DrawResult<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let summary = Summary::of(results);
    let Some(reference) = reference_connections(&summary) else {
        return Ok(Vec::new());
    };
    let frameworks = summary.frameworks();
    let endpoints = summary.endpoints(results);
    let mut written = Vec::new();
    for scenario in Scenario::ALL {
        let labels: Vec<(Option<String>, String)> = endpoints
            .iter()
            .filter(|e| e.0 == scenario)
            .map(|e| (e.1.clone(), e.2.clone()))
            .collect();
        if labels.is_empty() {
            continue;
        }
        let name = format!("rps_{scenario}.svg");
        rps_chart(
            &summary,
            scenario,
            &labels,
            &frameworks,
            reference,
            &dir.join(&name),
        )?;
        written.push(name);
        let name = format!("latency_{scenario}.svg");
        latency_chart(
            &summary,
            scenario,
            &labels,
            &frameworks,
            reference,
            &dir.join(&name),
        )?;
        written.push(name);
    }
    let name = "middleware_depth.svg".to_owned();
    if depth_chart(&summary, &frameworks, reference, &dir.join(&name))? {
        written.push(name);
    }
    Ok(written)
}

fn short_label(variant: Option<&String>, endpoint: &str) -> String {
    match variant {
        Some(v) => format!("{v} {endpoint}"),
        None => endpoint.to_owned(),
    }
}

fn key(framework: &str, scenario: Scenario, variant: Option<&String>, endpoint: &str) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario,
        variant: variant.cloned(),
        endpoint: endpoint.to_owned(),
    }
}

/// Grouped bars: one group per endpoint, one bar per framework, whiskers for min–max.
fn rps_chart(
    s: &Summary,
    scenario: Scenario,
    labels: &[(Option<String>, String)],
    frameworks: &[String],
    connections: u32,
    path: &Path,
) -> DrawResult<()> {
    let bars: Vec<(usize, usize, &str, Spread)> = labels
        .iter()
        .enumerate()
        .flat_map(|(i, (variant, endpoint))| {
            frameworks.iter().enumerate().filter_map(move |(j, fw)| {
                let row = s
                    .rows
                    .get(&(key(fw, scenario, variant.as_ref(), endpoint), connections))?;
                Some((i, j, fw.as_str(), row.rps))
            })
        })
        .collect();
    let top = bars.iter().map(|b| b.3.max).fold(1.0, f64::max) * 1.3;
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = labels.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{scenario}: requests per second (c={connections}, median, min–max)"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(f(n) - 0.5), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            labels
                .get(index(*x))
                .map(|(v, e)| short_label(v.as_ref(), e))
                .unwrap_or_default()
        })
        .y_desc("req/s")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let m = f(frameworks.len().max(1));
    let width = 0.8 / m;
    for (j, fw) in frameworks.iter().enumerate() {
        let c = colour(fw);
        let mine: Vec<&(usize, usize, &str, Spread)> = bars.iter().filter(|b| b.1 == j).collect();
        if mine.is_empty() {
            continue;
        }
        let x0 = |i: usize| f(i) - 0.4 + f(j) * width;
        chart
            .draw_series(mine.iter().map(|b| {
                Rectangle::new(
                    [(x0(b.0) + 0.01, 0.0), (x0(b.0) + width - 0.01, b.3.median)],
                    c.filled(),
                )
            }))?
            .label(fw.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        chart.draw_series(mine.iter().map(|b| {
            let xc = x0(b.0) + width / 2.0;
            PathElement::new(vec![(xc, b.3.min), (xc, b.3.max)], BLACK.stroke_width(1))
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// One panel per endpoint: p50/p90/p99/p99.9 (log scale), one line per framework.
fn latency_chart(
    s: &Summary,
    scenario: Scenario,
    labels: &[(Option<String>, String)],
    frameworks: &[String],
    connections: u32,
    path: &Path,
) -> DrawResult<()> {
    const PERCENTILES: [&str; 4] = ["p50", "p90", "p99", "p99.9"];
    let cols = labels.len().min(2);
    let rows = labels.len().div_ceil(cols);
    let height = u32::try_from(rows).unwrap_or(1) * 300 + 40;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!("{scenario}: latency percentiles in µs (c={connections}, medians over rounds)"),
        ("sans-serif", 20),
    )?;
    for (panel, (variant, endpoint)) in root.split_evenly((rows, cols)).iter().zip(labels) {
        let lines: Vec<(&String, [f64; 4])> = frameworks
            .iter()
            .filter_map(|fw| {
                let r = s
                    .rows
                    .get(&(key(fw, scenario, variant.as_ref(), endpoint), connections))?;
                Some((
                    fw,
                    [r.p50.median, r.p90.median, r.p99.median, r.p999.median],
                ))
            })
            .collect();
        let lo = lines
            .iter()
            .flat_map(|l| l.1)
            .fold(f64::INFINITY, f64::min)
            .max(1.0)
            * 0.8;
        let hi = lines.iter().flat_map(|l| l.1).fold(1.0, f64::max) * 1.25;
        let mut chart = ChartBuilder::on(panel)
            .caption(short_label(variant.as_ref(), endpoint), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.3f64..3.3f64, (lo.min(hi / 2.0)..hi).log_scale())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(4)
            .y_labels(6)
            .x_label_formatter(&|x| {
                PERCENTILES
                    .get(index(*x))
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default()
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for (fw, values) in &lines {
            let c = colour(fw);
            let points: Vec<(f64, f64)> =
                values.iter().enumerate().map(|(i, v)| (f(i), *v)).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(fw.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2))
                });
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// CPU µs per request against the number of middleware, one line per
/// framework; returns `false` (and writes nothing) without depth results.
fn depth_chart(
    s: &Summary,
    frameworks: &[String],
    connections: u32,
    path: &Path,
) -> DrawResult<bool> {
    let series: Vec<(&String, Vec<(f64, f64)>)> = frameworks
        .iter()
        .map(|fw| (fw, depth_points(s, fw, connections).0))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if series.is_empty() {
        return Ok(false);
    }
    let top = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(1.0, f64::max)
        * 1.15;
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("cost per middleware layer: server CPU µs/req vs depth (c={connections})"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..21f64, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("middleware")
        .y_desc("CPU µs per request")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .draw()?;
    for (fw, points) in series {
        let c = colour(fw);
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
            .label(fw.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(true)
}
