"""Join a writer's hand labels (corpus/labels/WRITER.tsv) to the segmenter's items.

The TSV is the hand-made record: one line `doc_id<TAB>item<TAB>kind<TAB>topic` per
item, written by the labeler after reading the item. This script only attaches the
item's title, headings and text as the segmenter gives them, and refuses a TSV that
does not cover every item of the writer's reports exactly once.

    python corpus/tools/build_labels.py w9        # writes corpus/labels/w9.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from edu_clf.config import load_label_schema
from edu_clf.pipeline import load_documents

ROOT = Path(__file__).resolve().parents[2]


def build(writer: str) -> int:
    schema = load_label_schema()
    tsv = ROOT / "corpus" / "labels" / f"{writer}.tsv"
    labels: dict[tuple[str, int], tuple[str, str]] = {}
    for n, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        doc_id, item, kind, topic = line.split("\t")
        if kind not in schema.kind_ids or topic not in schema.topic_ids:
            raise SystemExit(f"{tsv}:{n}: unknown kind or topic {kind!r} / {topic!r}")
        if (doc_id, int(item)) in labels:
            raise SystemExit(f"{tsv}:{n}: duplicate {doc_id} {item}")
        labels[(doc_id, int(item))] = (kind, topic)
    rows = []
    for path in sorted((ROOT / "corpus" / "written").glob(f"{writer}_*.txt")):
        for doc in load_documents(path):
            for it in doc.items:
                key = (it.doc_id, it.item)
                if key not in labels:
                    raise SystemExit(f"{tsv}: no label for {key[0]} item {key[1]}: {it.text[:30]}")
                kind, topic = labels.pop(key)
                rows.append({"doc_id": it.doc_id, "item": it.item, "title": it.title,
                             "headings": list(it.headings), "text": it.text,
                             "kind": kind, "topic": topic, "source": "written"})
    if labels:
        raise SystemExit(f"{tsv}: labels for items the segmenter does not produce: {sorted(labels)[:5]}")
    out = ROOT / "corpus" / "labels" / f"{writer}.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{out}: {len(rows)} items")
    return 0


if __name__ == "__main__":
    sys.exit(build(sys.argv[1]))
