/*! fake Chart.js for tests */ window.Chart = function () {};
