/* The release form's signature pad: the adult signs on the tablet's screen with a finger, a
   stylus or a mouse (pointer events on a canvas); on submit the drawing goes with the form as a
   PNG data URL in the hidden "signature" field. Without a touch screen, or without JavaScript,
   the typed initials field is the signature. A file, never an inline script, so the
   Content-Security-Policy can forbid those. */
(function () {
  "use strict";

  function setUp(box) {
    var canvas = box.querySelector("canvas");
    var field = document.getElementById(box.getAttribute("data-signature-for"));
    var clear = box.querySelector("button");
    var form = box.closest("form");
    if (!canvas || !field || !form || !canvas.getContext) {
      return;
    }
    var pen = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    box.classList.add("ready");
    pen.lineWidth = 3;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height)
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var at = point(event);
      pen.beginPath();
      pen.moveTo(at.x, at.y);
      pen.lineTo(at.x + 0.1, at.y + 0.1);
      pen.stroke();
      drawn = true;
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      var at = point(event);
      pen.lineTo(at.x, at.y);
      pen.stroke();
      event.preventDefault();
    });
    function stop() {
      drawing = false;
    }
    canvas.addEventListener("pointerleave", stop);
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    clear.addEventListener("click", function () {
      pen.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      field.value = "";
    });
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-signature-for]");
    for (var i = 0; i < boxes.length; i++) {
      setUp(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
