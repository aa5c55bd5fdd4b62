// One chat on a page: renders the /ws/chat events of the open thread (streamed answer, tool activity, charts,
// campaign and segment previews, approval cards, ratings) and sends messages, decisions and cancels.
// Agent output only ever reaches the page as text nodes (dom.js) or inside the sandboxed preview frame.

import { api } from "./api.js";
import { base64Utf8, el, formatValue, humanize, renderMarkdown } from "./dom.js";
import { campaignSrcdoc } from "./preview.js";

let refCounter = 0;

export class ChatView {
  constructor({
    socket, messages, form, input, stopButton, page = () => null, surface = "web", onThread = () => {}, onRunEnded = () => {},
  }) {
    this.socket = socket;
    this.messages = messages;
    this.form = form;
    this.input = input;
    this.stopButton = stopButton;
    this.page = page;
    this.surface = surface;
    this.onThread = onThread;
    this.onRunEnded = onRunEnded;
    this.threadId = null;
    this.runs = new Map(); // run_id -> RunView
    this.pending = new Map(); // ref -> user bubble, until "accepted" or "error"
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(input.value);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send(input.value);
      }
    });
    if (stopButton) stopButton.addEventListener("click", () => this.stop());
    // The composer stays disabled in the page's HTML until a chat can take the message.
    for (const control of form.querySelectorAll("textarea, button")) control.disabled = false;
    document.body.dataset.ready = "true";
  }

  // ---------------------------------------------------------------- commands
  send(text) {
    text = String(text || "").trim();
    if (!text) return;
    const ref = `m${++refCounter}`;
    const bubble = this._userBubble(text);
    this.pending.set(ref, bubble);
    const message = { type: "message", id: ref, thread_id: this.threadId, text, surface: this.surface };
    const page = this.page();
    if (page) message.page = page;
    this.socket.send(message);
    this.input.value = "";
    this._scroll();
  }

  stop() {
    for (const [runId, run] of this.runs) {
      if (!run.ended) this.socket.send({ type: "cancel", run_id: runId });
    }
  }

  decide(threadId, decision, card) {
    for (const button of card.querySelectorAll("button")) button.disabled = true;
    card.classList.add("decided");
    card.querySelector(".approval-status").textContent =
      decision === "approve" ? "Approved. Working on it…" : "Rejected. Nothing will be done.";
    this.socket.send({ type: "decision", id: `d${++refCounter}`, thread_id: threadId, decision });
  }

  newChat() {
    this.threadId = null;
    this.runs.clear();
    this.messages.replaceChildren();
    this._updateStop();
    this.onThread(null);
  }

  async load(threadId) {
    const detail = await api(`/api/chats/${encodeURIComponent(threadId)}`);
    this.threadId = detail.thread.id;
    this.runs.clear();
    this.messages.replaceChildren();
    let turn = null;
    let lastAnswerId = null;
    const closeTurn = () => {
      if (turn && lastAnswerId) turn.append(ratingBar(this.threadId, { messageId: lastAnswerId }));
      turn = null;
      lastAnswerId = null;
    };
    for (const m of detail.messages) {
      if (m.role === "user") {
        closeTurn();
        this._userBubble(m.content);
        continue;
      }
      if (!turn) {
        turn = assistantShell();
        this.messages.append(turn);
      }
      if (m.role === "assistant") {
        for (const call of m.tool_calls || []) {
          turn.querySelector(".activity").append(activityLine(call.name, null, "success"));
        }
        if (m.content.trim()) {
          turn.querySelector(".answer").replaceChildren(renderMarkdown(m.content));
          lastAnswerId = m.id;
        }
      } else if (m.role === "tool" && m.status === "error") {
        const lines = turn.querySelectorAll(".activity li");
        const line = lines[lines.length - 1];
        if (line) markActivity(line, "error", m.content);
      }
    }
    if (detail.pending_approval) {
      if (!turn) {
        turn = assistantShell();
        this.messages.append(turn);
      }
      const lines = turn.querySelectorAll(".activity li");
      if (lines.length) markActivity(lines[lines.length - 1], "waiting");
      turn.append(this._approvalCard(this.threadId, detail.pending_approval.payload));
      lastAnswerId = null;
    }
    closeTurn();
    if (detail.active_run_id) this.socket.follow(detail.active_run_id, this.threadId, 0);
    this._updateStop();
    this.onThread(this.threadId);
    this._scroll();
  }

  // ---------------------------------------------------------------- events
  handle(msg) {
    if (msg.type === "accepted") {
      this.pending.delete(msg.ref);
      if (this.threadId && msg.thread_id !== this.threadId) return;
      const isNew = this.threadId !== msg.thread_id;
      this.threadId = msg.thread_id;
      this._run(msg.run_id);
      if (isNew) this.onThread(this.threadId);
      return;
    }
    if (msg.type === "error" && typeof msg.seq !== "number") {
      // Not part of a run's stream: a refused command (busy chat, bad input, rate limit).
      const bubble = this.pending.get(msg.ref);
      this.pending.delete(msg.ref);
      const target = bubble || this.messages;
      target.append(el("p", { class: "error-line", role: "alert", text: msg.message || "Something went wrong." }));
      this._scroll();
      return;
    }
    if (!msg.run_id || (msg.thread_id && msg.thread_id !== this.threadId)) return;
    const run = this._run(msg.run_id);
    run.apply(msg);
    if (msg.type === "run_ended" || (msg.type === "snapshot" && msg.complete)) {
      this._updateStop();
      this.onRunEnded(this.threadId, msg);
    }
    this._scroll();
  }

  _run(runId) {
    let run = this.runs.get(runId);
    if (!run) {
      run = new RunView(this, runId);
      this.runs.set(runId, run);
      this.messages.append(run.root);
      this._updateStop();
    }
    return run;
  }

  _userBubble(text) {
    const bubble = el("article", { class: "msg user" }, el("div", { class: "bubble", text }));
    this.messages.append(bubble);
    return bubble;
  }

  _approvalCard(threadId, payload) {
    const card = el("section", { class: "approval", "aria-label": "Approval needed" });
    card.append(el("h4", { text: "Approval needed" }));
    for (const req of payload.action_requests || []) {
      card.append(el("p", { class: "approval-what", text: req.description || humanize(req.name) }));
    }
    const details = Object.entries(payload.details || {});
    if (details.length) {
      card.append(el("dl", {}, details.map(([k, v]) => [el("dt", { text: humanize(k) }), el("dd", { text: formatValue(v) })])));
    }
    card.append(el("div", { class: "approval-actions" },
      el("button", { type: "button", class: "approve", text: "Approve", onclick: () => this.decide(threadId, "approve", card) }),
      el("button", { type: "button", class: "reject", text: "Reject", onclick: () => this.decide(threadId, "reject", card) }),
    ));
    card.append(el("p", { class: "approval-status", "aria-live": "polite" }));
    return card;
  }

  _updateStop() {
    if (!this.stopButton) return;
    const running = [...this.runs.values()].some((r) => !r.ended);
    this.stopButton.hidden = !running;
  }

  _scroll() {
    this.messages.scrollTop = this.messages.scrollHeight;
  }
}

