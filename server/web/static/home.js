// The homepage: history, idea cards, new chat, and the chat itself.

import { api, clearKey, ensureKey, getKey, takeKeyFromUrl } from "./api.js";
import { ChatView } from "./chat.js";
import { el, relativeTime } from "./dom.js";
import { ChatSocket } from "./socket.js";

// Shown at once (and when the account has nothing to suggest); the account's own ideas replace them.
const STARTER_IDEAS = [
  { title: "How did my last newsletter do?", body: "Opens, clicks and unsubscribes, with a chart.", prompt: "How did my last newsletter do?" },
  { title: "Who stopped opening?", body: "Find engaged contacts who went quiet.", prompt: "How many contacts opened in the last 180 days but not in the last 60 days?" },
  { title: "Why didn't my campaign send?", body: "Troubleshoot the latest failed campaign.", prompt: "Why didn't my last campaign send?" },
  { title: "What should I do next?", body: "Suggestions from your account's data.", prompt: "What should I do next?" },
];

const $ = (id) => document.getElementById(id);

function showIdeas(cards, chat) {
  $("ideas").replaceChildren(...cards.map((card) => el("button", {
    type: "button", class: "idea", onclick: () => chat.send(card.prompt),
  }, el("strong", { text: card.title }), el("span", { text: card.body }))));
}

async function refreshHistory(chat) {
  let threads = [];
  try {
    threads = await api("/api/chats?limit=50");
  } catch {
    return;
  }
  $("history").replaceChildren(...threads.map((t) => el("li", {},
    el("button", {
      type: "button", class: `history-item${t.id === chat.threadId ? " active" : ""}`, "data-thread-id": t.id,
      onclick: () => openThread(chat, t.id),
    },
    el("span", { class: "history-title", text: t.title }),
    el("span", { class: "history-meta", text: `${t.surface === "slack" ? "Slack · " : ""}${relativeTime(t.updated_at)}` })),
  )));
}

async function openThread(chat, threadId) {
  try {
    await chat.load(threadId);
  } catch (err) {
    $("messages").append(el("p", { class: "error-line", role: "alert", text: err.message }));
  }
}

function setWelcome(visible) {
  $("welcome").hidden = !visible;
}

async function main() {
  takeKeyFromUrl();
  const dialog = $("key-dialog");
  const me = await ensureKey(dialog);
  $("account").textContent = `${me.account_name} · ${me.email}`;

  let chat = null;
  const socket = new ChatSocket(getKey, {
    onEvent: (msg) => chat.handle(msg),
    onStatus: (status) => {
      $("status").textContent = status === "ready" ? "" : status === "offline" ? "Reconnecting…" : "";
      document.body.dataset.connection = status;
    },
    onAuthError: () => { clearKey(); window.location.reload(); },
  });
  chat = new ChatView({
    socket,
    messages: $("messages"),
    form: $("composer"),
    input: $("prompt"),
    stopButton: $("stop"),
    onThread: (threadId) => {
      setWelcome(threadId === null && !$("messages").childElementCount);
      const url = threadId ? `#${encodeURIComponent(threadId)}` : window.location.pathname;
      history.replaceState(null, "", url);
      refreshHistory(chat);
    },
    onRunEnded: () => refreshHistory(chat),
  });
  const send = chat.send.bind(chat);
  chat.send = (text) => {
    setWelcome(false);
    send(text);
  };
  socket.connect();

  showIdeas(STARTER_IDEAS, chat);
  api("/api/web/ideas").then((cards) => { if (cards && cards.length) showIdeas(cards, chat); }).catch(() => {});
  $("new-chat").addEventListener("click", () => {
    chat.newChat();
    setWelcome(true);
    $("prompt").focus();
  });
  $("change-key").addEventListener("click", () => { clearKey(); window.location.reload(); });

  const fromHash = decodeURIComponent(window.location.hash.slice(1));
  if (fromHash) {
    setWelcome(false);
    await openThread(chat, fromHash);
  }
  await refreshHistory(chat);
  $("prompt").focus();
}

main();
