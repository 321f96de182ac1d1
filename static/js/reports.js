// Draw every report chart: a canvas names, in data-chart, the JSON script tag that contains its
// Chart.js configuration. The page also prints the same figures as a table under each chart.
(function () {
  "use strict";

  var COLOURS = ["#1f5f99", "#2f7d4a", "#a14d1a", "#6b3fa0"];
  var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    spec.datasets.forEach(function (dataset, index) {
      dataset.backgroundColor = COLOURS[index % COLOURS.length];
      dataset.borderColor = COLOURS[index % COLOURS.length];
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        animation: false,
        plugins: {
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + " : " + euros.format(context.parsed.y);
              }
            }
          }
        },
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (value) { return euros.format(value); } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  });
})();
