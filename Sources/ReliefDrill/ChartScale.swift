/// A linear mapping from data (drill minutes, quantities, degrees) to SVG user units, and the
/// round tick values a reader expects on an axis.
struct ChartScale {
    let domainLow: Double
    let domainHigh: Double
    let rangeLow: Double
    let rangeHigh: Double

    /// A domain of zero width maps everything to `rangeLow` rather than dividing by zero.
    init(domain: (Double, Double), range: (Double, Double)) {
        domainLow = domain.0; domainHigh = domain.1; rangeLow = range.0; rangeHigh = range.1
    }

    func callAsFunction(_ value: Double) -> Double {
        let span = domainHigh - domainLow
        guard span != 0 else { return rangeLow }
        return rangeLow + (value - domainLow) / span * (rangeHigh - rangeLow)
    }

    /// Ticks on a drill-time axis from 0 to `end` minutes: whole hours (1, 2, 3, 6, 12, 24 h…) once
    /// the span is a few hours, so the labels read T+6h, T+12h; finer steps for short drills.
    static func timeTicks(end: Int, maximumCount: Int) -> [Int] {
        let steps = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080, 20_160, 43_200]
        let span = max(end, 1)
        let step = steps.first { span / $0 + 1 <= maximumCount } ?? max(1, span / max(1, maximumCount - 1))
        return Array(stride(from: 0, through: span, by: step))
    }

    /// Round ticks from 0 covering `maximum` (1, 2 or 5 times a power of ten apart), and the top
    /// of the axis: the last tick, so the highest value never touches the frame unannounced.
    static func valueTicks(maximum: Int64, maximumCount: Int) -> (ticks: [Int64], top: Int64) {
        let target = max(maximum, 1)
        var power: Int64 = 1
        while true {
            for multiple: Int64 in [1, 2, 5] {
                let (step, overflow) = power.multipliedReportingOverflow(by: multiple)
                if overflow { return ([0, target], target) }
                let count = target / step + (target % step == 0 ? 0 : 1)
                if count < Int64(maximumCount) {
                    let (top, tooHigh) = count.multipliedReportingOverflow(by: step)
                    if tooHigh { return ([0, target], target) }
                    return ((0...count).map { $0 * step }, top)
                }
            }
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { return ([0, target], target) }
            power = next
        }
    }
}