function assistantShell() {
  return el("article", { class: "msg assistant" },
    el("ul", { class: "activity" }),
    el("div", { class: "answer" }),
    el("div", { class: "artifacts" }),
  );
}

function activityLine(name, summary, status) {
  const line = el("li", { class: `tool ${status || "running"}` },
    el("span", { class: "tool-icon", "aria-hidden": "true" }),
    el("span", { class: "tool-name", text: humanize(name) }),
    summary ? el("span", { class: "tool-args", text: summary }) : null,
  );
  return line;
}

function markActivity(line, status, output) {
  line.classList.remove("running", "success", "error", "waiting");
  line.classList.add(status);
  if (status === "error" && output) line.append(el("span", { class: "tool-error", text: String(output).slice(0, 300) }));
}

// The assistant's part of one run: it fills in as the events arrive.
class RunView {
  constructor(view, runId) {
    this.view = view;
    this.runId = runId;
    this.ended = false;
    this.streamed = "";
    this.root = assistantShell();
    this.root.dataset.runId = runId;
    this.activity = this.root.querySelector(".activity");
    this.answer = this.root.querySelector(".answer");
    this.artifacts = this.root.querySelector(".artifacts");
    this.tools = new Map();
    this.answer.append(el("span", { class: "typing", text: "Thinking…" }));
  }

  apply(msg) {
    switch (msg.type) {
      case "run_started":
        break;
      case "token":
        this.streamed += msg.text;
        this.answer.replaceChildren(el("span", { class: "streaming", text: this.streamed }));
        break;
      case "tool_started": {
        // Text streamed before a tool call was narration; the answer starts again after the tools.
        this.streamed = "";
        this.answer.replaceChildren(el("span", { class: "typing", text: "Working…" }));
        const line = activityLine(msg.name, msg.summary, "running");
        this.tools.set(msg.call_id, line);
        this.activity.append(line);
        break;
      }
      case "tool_finished": {
        const line = this.tools.get(msg.call_id);
        if (line) markActivity(line, msg.status, msg.status === "error" ? msg.output : null);
        break;
      }
      case "artifact":
        this.artifacts.append(renderArtifact(msg.kind, msg.data || {}));
        break;
      case "approval_request":
        this.answer.replaceChildren();
        this.artifacts.append(this.view._approvalCard(this.view.threadId, msg.payload || {}));
        break;
      case "final_answer":
        this.answer.replaceChildren(renderMarkdown(msg.text || ""));
        this.finalText = msg.text || "";
        break;
      case "error":
        this.answer.querySelector(".typing")?.remove();
        this.root.append(el("p", { class: "error-line", role: "alert", text: msg.message || "Something went wrong." }));
        break;
      case "snapshot":
        // Events were missed (buffer overflow or a forgotten run): the answer so far replaces what we showed.
        this.streamed = msg.answer || "";
        if (msg.answer) this.answer.replaceChildren(renderMarkdown(msg.answer));
        if (msg.approval) this.artifacts.append(this.view._approvalCard(this.view.threadId, msg.approval.payload || {}));
        if (msg.complete) this.end("success");
        break;
      case "run_ended":
        this.end(msg.status);
        break;
      default:
        break;
    }
  }

