// The display board, live: the hall's server-sent events bring the whole board after every
// change (and at once when the line opens or reopens); the tables are drawn again from it,
// as text only, and the newest call is announced. Without the script the board is the one
// loaded.
const main = document.querySelector("main[data-feed]");

// A table's body again from `rows`: each row a list of cells { tag, text, note, number }.
function redraw(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const el = document.createElement(cell.tag || "td");
        if (el.tagName === "TH") el.scope = "row";
        if (cell.number) el.className = "number";
        el.textContent = cell.text;
        if (cell.note) {
          const note = document.createElement("span");
          note.className = "muted";
          note.textContent = cell.note;
          el.append(" ", note);
        }
        tr.append(el);
      }
      return tr;
    }),
  );
}

if (main && window.EventSource) {
  const announce = document.getElementById("announce");
  const feed = new EventSource(main.dataset.feed);
  feed.addEventListener("board", (event) => {
    const board = JSON.parse(event.data);
    redraw("board-windows", board.windows.map((w) => [
      { tag: "th", text: w.name, note: w.group },
      { text: w.number || "—", number: true },
    ]));
    redraw("board-recent", board.recent.map((c) => [
      { text: c.number, number: true },
      { text: c.window },
    ]));
    redraw("board-waiting", board.waiting.map((g) => [
      { tag: "th", text: `${g.letter} · ${g.name}` },
      { text: String(g.waiting), number: true },
    ]));
    const newest = board.recent[0];
    const words = newest
      ? main.dataset.calling.replace("{0}", newest.number).replace("{1}", newest.window)
      : "";
    if (announce.textContent !== words) announce.textContent = words;
  });
}
