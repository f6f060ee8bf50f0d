// Greetings page: record from the microphone with Web Audio into a 16-bit WAV and upload it;
// hear a text-to-speech preview. The box converts the WAV to 8 kHz; it needs no codec for browser formats.
"use strict";

(function () {
  const MAX_SECONDS = 300;

  function encodeWav(chunks, rate) {
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const buffer = new ArrayBuffer(44 + length * 2);
    const view = new DataView(buffer);
    const text = (off, s) => { for (let i = 0; i < s.length; i++) { view.setUint8(off + i, s.charCodeAt(i)); } };
    text(0, "RIFF"); view.setUint32(4, 36 + length * 2, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, length * 2, true);
    let off = 44;
    chunks.forEach((c) => {
      for (let i = 0; i < c.length; i++, off += 2) {
        const s = Math.max(-1, Math.min(1, c[i]));
        view.setInt16(off, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      }
    });
    return new Blob([buffer], {type: "audio/wav"});
  }

  class Recorder {
    constructor(target) {
      this.target = target;
      this.status = target.querySelector(".record-status");
      this.startBtn = target.querySelector(".record-start");
      this.stopBtn = target.querySelector(".record-stop");
      this.startBtn.addEventListener("click", () => this.start());
      this.stopBtn.addEventListener("click", () => this.stop());
    }

    say(text) { this.status.textContent = text; }

    async start() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        this.say("This browser cannot record here (the page must be opened over https).");
        return;
      }
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({audio: true});
      } catch (err) {
        this.say("The microphone is not available: " + err.message);
        return;
      }
      this.ctx = new AudioContext();
      this.chunks = [];
      const source = this.ctx.createMediaStreamSource(this.stream);
      this.node = this.ctx.createScriptProcessor(4096, 1, 1);
      this.node.onaudioprocess = (e) => {
        this.chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
        const secs = this.chunks.length * 4096 / this.ctx.sampleRate;
        this.say("Recording… " + secs.toFixed(0) + " s");
        if (secs >= MAX_SECONDS) { this.stop(); }
      };
      source.connect(this.node);
      this.node.connect(this.ctx.destination);
      this.startBtn.disabled = true;
      this.stopBtn.disabled = false;
      this.say("Recording…");
    }

    async stop() {
      if (!this.ctx) { return; }
      this.node.disconnect();
      this.stream.getTracks().forEach((t) => t.stop());
      const rate = this.ctx.sampleRate;
      await this.ctx.close();
      this.ctx = null;
      this.startBtn.disabled = false;
      this.stopBtn.disabled = true;
      const blob = encodeWav(this.chunks, rate);
      const data = new FormData();
      data.append("csrf_token", window.Switchboard.csrfToken());
      data.append("source", "record");
      data.append("audio", blob, "recording.wav");
      this.say("Saving…");
      const res = await window.Switchboard.postForm(this.target.dataset.saveUrl, data);
      this.say(res.body.message || (res.ok ? "Saved." : "Not saved."));
      this.target.dataset.saved = res.ok ? "yes" : "no";
      if (res.ok) { setTimeout(() => window.location.reload(), 800); }
    }
  }

  async function preview(button) {
    const form = button.closest("form");
    const status = document.getElementById("preview-status");
    const data = new FormData();
    data.append("csrf_token", window.Switchboard.csrfToken());
    data.append("text", form.querySelector('input[name="text"]').value);
    const resp = await fetch("/greetings/preview", {method: "POST", body: data, credentials: "same-origin",
      headers: {"X-CSRFToken": window.Switchboard.csrfToken(), "X-Requested-With": "fetch"}});
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({}));
      status.textContent = body.error || "The preview did not work.";
      return;
    }
    const url = URL.createObjectURL(await resp.blob());
    const audio = new Audio(url);
    status.textContent = "Playing the preview…";
    audio.addEventListener("ended", () => { status.textContent = ""; URL.revokeObjectURL(url); });
    audio.play().catch(() => { status.textContent = "Press play to hear the preview."; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".audio-target").forEach((t) => new Recorder(t));
    document.querySelectorAll(".tts-preview").forEach((b) => b.addEventListener("click", () => preview(b)));
  });
})();
