/* 扫一扫: open the camera in the page, decode QR codes with jsQR, and open a govhub
   code. Which texts are govhub codes is decided by the server (scan.follow, asked with
   Accept: application/json); anything else is refused on the page and scanning goes on.
   Without a camera (or without this script) the page shows how to use the phone's own
   camera, and a form to type or paste the code. */
(function () {
  "use strict";

  const root = document.getElementById("scanner");
  if (!root) {
    return;
  }
  const view = root.querySelector(".scanner-view");
  const video = root.querySelector(".scanner-video");
  const status = root.querySelector(".scanner-status");
  const startButton = root.querySelector(".scanner-start");
  const stopButton = root.querySelector(".scanner-stop");
  const fallback = root.querySelector(".scanner-fallback");
  const followUrl = root.dataset.followUrl;

  const FRAME_MS = 200; // decode five frames a second: enough, and light on old phones
  const MAX_SIDE = 640; // decode a downscaled frame
  const REFUSED_PAUSE_MS = 3000; // do not ask again about the code just refused

  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let timer = null;
  let asking = false;
  let leaving = false;
  let refused = { text: null, at: 0 };

  function message(name) {
    return root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
  }

  function say(text) {
    status.textContent = text;
  }

  function stop() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    if (stream !== null) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    view.hidden = true;
    stopButton.hidden = true;
  }

  /* The camera cannot be used here: say why, and show the other ways. */
  function cannot(reason, canRetry) {
    stop();
    say(message(reason));
    fallback.hidden = false;
    startButton.hidden = !canRetry;
    startButton.disabled = false;
  }

  function reasonOf(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "denied";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "noCamera";
    }
    return "failed";
  }

  async function start() {
    startButton.disabled = true;
    say(message("starting"));
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      stream = null;
      cannot(reasonOf(error), true);
      return;
    }
    if (leaving) {
      stop();
      return;
    }
    video.srcObject = stream;
    view.hidden = false;
    startButton.hidden = true;
    startButton.disabled = false;
    stopButton.hidden = false;
    fallback.hidden = true;
    try {
      await video.play();
    } catch (error) {
      // Autoplay of a muted inline video is allowed; if not, frames still arrive.
    }
    say(message("scanning"));
    timer = setInterval(decodeFrame, FRAME_MS);
  }

  function decodeFrame() {
    if (asking || stream === null || video.readyState < 2 || !video.videoWidth) {
      return;
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    context.drawImage(video, 0, 0, width, height);
    const frame = context.getImageData(0, 0, width, height);
    const code = window.jsQR(frame.data, width, height, { inversionAttempts: "dontInvert" });
    if (code && code.data) {
      ask(code.data);
    }
  }

  /* Ask the server whether ``text`` is a govhub code; open it, or say why not. */
  async function ask(text) {
    if (text === refused.text && Date.now() - refused.at < REFUSED_PAUSE_MS) {
      return;
    }
    asking = true;
    let verdict = {};
    try {
      const response = await fetch(followUrl + "?u=" + encodeURIComponent(text), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === 0) {
        verdict = await response.json();
      }
    } catch (error) {
      verdict = {};
    }
    if (typeof verdict.url === "string" && verdict.url.charAt(0) === "/" && verdict.url.charAt(1) !== "/") {
      stop();
      say(message("opening"));
      window.location.assign(verdict.url);
      return; // stay "asking" until the next page replaces this one
    }
    refused = { text: text, at: Date.now() };
    say(typeof verdict.refused === "string" ? verdict.refused : message("refused"));
    asking = false;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    say(message("stopped"));
    startButton.hidden = false;
  });
  // Leaving the page turns the camera off.
  window.addEventListener("pagehide", function () {
    leaving = true;
    stop();
  });
  // Put away (another app, the screen locked): off too, until the button is tapped again.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream !== null) {
      stop();
      say(message("stopped"));
      startButton.hidden = false;
    }
  });
  window.addEventListener("pageshow", function (event) {
    leaving = false;
    if (event.persisted) {
      // Back from the followed code (the back-forward cache): offer the camera again.
      asking = false;
      startButton.hidden = false;
      startButton.disabled = false;
      say("");
    }
  });

  if (!window.isSecureContext) {
    cannot("insecure", false);
  } else if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof window.jsQR !== "function") {
    cannot("unsupported", false);
  } else {
    fallback.hidden = true;
    startButton.hidden = false;
  }
})();
