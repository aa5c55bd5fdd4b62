"""The product's help pages (docs/help/*.md): parsed into sections, indexed, and searched with citations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.errors import InvalidRequest, NotFound
from core.knowledge.schemas import HelpHit, HelpIndexResult, HelpSection
from core.knowledge.store import KnowledgeStore, sync_documents

MAX_K = 20
MAX_QUERY_CHARS = 2_000
OVERVIEW = "Overview"
# Weight of the whole page's similarity in a section's score (the rest is the section's own).
PAGE_BLEND = 0.5
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


_BLOCK_START = re.compile(r"^(\s*[-*] |\s*\d+\. |#|\||```)")


def _unwrap(text: str) -> str:
    """Join hard-wrapped lines into paragraphs; list items, headings and tables keep their own lines."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if out and stripped and out[-1].strip() and not _BLOCK_START.match(line):
            out[-1] = out[-1].rstrip() + " " + stripped
        else:
            out.append(line.rstrip())
    return "\n".join(out).strip()


def parse_help_page(slug: str, markdown: str) -> list[HelpSection]:
    """Split one page into sections: the text before the first '## ' heading is the 'Overview' section."""
    lines = markdown.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise InvalidRequest(f"Help page {slug!r} must start with a '# Title' line.", field="help_page")
    title = lines[0][2:].strip()
    sections: list[HelpSection] = []
    heading, body = OVERVIEW, []
    for line in lines[1:] + ["## "]:  # the sentinel flushes the last section
        if line.startswith("## "):
            text = _unwrap("\n".join(body))
            if text:
                anchor = _slugify(heading)
                if any(s.anchor == anchor for s in sections):  # two sections with one heading keep two ids
                    anchor = f"{anchor}-{len(sections)}"
                sections.append(HelpSection(page=slug, title=title, section=heading, anchor=anchor,
                                            order=len(sections), text=text))
            heading, body = line[3:].strip(), []
        else:
            body.append(line)
    return sections


def load_help_pages(pages_dir: Path) -> list[HelpSection]:
    """Read every ``*.md`` page in ``pages_dir`` (file name = page slug) into sections."""
    if not pages_dir.is_dir():
        raise NotFound(f"The help pages folder {str(pages_dir)!r} does not exist.", field="help_dir")
    sections: list[HelpSection] = []
    for path in sorted(pages_dir.glob("*.md")):
        slug = path.stem
        if not _SLUG_RE.match(slug):
            raise InvalidRequest(f"Help page file {path.name!r} needs a lower-case-hyphenated name.",
                                 field="help_page")
        sections.extend(parse_help_page(slug, path.read_text(encoding="utf-8")))
    return sections


def _section_document(section: HelpSection) -> str:
    # The title and heading are part of what is embedded: a query often names the feature, not its details.
    return f"{section.title}. {section.section}.\n{section.text}"


def _page_document(sections: list[HelpSection]) -> str:
    return f"{sections[0].title}.\n" + "\n".join(f"{s.section}. {s.text}" for s in sections)


def _documents(sections: list[HelpSection]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every document to index, by id: one per section, plus one per whole page (its overall topic)."""
    docs: dict[str, tuple[str, dict[str, Any]]] = {}
    by_page: dict[str, list[HelpSection]] = {}
    for s in sections:
        by_page.setdefault(s.page, []).append(s)
        docs[f"{s.page}#{s.anchor}"] = (
            _section_document(s),
            {"kind": "section", "page": s.page, "title": s.title, "section": s.section, "order": s.order},
        )
    for page, page_sections in by_page.items():
        docs[f"page:{page}"] = (_page_document(page_sections),
                                {"kind": "page", "page": page, "title": page_sections[0].title})
    return docs


def index_help_pages(store: KnowledgeStore, *, pages_dir: Path | None = None) -> HelpIndexResult:
    """Index the help pages by section and by whole page; re-indexing only touches what changed."""
    sections = load_help_pages(pages_dir or store.help_dir)
    upserted, removed = sync_documents(store.help_collection(), _documents(sections))
    return HelpIndexResult(pages=len({s.page for s in sections}), sections=len(sections), upserted=upserted,
                           removed=removed)


def search_help(
    store: KnowledgeStore, *, query: str, k: int = 3, distinct_pages: bool = True
) -> list[HelpHit]:
    """Return the help sections that best answer ``query``, best first, each citing its page.

    With ``distinct_pages`` (the default) each page appears once, with its best section.
    The help pages are indexed on first use.
    """
    text = (query or "").strip()
    if not text:
        raise InvalidRequest(
            "The help question is empty; ask something like 'how do I set up site tracking?'.", field="query"
        )
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"The help question is {len(text)} characters; keep it under {MAX_QUERY_CHARS}.",
                             field="query")
    if not 1 <= k <= MAX_K:
        raise InvalidRequest(f"k {k} is out of range; ask for 1 to {MAX_K} results.", field="k")
    collection = store.help_collection()
    if collection.count() == 0:
        index_help_pages(store)
    total = collection.count()
    if total == 0:
        return []
    # A section is ranked by its own similarity blended with its whole page's, so a short section that
    # shares one word with the question does not outrank the page that is about the question.
    pages = collection.query(query_texts=[text], n_results=total, where={"kind": "page"},
                             include=["metadatas", "distances"])
    page_score = {
        str(m["page"]): 1.0 - float(d)
        for m, d in zip((pages["metadatas"] or [[]])[0], (pages["distances"] or [[]])[0], strict=True)
    }
    found = collection.query(
        query_texts=[text], n_results=min(total, max(40, k * 8)), where={"kind": "section"},
        include=["documents", "metadatas", "distances"],
    )
    ranked: list[HelpHit] = []
    rows = zip(
        (found["documents"] or [[]])[0], (found["metadatas"] or [[]])[0], (found["distances"] or [[]])[0],
        strict=True,
    )
    for document, meta, distance in rows:
        page = str(meta["page"])
        score = PAGE_BLEND * page_score.get(page, 0.0) + (1.0 - PAGE_BLEND) * (1.0 - float(distance))
        ranked.append(HelpHit(page=page, title=str(meta["title"]), section=str(meta["section"]),
                              text=document.split("\n", 1)[-1], score=round(score, 4)))
    ranked.sort(key=lambda h: h.score, reverse=True)
    hits: list[HelpHit] = []
    seen: set[str] = set()
    for hit in ranked:
        if distinct_pages and hit.page in seen:
            continue
        seen.add(hit.page)
        hits.append(hit)
        if len(hits) == k:
            break
    return hits
