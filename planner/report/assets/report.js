// Draws the two pictures of an ultraplan HTML report from the JSON embedded in the page:
// the topology (Graphviz DOT laid out by Viz.js) and the cost timeline (Apache ECharts, SVG renderer).
// When both are drawn, <body data-ready="1">; a failure is shown in the page and logged as an error.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var pending = 0;

  function done() {
    pending -= 1;
    if (pending === 0) document.body.setAttribute("data-ready", "1");
  }

  function fail(where, err) {
    var box = document.getElementById(where);
    if (box) {
      box.textContent = "Could not draw this picture: " + (err && err.message ? err.message : err);
      box.className += " broken";
    }
    console.error("ultraplan report: " + where + ": " + (err && err.stack ? err.stack : err));
  }

  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: (data.cost && data.cost.currency) || "USD",
                                               notation: "compact", maximumFractionDigits: 2 });
  function usd(v) { return v === null || v === undefined ? "" : money.format(v); }

  function drawTopology() {
    var box = document.getElementById("topology-picture");
    if (!box || !data.dot) return;
    pending += 1;
    Viz.instance().then(function (viz) {
      var svg = viz.renderSVGElement(data.dot);
      svg.setAttribute("id", "topology-svg");
      box.appendChild(svg);
    }).catch(function (err) { fail("topology-picture", err); }).then(done);
  }

  function costOption(by) {
    var c = data.cost;
    var series = c.by[by].map(function (s, i) {
      return { name: s.name, type: "bar", stack: "cost", data: s.usd, barCategoryGap: "15%",
               itemStyle: { color: (data.colours && data.colours[by] && data.colours[by][s.name]) || undefined },
               emphasis: { focus: "series" } };
    });
    var twoAxes = c.budget.total_usd !== null && c.budget.total_usd !== undefined;
    if (c.budget.monthly_usd !== null && c.budget.monthly_usd !== undefined) {
      series.push({ name: "monthly budget", type: "line", step: "middle", symbol: "none", data: c.months.map(function () { return c.budget.monthly_usd; }),
                    lineStyle: { color: "#d62728", type: "dashed", width: 2 }, itemStyle: { color: "#d62728" } });
    }
    if (twoAxes) {
      series.push({ name: "running total", type: "line", yAxisIndex: 1, symbol: "none", data: c.cumulative,
                    lineStyle: { color: "#333333", width: 2 }, itemStyle: { color: "#333333" } });
      series.push({ name: "term budget", type: "line", yAxisIndex: 1, symbol: "none", data: c.months.map(function () { return c.budget.total_usd; }),
                    lineStyle: { color: "#d62728", type: "dotted", width: 2 }, itemStyle: { color: "#d62728" } });
    }
    if (c.before) {
      series.push({ name: "before (base plan)", type: "line", symbol: "none", data: c.before.total_by_month,
                    lineStyle: { color: "#7f7f7f", type: "dashed" }, itemStyle: { color: "#7f7f7f" } });
    }
    var yAxis = [{ type: "value", name: "per month", axisLabel: { formatter: usd } }];
    if (twoAxes) yAxis.push({ type: "value", name: "running total", axisLabel: { formatter: usd }, splitLine: { show: false } });
    return {
      animation: false,
      title: { text: "Cost per month by " + by, subtext: "term total " + usd(c.term.total_usd) + " over " + c.term.months + " months", left: 0 },
      tooltip: { trigger: "axis", valueFormatter: usd },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 80, right: twoAxes ? 90 : 30, top: 70, bottom: 60 },
      xAxis: { type: "category", data: c.months },
      yAxis: yAxis,
      series: series
    };
  }

  function drawCost() {
    var box = document.getElementById("cost-chart");
    if (!box || !data.cost) return;
    try {
      var chart = echarts.init(box, null, { renderer: "svg" });
      chart.setOption(costOption("generation"));
      window.ultraplanChart = chart;
      window.addEventListener("resize", function () { chart.resize(); });
      document.querySelectorAll("input[name=stackby]").forEach(function (input) {
        input.addEventListener("change", function () { chart.setOption(costOption(input.value), true); });
      });
    } catch (err) {
      fail("cost-chart", err);
    }
  }

  pending += 1;
  drawCost();
  drawTopology();
  done();
})();
