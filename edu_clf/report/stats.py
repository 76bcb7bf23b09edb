"""Corpus counts: items per kind × topic and per source, against coverage floors."""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from edu_clf.config import LabelSchema
from edu_clf.records import Item


def corpus_stats(items: Sequence[Item], schema: LabelSchema) -> dict[str, Any]:
    """Counts per kind × topic (all items and per source), per kind, per topic, per source."""
    sources = sorted({it.source or "unknown" for it in items})
    cells = {t: {k: 0 for k in schema.kind_ids} for t in schema.topic_ids}
    by_source = {s: {t: {k: 0 for k in schema.kind_ids} for t in schema.topic_ids} for s in sources}
    for it in items:
        cells[it.topic][it.kind] += 1
        by_source[it.source or "unknown"][it.topic][it.kind] += 1
    return {"n_items": len(items), "n_docs": len({it.doc_id for it in items}),
            "docs_per_source": {s: len({it.doc_id for it in items if (it.source or "unknown") == s})
                                for s in sources},
            "items_per_source": dict(Counter(it.source or "unknown" for it in items)),
            "kinds": dict(Counter(it.kind for it in items)), "topics": dict(Counter(it.topic for it in items)),
            "cells": cells, "cells_per_source": by_source,
            "min_cell": min(v for row in cells.values() for v in row.values()),
            "min_topic": min(sum(row.values()) for row in cells.values())}


def format_stats(stats: dict[str, Any], schema: LabelSchema) -> str:
    """A kind × topic table (columns per kind, then per-source totals)."""
    sources = list(stats["cells_per_source"])
    head = "topic".ljust(20) + "".join(k[:11].rjust(12) for k in schema.kind_ids) + "total".rjust(8) + \
        "".join(s[:9].rjust(10) for s in sources)
    lines = [head]
    for t in schema.topic_ids:
        row = stats["cells"][t]
        per_source = [sum(stats["cells_per_source"][s][t].values()) for s in sources]
        lines.append(t.ljust(20) + "".join(str(row[k]).rjust(12) for k in schema.kind_ids)
                     + str(sum(row.values())).rjust(8) + "".join(str(v).rjust(10) for v in per_source))
    lines.append("total".ljust(20) + "".join(str(stats["kinds"].get(k, 0)).rjust(12) for k in schema.kind_ids)
                 + str(stats["n_items"]).rjust(8)
                 + "".join(str(stats["items_per_source"][s]).rjust(10) for s in sources))
    docs = ", ".join(f"{s} {n}" for s, n in stats["docs_per_source"].items())
    lines.append(f"{stats['n_docs']} documents ({docs}); smallest kind×topic cell {stats['min_cell']}, "
                 f"smallest topic {stats['min_topic']}")
    return "\n".join(lines)
