/* The dashboard's charts: every element with data-chart (JSON written by
   govhub/oversight/charts.py: kind, title, labels, series [{name, values}], unit) becomes
   an Apache ECharts chart (static/vendor/echarts-6.1.0.common.min.js, loaded before this
   script on the pages that chart). The table beside each chart holds the same numbers and
   is the accessible version: the chart is aria-hidden, and without JavaScript only the
   table shows. Charts are drawn again after an htmx swap and follow the window's size.
   ECharts sets its styles through the CSSOM, which the CSP allows (no inline style
   attribute in the markup, no inline script). */
(function () {
  "use strict";

  if (typeof window.echarts === "undefined") {
    return;
  }
  const echarts = window.echarts;

  // The Okabe-Ito palette: told apart by people with colour-blindness, and dark enough
  // to read on paper (yellow is left out).
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"];
  const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  const INK = "#1d1d1f";
  const LINE = "#d7d7db";

  const LOCALE = (document.documentElement.lang || "").toLowerCase().startsWith("zh") ? "ZH" : "EN";
  // Chinese puts no space between a number and its unit (12小时), English does (12 hours).
  const GAP = LOCALE === "ZH" ? "" : " ";
  const SEP = LOCALE === "ZH" ? "：" : ": ";
  const charts = new Set();

  function narrow(element) {
    return element.clientWidth < 480;
  }

  function tooltip(unit) {
    return {
      trigger: "axis",
      confine: true,
      valueFormatter: function (value) {
        return unit ? value + GAP + unit : String(value);
      },
    };
  }

  function legend(data) {
    return { type: "plain", bottom: 0, textStyle: { color: INK, fontFamily: FONT }, data: data };
  }

  function options(spec, element) {
    const small = narrow(element);
    const names = spec.series.map(function (s) {
      return s.name;
    });
    const base = {
      color: PALETTE,
      animation: false, // printing and screenshots show the finished chart
      textStyle: { fontFamily: FONT, color: INK, fontSize: small ? 12 : 14 },
      aria: { enabled: false }, // the table is the accessible version
    };
    if (spec.kind === "pie") {
      const series = spec.series[0];
      return Object.assign(base, {
        tooltip: {
          trigger: "item",
          confine: true,
          formatter: function (p) {
            return p.name + SEP + p.value + (spec.unit ? GAP + spec.unit : "") + " · " + p.percent + "%";
          },
        },
        legend: legend(spec.labels),
        series: [
          {
            type: "pie",
            name: series.name,
            radius: small ? ["30%", "60%"] : ["35%", "65%"],
            center: ["50%", "45%"],
            label: { show: !small, color: INK, formatter: "{b}: {c}" },
            data: spec.labels.map(function (label, i) {
              return { name: label, value: series.values[i] };
            }),
          },
        ],
      });
    }
    const ranking = spec.kind === "ranking";
    const category = {
      type: "category",
      data: ranking ? spec.labels.slice().reverse() : spec.labels,
      axisLabel: { color: INK, hideOverlap: true, rotate: !ranking && small ? 45 : 0 },
      axisLine: { lineStyle: { color: INK } },
    };
    const value = {
      type: "value",
      name: spec.unit,
      nameTextStyle: { color: INK },
      axisLabel: { color: INK },
      splitLine: { lineStyle: { color: LINE } },
    };
    const series = spec.series.map(function (s) {
      const item = {
        name: s.name,
        type: spec.kind === "line" ? "line" : "bar",
        data: ranking ? s.values.slice().reverse() : s.values,
      };
      if (spec.kind === "stacked") {
        item.stack = "total";
      }
      if (spec.kind === "line") {
        item.symbolSize = 8;
        item.lineStyle = { width: 3 };
      }
      return item;
    });
    return Object.assign(base, {
      tooltip: tooltip(spec.unit),
      legend: spec.series.length > 1 ? legend(names) : undefined,
      grid: {
        left: 8,
        right: 16,
        top: 32,
        bottom: spec.series.length > 1 ? 40 : 8,
        containLabel: true,
      },
      xAxis: ranking ? value : category,
      yAxis: ranking ? category : value,
      series: series,
    });
  }

  function draw(element) {
    let spec;
    try {
      spec = JSON.parse(element.dataset.chart);
    } catch (error) {
      return;
    }
    const existing = echarts.getInstanceByDom(element);
    if (existing) {
      existing.dispose();
      charts.delete(existing);
    }
    element.classList.add("chart-drawn");
    // SVG prints sharply at any size (a canvas prints as a screen-resolution bitmap).
    const chart = echarts.init(element, null, { renderer: "svg", locale: LOCALE });
    // A viewBox lets the print stylesheet scale the drawn SVG to the paper's width
    // (ECharts draws it at the screen's size, without one).
    chart.on("finished", function () {
      const svg = element.querySelector("svg");
      if (svg && svg.getAttribute("width")) {
        svg.setAttribute("viewBox", "0 0 " + svg.getAttribute("width") + " " + svg.getAttribute("height"));
      }
    });
    chart.setOption(options(spec, element));
    charts.add(chart);
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  function forget() {
    // Charts whose element an htmx swap took out of the page.
    charts.forEach(function (chart) {
      const dom = chart.getDom();
      if (!dom || !document.body.contains(dom)) {
        chart.dispose();
        charts.delete(chart);
      }
    });
  }

  let pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    }, 150);
  });
  // Before printing, draw the charts again at the page's width.
  function fit() {
    charts.forEach(function (chart) {
      chart.resize();
    });
  }
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);

  document.addEventListener("htmx:load", function (event) {
    forget();
    drawAll(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll(document);
    });
  } else {
    drawAll(document);
  }
})();