  end(status) {
    this.ended = true;
    this.answer.querySelector(".typing")?.remove();
    // A tool still open at the end is waiting for approval (interrupted), or was stopped or failed.
    const outcome = status === "success" ? "success" : status === "interrupted" ? "waiting" : "error";
    for (const line of this.activity.querySelectorAll("li.running")) markActivity(line, outcome);
    if (status === "cancelled") this.root.append(el("p", { class: "note", text: "Stopped." }));
    if (status === "success" && this.finalText) this.root.append(ratingBar(this.view.threadId, { runId: this.runId }));
  }
}

function renderArtifact(kind, data) {
  if (kind === "chart") return chartFigure(data);
  if (kind === "campaign_preview") return campaignFrame(data);
  if (kind === "segment_preview") return segmentCard(data);
  return el("p", { class: "note", text: `(${humanize(kind)})` });
}

function chartFigure(data) {
  const title = data.title || "Chart";
  let src = null;
  if (typeof data.svg === "string" && data.svg.trim().startsWith("<svg")) src = `data:image/svg+xml;base64,${base64Utf8(data.svg)}`;
  else if (typeof data.png_base64 === "string" && /^[A-Za-z0-9+/=]+$/.test(data.png_base64)) src = `data:image/png;base64,${data.png_base64}`;
  const figure = el("figure", { class: "chart" });
  if (src) figure.append(el("img", { src, alt: title }));
  figure.append(el("figcaption", { text: title }));
  const rows = Array.isArray(data.table) ? data.table : [];
  if (rows.length) {
    const columns = Object.keys(rows[0]);
    figure.append(el("details", {},
      el("summary", { text: "Data" }),
      el("table", {},
        el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: humanize(c) })))),
        el("tbody", {}, rows.map((r) => el("tr", {}, columns.map((c) => el("td", { text: formatValue(r[c]) }))))),
      ),
    ));
  }
  return figure;
}

function campaignFrame(campaign) {
  const frame = el("iframe", {
    class: `campaign-preview${campaign.channel === "sms" ? " sms" : ""}`, sandbox: "", referrerpolicy: "no-referrer", loading: "lazy",
    title: `Preview of ${campaign.name || "the campaign"}`,
  });
  frame.srcdoc = campaignSrcdoc(campaign);
  return el("figure", { class: "preview" }, frame,
    el("figcaption", { text: `${campaign.name || "Campaign"} · ${campaign.status || ""}` }));
}

function segmentCard(data) {
  const card = el("section", { class: "segment" },
    el("h4", { text: `${formatValue(data.count)} contacts` }),
    data.description ? el("p", { text: data.description }) : null,
  );
  const sample = Array.isArray(data.sample) ? data.sample : [];
  if (sample.length) {
    card.append(el("ul", {}, sample.map((c) => el("li", {
      text: [c.first_name, c.last_name].filter(Boolean).join(" ") || c.name || c.email || `#${c.id}`,
    }))));
  }
  return card;
}

function ratingBar(threadId, { runId = null, messageId = null }) {
  const bar = el("div", { class: "rating", role: "group", "aria-label": "Rate this answer" });
  const status = el("span", { class: "rating-status", "aria-live": "polite" });
  const comment = el("form", { class: "rating-comment", hidden: true },
    el("input", { type: "text", maxlength: "2000", placeholder: "What was wrong? (optional)", "aria-label": "Comment" }),
    el("button", { type: "submit", text: "Send" }),
  );
  const rate = async (rating, text) => {
    const body = { rating };
    if (messageId) body.message_id = messageId;
    else if (runId) body.run_id = runId;
    if (text) body.comment = text;
    try {
      await api(`/api/chats/${encodeURIComponent(threadId)}/ratings`, { method: "POST", body });
      status.textContent = "Thanks for the feedback.";
    } catch (err) {
      status.textContent = err.message;
    }
  };
  const icon = () => el("img", { src: "/static/thumb.svg", alt: "", width: 16, height: 16 });
  const up = el("button", { type: "button", class: "rate-up", title: "Good answer", "aria-label": "Good answer" }, icon());
  const down = el("button", { type: "button", class: "rate-down", title: "Bad answer", "aria-label": "Bad answer" }, icon());
  up.addEventListener("click", () => {
    up.setAttribute("aria-pressed", "true");
    down.removeAttribute("aria-pressed");
    comment.hidden = true;
    rate("up");
  });
  down.addEventListener("click", () => {
    down.setAttribute("aria-pressed", "true");
    up.removeAttribute("aria-pressed");
    comment.hidden = false;
    rate("down");
  });
  comment.addEventListener("submit", (event) => {
    event.preventDefault();
    rate("down", comment.querySelector("input").value.trim());
    comment.hidden = true;
  });
  bar.append(up, down, status, comment);
  return bar;
}
