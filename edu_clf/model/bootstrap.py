"""Silver labels from a report's structure alone (no model, no item wording beyond its lead clause).

Kind, first rule that fires:
1. heading cue: the nearest heading (then the outer ones) holding a kind's heading words
   (configs/cues.toml [heading] plus configs/silver.toml [kind] heading_extra); when a heading
   holds words of several kinds, problem wins, else the kind whose word ends latest (Chinese
   headings end in their head noun: 重点工作推进情况 is a 情况, an achievement);
2. section position: under a summary-and-plan title (both title cue lists match), items of
   the report's last top-level section are plans, of the earlier ones achievements;
3. title genre: a plan title (工作计划, 要点 …) makes plans, a summary title achievements;
   speeches and meeting notes (silver.toml mixed_titles) give no kind.
Topic: the topic words (silver.toml [topic]) in the nearest heading, then the item's lead
clause (its own heading: the text up to the first 。；：), then the title; the longest word
found wins, ties to the earliest.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Sequence

from edu_clf.config import CueLexicons, SilverRules
from edu_clf.records import Item

KIND_ORDER = ("problem", "plan", "achievement")
LEAD_STOPS = "。；;：:！!？?"


@dataclass(frozen=True)
class Silver:
    """The rule labels of one item (None where no rule fired) and the rules that gave them."""

    kind: str | None
    kind_rule: str | None
    topic: str | None
    topic_rule: str | None


def _heading_kind(heading: str, words: dict[str, tuple[str, ...]]) -> str | None:
    ends = {}
    for kind, cue_words in words.items():
        found = [heading.rfind(w) + len(w) for w in cue_words if w in heading]
        if found:
            ends[kind] = max(found)
    if not ends:
        return None
    if "problem" in ends:
        return "problem"
    return max(ends, key=lambda k: (ends[k], -KIND_ORDER.index(k)))


def _topic_in(text: str, topics: dict[str, tuple[str, ...]]) -> str | None:
    best = None   # (-length, position, topic)
    for topic, words in topics.items():
        for w in words:
            at = text.find(w)
            if at >= 0 and (best is None or (-len(w), at) < best[:2]):
                best = (-len(w), at, topic)
    return best[2] if best else None


def lead_clause(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in LEAD_STOPS:
            return text[:i]
    return text[:40]


def title_genre(title: str, cues: CueLexicons, rules: SilverRules) -> str:
    """"mixed" (speech, meeting), "summary+plan", "plan", "summary" or "unknown"."""
    if any(w in title for w in rules.mixed_titles):
        return "mixed"
    plan = any(w in title for w in cues.title.get("plan", ()))
    summary = any(w in title for w in cues.title.get("summary", ()))
    if plan and summary:
        return "summary+plan"
    return "plan" if plan else "summary" if summary else "unknown"


def silver_labels(items: Sequence[Item], cues: CueLexicons, rules: SilverRules) -> list[Silver]:
    """The rule labels of each item, in order (see the module doc)."""
    words = {k: tuple(cues.heading.get(k, ())) + tuple(rules.heading_extra.get(k, ())) for k in KIND_ORDER}
    last_section: dict[str, str] = {}
    for it in items:
        if it.headings:
            last_section[it.doc_id] = it.headings[0]
    out = []
    for it in items:
        kind = rule = None
        for heading in reversed(it.headings):
            kind = _heading_kind(heading, words)
            if kind:
                rule = "heading"
                break
        genre = title_genre(it.title, cues, rules)
        if kind is None and genre == "summary+plan" and rules.position_rule and it.headings:
            kind, rule = ("plan" if it.headings[0] == last_section.get(it.doc_id) else "achievement"), "position"
        if kind is None and genre in ("plan", "summary"):
            kind, rule = ("plan" if genre == "plan" else "achievement"), "title"
        topic = topic_rule = None
        for where, text in (("heading", it.headings[-1] if it.headings else ""), ("lead", lead_clause(it.text)),
                            ("title", it.title)):
            topic = _topic_in(text, rules.topics)
            if topic:
                topic_rule = where
                break
        out.append(Silver(kind, rule, topic, topic_rule))
    return out


def silver_items(items: Sequence[Item], labels: Sequence[Silver]) -> list[Item]:
    """The items that got both a kind and a topic, labeled with them, source silver."""
    return [replace(it, kind=s.kind, topic=s.topic, source="silver", span=None)
            for it, s in zip(items, labels) if s.kind and s.topic]


def silver_records(items: Sequence[Item], labels: Sequence[Silver]) -> list[dict[str, Any]]:
    """Guide-format JSONL records of silver_items, with the rules that fired (ignored on reading)."""
    out = []
    for it, s in zip(items, labels):
        if s.kind and s.topic:
            record = it.to_dict(labels=False)
            record.update({"kind": s.kind, "topic": s.topic, "source": "silver",
                           "rules": {"kind": s.kind_rule, "topic": s.topic_rule}})
            out.append(record)
    return out


def silver_quality(gold: Sequence[Item], labels: Sequence[Silver], kinds: Sequence[str]) -> dict[str, Any]:
    """Coverage (share of gold items given a silver label) and precision (share of silver labels equal
    to gold), per kind and overall, for kind and topic; per kind rule too."""
    def score(pairs: list[tuple[str, str | None]], classes: Sequence[str]) -> dict[str, Any]:
        per = {}
        for c in classes:
            n_gold = sum(1 for g, _ in pairs if g == c)
            given = [(g, s) for g, s in pairs if s == c]
            per[c] = {"gold": n_gold, "coverage": sum(1 for g, s in pairs if g == c and s) / n_gold if n_gold else 0.0,
                      "labeled": len(given),
                      "precision": sum(1 for g, s in given if g == s) / len(given) if given else None}
        labeled = [(g, s) for g, s in pairs if s]
        return {"per_class": per, "n": len(pairs), "labeled": len(labeled),
                "coverage": len(labeled) / len(pairs) if pairs else 0.0,
                "precision": sum(1 for g, s in labeled if g == s) / len(labeled) if labeled else None}

    kind_pairs = [(it.kind, s.kind) for it, s in zip(gold, labels)]
    topic_pairs = [(it.topic, s.topic) for it, s in zip(gold, labels)]
    out = {"kind": score(kind_pairs, kinds),
           "topic": score(topic_pairs, sorted({it.topic for it in gold})),
           "both": sum(1 for s in labels if s.kind and s.topic)}
    rules = Counter(s.kind_rule for s in labels if s.kind_rule)
    out["kind_rules"] = {r: {"labeled": n, "precision": sum(1 for it, s in zip(gold, labels)
                                                          if s.kind_rule == r and s.kind == it.kind) / n}
                         for r, n in rules.items()}
    return out


def format_quality(quality: dict[str, Any]) -> str:
    """The coverage / precision table of silver_quality."""
    lines = [f"{'':>20} {'gold':>6} {'coverage':>9} {'silver':>7} {'precision':>9}"]
    for task in ("kind", "topic"):
        part = quality[task]
        for c, v in part["per_class"].items():
            p = "-" if v["precision"] is None else f"{v['precision']:.3f}"
            lines.append(f"{task + ' ' + c:>20} {v['gold']:6d} {v['coverage']:9.3f} {v['labeled']:7d} {p:>9}")
        p = "-" if part["precision"] is None else f"{part['precision']:.3f}"
        lines.append(f"{task + ' all':>20} {part['n']:6d} {part['coverage']:9.3f} {part['labeled']:7d} {p:>9}")
    for rule, v in quality["kind_rules"].items():
        lines.append(f"{'kind rule ' + rule:>20} {'':6} {'':9} {v['labeled']:7d} {v['precision']:9.3f}")
    lines.append(f"items with both labels (written to the silver file): {quality['both']}")
    return "\n".join(lines)


__all__ = ["Silver", "format_quality", "silver_items", "silver_labels", "silver_quality", "silver_records",
           "title_genre"]
