// The /ws/chat client (docs/websocket-protocol.md): authenticates with its first message, queues commands
// until "ready", reconnects with backoff and resumes the runs it was following from the last sequence number.

const AUTH_CLOSE = 4401;

export class ChatSocket {
  constructor(getKey, { onEvent, onStatus, onAuthError } = {}) {
    this.getKey = getKey;
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onAuthError = onAuthError || (() => {});
    this.ws = null;
    this.ready = false;
    this.queue = [];
    this.following = new Map(); // run_id -> { thread_id, last_seq }
    this.backoff = 500;
    this.closed = false;
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/chat`);
    this.ws = ws;
    this.ready = false;
    this.onStatus("connecting");
    ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", api_key: this.getKey() })));
    ws.addEventListener("message", (event) => this._receive(event.data));
    ws.addEventListener("close", (event) => this._closed(event));
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }

  send(message) {
    if (this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
    else this.queue.push(message);
  }

  follow(runId, threadId, lastSeq = 0) {
    if (!this.following.has(runId)) this.following.set(runId, { thread_id: threadId, last_seq: lastSeq });
    this.send({ type: "resume", run_id: runId, thread_id: threadId, last_seq: lastSeq });
  }

  _receive(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (msg.type === "ready") {
      this.ready = true;
      this.backoff = 500;
      this.onStatus("ready");
      // After a reconnect, pick up every run we were following exactly where we left it.
      for (const [runId, run] of this.following) {
        this.ws.send(JSON.stringify({ type: "resume", run_id: runId, thread_id: run.thread_id, last_seq: run.last_seq }));
      }
      for (const queued of this.queue.splice(0)) this.ws.send(JSON.stringify(queued));
      return;
    }
    if (msg.type === "accepted") {
      this.following.set(msg.run_id, { thread_id: msg.thread_id, last_seq: 0 });
    }
    if (msg.run_id && typeof msg.seq === "number") {
      const run = this.following.get(msg.run_id);
      if (run) {
        if (msg.seq <= run.last_seq) return; // already shown
        run.last_seq = msg.seq;
      }
      if (msg.type === "run_ended") this.following.delete(msg.run_id);
    }
    if (msg.type === "snapshot" && msg.complete) this.following.delete(msg.run_id);
    this.onEvent(msg);
  }

  _closed(event) {
    this.ready = false;
    if (event.code === AUTH_CLOSE) {
      this.onStatus("unauthorized");
      this.onAuthError();
      return;
    }
    if (this.closed) return;
    this.onStatus("offline");
    setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 8000);
  }
}
