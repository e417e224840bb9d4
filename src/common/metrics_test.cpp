#include "common/metrics.hpp"

#include <gtest/gtest.h>

namespace sw::metrics {
namespace {

TEST(Metrics, CounterSeriesAreSharedByLabels) {
  Registry r;
  r.GetCounter("req_total", "Requests", {{"route", "/a"}}).Inc();
  r.GetCounter("req_total", "Requests", {{"route", "/a"}}).Inc(2);
  r.GetCounter("req_total", "Requests", {{"route", "/b"}}).Inc();
  const auto text = r.Render();
  EXPECT_NE(text.find("# TYPE req_total counter"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/a\"} 3"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/b\"} 1"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.GetHistogram("lat_seconds", "Latency", {}, {0.1, 1.0});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  const auto text = r.Render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count 3"), std::string::npos) << text;
  EXPECT_NEAR(h.Sum(), 5.55, 1e-6);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry r;
  r.GetGauge("g", "G", {{"k", "a\"b"}}).Set(-4);
  EXPECT_NE(r.Render().find("g{k=\"a\\\"b\"} -4"), std::string::npos);
}

TEST(Metrics, TypeClashIsABug) {
  Registry r;
  r.GetCounter("x", "X");
  EXPECT_THROW(r.GetGauge("x", "X"), std::logic_error);
}

}  // namespace
}  // namespace sw::metrics
