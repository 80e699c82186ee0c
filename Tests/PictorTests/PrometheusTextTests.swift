// The Prometheus text format as /metrics writes it.

@testable import Pictor
import XCTest

final class PrometheusTextTests: XCTestCase {
    func testFamiliesAreDescribedOnceAndSamplesFollow() {
        var page = PrometheusText()
        page.family("pictor_x_total", .counter, "Things.")
        page.sample("pictor_x_total", PrometheusText.label("route", "GET /a"), 3)
        page.family("pictor_x_total", .counter, "Things.")
        page.sample("pictor_x_total", 0.25)
        XCTAssertEqual(page.text, "# HELP pictor_x_total Things.\n# TYPE pictor_x_total counter\npictor_x_total{route=\"GET /a\"} 3\npictor_x_total 0.25\n")
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(PrometheusText.label("model", "a\"b\\c\nd"), #"model="a\"b\\c\nd""#)
    }

    func testNumbers() {
        XCTAssertEqual(PrometheusText.number(40), "40")
        XCTAssertEqual(PrometheusText.number(0.005), "0.005")
        XCTAssertEqual(PrometheusText.number(.infinity), "+Inf")
    }
}
