//! Small statistics over rounds: median with min–max spread, and the slope
//! of a least-squares line (cost per middleware layer).

/// Median, minimum and maximum of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, `None` when empty.
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len().is_multiple_of(2) {
            f64::midpoint(v[mid - 1], v[mid])
        } else {
            v[mid]
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// `a / b` as a float, 0 when `b` is 0.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
#[must_use]
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Slope and intercept of the least-squares line through `(x, y)` points;
/// `None` with fewer than two distinct `x`.
#[must_use]
pub fn linear_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)] // a handful of points
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    Some((slope, mean_y - slope * mean_x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_fit() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
        assert!((s.median - 2.5).abs() < 1e-9);
        assert!((s.min - 1.0).abs() < 1e-9 && (s.max - 10.0).abs() < 1e-9);
        assert!(Spread::of(&[]).is_none());
        let (slope, icept) = linear_fit(&[(1.0, 3.0), (5.0, 11.0), (10.0, 21.0)]).unwrap();
        assert!((slope - 2.0).abs() < 1e-9 && (icept - 1.0).abs() < 1e-9);
        assert!(linear_fit(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
    }
}
