/* edu_clf._segscan: the character scans of edu_clf.segment in C.
 *
 * Paragraph cuts (runs of spaces, a space after a full stop), the outline
 * marker scan (marker patterns, numbering sequence, sentence boundaries,
 * heading words, lost full stops, a heading's closing space) and the outline's
 * heading-or-item decisions, exactly as the Python methods of
 * segment._Segmenter do them; those stay the fallback and the test oracle. The
 * config's own regexes stay in Python: their matches come in as spans. Python's
 * character classes are used throughout: \s and str.isspace are
 * Py_UNICODE_ISSPACE, \d is Py_UNICODE_ISDECIMAL, str.isdigit is
 * Py_UNICODE_ISDIGIT. Needs only the Python C API.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#define SEGSCAN_VERSION 1

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t len;
} Text;

#define AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

/* Py_UNICODE_ISSPACE and Py_UNICODE_ISDECIMAL without the table lookups for the common
 * characters: no whitespace lies above U+3000 and no decimal digit in U+3000..U+9FFF
 * (CJK punctuation, kana, ideographs); test_segscan.py checks both on this Python. */
static inline int is_space(Py_UCS4 ch) {
    return ch < 128 ? Py_UNICODE_ISSPACE(ch) : ch <= 0x3000 && Py_UNICODE_ISSPACE(ch);
}

static inline int is_decimal(Py_UCS4 ch) {
    if (ch < 128) return ch >= '0' && ch <= '9';
    return (ch < 0x3000 || ch > 0x9FFF) && Py_UNICODE_ISDECIMAL(ch);
}

static void text_open(Text *t, PyObject *s) {
    t->kind = PyUnicode_KIND(s);
    t->data = PyUnicode_DATA(s);
    t->len = PyUnicode_GET_LENGTH(s);
}

/* Value of 一 … 十, else 0. */
static int cn_digit(Py_UCS4 ch) {
    switch (ch) {
    case 0x4E00: return 1;   /* 一 */
    case 0x4E8C: return 2;   /* 二 */
    case 0x4E09: return 3;   /* 三 */
    case 0x56DB: return 4;   /* 四 */
    case 0x4E94: return 5;   /* 五 */
    case 0x516D: return 6;   /* 六 */
    case 0x4E03: return 7;   /* 七 */
    case 0x516B: return 8;   /* 八 */
    case 0x4E5D: return 9;   /* 九 */
    case 0x5341: return 10;  /* 十 */
    default: return 0;
    }
}

/* 。！？；;!? — segment.SENTENCE_END, and what _HEADING_STOP, lost_full_stop and is_heading_words look for. */
static int sentence_end(Py_UCS4 ch) {
    return ch == 0x3002 || ch == 0xFF01 || ch == 0xFF1F || ch == 0xFF1B || ch == ';' || ch == '!' || ch == '?';
}

static int colon(Py_UCS4 ch) { return ch == 0xFF1A || ch == ':'; }   /* ：: */

/* 。！？!? — the full stops of _SENTENCE_SPACE. */
static int full_stop(Py_UCS4 ch) {
    return ch == 0x3002 || ch == 0xFF01 || ch == 0xFF1F || ch == '!' || ch == '?';
}

/* ”’」』）) — the closers of _SENTENCE_SPACE; BOUNDARY_BEFORE adds ] and 》. */
static int closer(Py_UCS4 ch) {
    return ch == 0x201D || ch == 0x2019 || ch == 0x300D || ch == 0x300F || ch == 0xFF09 || ch == ')';
}

static int open_paren(Py_UCS4 ch) { return ch == 0xFF08 || ch == '('; }    /* （( */
static int close_paren(Py_UCS4 ch) { return ch == 0xFF09 || ch == ')'; }   /* ）) */
static int han(Py_UCS4 ch) { return ch >= 0x4E00 && ch <= 0x9FFF; }
static int circled(Py_UCS4 ch) { return ch >= 0x2460 && ch <= 0x2473; }   /* ① … ⑳ */

static int has_nonspace(const Text *t, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t i = start; i < end; i++)
        if (!is_space(AT(t, i))) return 1;
    return 0;
}

/* segment._trim: the span without surrounding whitespace, (start, start) if blank. */
static void trim(const Text *t, Py_ssize_t *start, Py_ssize_t *end) {
    Py_ssize_t s = *start, e = *end;
    while (s < e && is_space(AT(t, s))) s++;
    if (s == e) { *end = *start; return; }
    while (is_space(AT(t, e - 1))) e--;
    *start = s;
    *end = e;
}

static int span_from(PyObject *obj, Py_ssize_t *a, Py_ssize_t *b, Py_ssize_t len) {
    if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) < 2) {
        PyErr_SetString(PyExc_TypeError, "spans must be tuples of ints");
        return -1;
    }
    *a = PyLong_AsSsize_t(PyTuple_GET_ITEM(obj, PyTuple_GET_SIZE(obj) - 2));
    if (*a == -1 && PyErr_Occurred()) return -1;
    *b = PyLong_AsSsize_t(PyTuple_GET_ITEM(obj, PyTuple_GET_SIZE(obj) - 1));
    if (*b == -1 && PyErr_Occurred()) return -1;
    if (*a < 0 || *b < *a || *b > len) {
        PyErr_Format(PyExc_ValueError, "span (%zd, %zd) is not inside the text", *a, *b);
        return -1;
    }
    return 0;
}

static int append_span(PyObject *list, Py_ssize_t a, Py_ssize_t b) {
    PyObject *pair = Py_BuildValue("(nn)", a, b);
    if (!pair) return -1;
    int rc = PyList_Append(list, pair);
    Py_DECREF(pair);
    return rc;
}

/* ------------------------------------------------------------------ paragraphs */

typedef struct { Py_ssize_t start, end; } Cut;

typedef struct {
    Cut *at;
    Py_ssize_t n, cap;
} Cuts;

static int cuts_push(Cuts *c, Py_ssize_t start, Py_ssize_t end) {
    if (c->n == c->cap) {
        Py_ssize_t cap = c->cap ? 2 * c->cap : 64;
        Cut *p = realloc(c->at, cap * sizeof(Cut));
        if (!p) { PyErr_NoMemory(); return -1; }
        c->at = p;
        c->cap = cap;
    }
    c->at[c->n].start = start;
    c->at[c->n++].end = end;
    return 0;
}

static int cut_order(const void *a, const void *b) {
    const Cut *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

PyDoc_STRVAR(paragraphs_doc,
"paragraphs(text, ranges, artifacts, min_space_run) -> [(start, end), ...]\n\n"
"_Segmenter.paragraphs: each (start, end) line range cut at runs of at least\n"
"max(2, min_space_run) spaces, at a single space after a full stop and at the\n"
"artifact spans, given as (range index, start, end) in range order. The\n"
"non-blank paragraphs come back trimmed.");

static PyObject *paragraphs(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *str, *ranges, *artifacts;
    Py_ssize_t min_run;
    if (!PyArg_ParseTuple(args, "UO!O!n", &str, &PyList_Type, &ranges, &PyList_Type, &artifacts, &min_run))
        return NULL;
    Text t;
    text_open(&t, str);
    if (min_run < 2) min_run = 2;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Cuts cuts = {NULL, 0, 0};
    Py_ssize_t n_art = PyList_GET_SIZE(artifacts), next_art = 0;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(ranges); r++) {
        Py_ssize_t start, end;
        if (span_from(PyList_GET_ITEM(ranges, r), &start, &end, t.len) < 0) goto fail;
        cuts.n = 0;
        for (; next_art < n_art; next_art++) {
            PyObject *art = PyList_GET_ITEM(artifacts, next_art);
            if (!PyTuple_Check(art) || PyTuple_GET_SIZE(art) != 3) {
                PyErr_SetString(PyExc_TypeError, "artifacts must be (range index, start, end) tuples");
                goto fail;
            }
            Py_ssize_t k = PyLong_AsSsize_t(PyTuple_GET_ITEM(art, 0));
            if (k == -1 && PyErr_Occurred()) goto fail;
            if (k != r) break;
            Py_ssize_t a, b;
            if (span_from(art, &a, &b, t.len) < 0 || cuts_push(&cuts, a, b) < 0) goto fail;
        }
        for (Py_ssize_t i = start; i < end;) {       /* \s{min_run,} */
            if (!is_space(AT(&t, i))) { i++; continue; }
            Py_ssize_t j = i + 1;
            while (j < end && is_space(AT(&t, j))) j++;
            if (j - i >= min_run && cuts_push(&cuts, i, j) < 0) goto fail;
            i = j;
        }
        for (Py_ssize_t i = start; i < end; i++) {   /* [。！？!?][”’」』）)]*(\s)(?=\S) */
            if (!full_stop(AT(&t, i))) continue;
            Py_ssize_t j = i + 1;
            while (j < end && closer(AT(&t, j))) j++;
            if (j + 1 < end && is_space(AT(&t, j)) && !is_space(AT(&t, j + 1)) && cuts_push(&cuts, j, j + 1) < 0)
                goto fail;
        }
        qsort(cuts.at, cuts.n, sizeof(Cut), cut_order);
        Py_ssize_t pos = start;
        for (Py_ssize_t c = 0; c < cuts.n; c++) {
            Py_ssize_t cs = cuts.at[c].start, ce = cuts.at[c].end;
            if (cs < pos) {
                if (ce > pos) pos = ce;
                continue;
            }
            Py_ssize_t a = pos, b = cs;
            trim(&t, &a, &b);
            if (a < b && append_span(out, a, b) < 0) goto fail;
            pos = ce;
        }
        Py_ssize_t a = pos, b = end;
        trim(&t, &a, &b);
        if (a < b && append_span(out, a, b) < 0) goto fail;
    }
    free(cuts.at);
    return out;
fail:
    free(cuts.at);
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------ units */

enum { CN, CN_PAREN, ARABIC, ARABIC_PAREN, CIRCLED, N_KINDS, NO_KIND = -1 };
static const char *KIND_NAMES[N_KINDS] = {"cn", "cn_paren", "arabic", "arabic_paren", "circled"};
static PyObject *kind_names[N_KINDS];   /* interned, so the units carry the same str objects as MARKERS */

typedef struct {
    Py_ssize_t start, end, marker_end;
    int kind, value;
} Unit;

typedef struct {
    Text t;
    Py_ssize_t max_heading;
    int last[N_KINDS];     /* last accepted value per kind, 0 if none */
    int stack[N_KINDS];    /* open kinds, outermost first */
    int depth;
    Unit *units;
    Py_ssize_t n, cap;
} Scan;

typedef struct {
    Py_ssize_t start, end;
    int kind, value;
} Marker;

static Py_ssize_t unit_push(Scan *s, Py_ssize_t start, Py_ssize_t end) {
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap ? 2 * s->cap : 256;
        Unit *p = realloc(s->units, cap * sizeof(Unit));
        if (!p) { PyErr_NoMemory(); return -1; }
        s->units = p;
        s->cap = cap;
    }
    Unit *u = &s->units[s->n];
    u->start = start;
    u->end = end;
    u->marker_end = 0;
    u->kind = NO_KIND;
    u->value = 0;
    return s->n++;
}

/* segment.cn_number of the k (1..3) numerals at i. */
static int cn_number(const Text *t, Py_ssize_t i, Py_ssize_t k) {
    int first = cn_digit(AT(t, i));
    if (k == 1) return first;
    if (first == 10) return 10 + (k == 2 ? cn_digit(AT(t, i + 1)) : 0);
    if (cn_digit(AT(t, i + 1)) == 10) return first * 10 + (k == 3 ? cn_digit(AT(t, i + 2)) : 0);
    return -1;
}

static Py_ssize_t run_of(const Text *t, Py_ssize_t i, Py_ssize_t end, Py_ssize_t most, int decimal) {
    Py_ssize_t k = 0;
    while (k < most && i + k < end
           && (decimal ? is_decimal(AT(t, i + k)) : cn_digit(AT(t, i + k)) > 0)) k++;
    return k;
}

static int decimal_value(const Text *t, Py_ssize_t i, Py_ssize_t k) {
    int v = 0;
    for (Py_ssize_t j = 0; j < k; j++) v = v * 10 + Py_UNICODE_TODECIMAL(AT(t, i + j));
    return v;
}

/* MARKER_START: a character that can open a marker. */
static inline int marker_start(Py_UCS4 ch) {
    if (ch < 128) return (ch >= '0' && ch <= '9') || ch == '(';
    if (ch >= 0x4E00 && ch <= 0x9FFF) return cn_digit(ch) > 0;
    return ch == 0xFF08 || circled(ch) || is_decimal(ch);
}

/* The MARKERS pattern matching text[i:end] at i, if any (at most one can). */
static int match_marker(const Text *t, Py_ssize_t i, Py_ssize_t end, Marker *m) {
    Py_UCS4 ch = AT(t, i);
    Py_ssize_t k;
    m->start = i;
    if (cn_digit(ch)) {                                   /* ([一…十]{1,3})、 */
        k = run_of(t, i, end, 3, 0);
        if (i + k >= end || AT(t, i + k) != 0x3001) return 0;
        m->kind = CN;
        m->value = cn_number(t, i, k);
        m->end = i + k + 1;
        return 1;
    }
    if (open_paren(ch)) {                                 /* [（(]([一…十]{1,3})[）)] or [（(](\d{1,2})[）)] */
        if (i + 1 >= end) return 0;
        int decimal = !cn_digit(AT(t, i + 1));
        k = run_of(t, i + 1, end, decimal ? 2 : 3, decimal);
        if (k == 0 || i + 1 + k >= end || !close_paren(AT(t, i + 1 + k))) return 0;
        m->kind = decimal ? ARABIC_PAREN : CN_PAREN;
        m->value = decimal ? decimal_value(t, i + 1, k) : cn_number(t, i + 1, k);
        m->end = i + k + 2;
        return 1;
    }
    if (is_decimal(ch)) {                                    /* (\d{1,2})(?:[.．、](?![\d.．、])) */
        k = run_of(t, i, end, 2, 1);
        if (i + k >= end) return 0;
        Py_UCS4 sep = AT(t, i + k);
        if (sep != '.' && sep != 0xFF0E && sep != 0x3001) return 0;
        if (i + k + 1 < end) {
            Py_UCS4 after = AT(t, i + k + 1);
            if (is_decimal(after) || after == '.' || after == 0xFF0E || after == 0x3001) return 0;
        }
        m->kind = ARABIC;
        m->value = decimal_value(t, i, k);
        m->end = i + k + 1;
        return 1;
    }
    if (circled(ch)) {
        m->kind = CIRCLED;
        m->value = (int)(ch - 0x2460) + 1;
        m->end = i + 1;
        return 1;
    }
    return 0;
}

static int in_stack(const Scan *s, int kind) {
    for (int d = 0; d < s->depth; d++)
        if (s->stack[d] == kind) return d;
    return -1;
}

/* BOUNDARY_BEFORE.search(text[lo:i]): a sentence or clause end, closers, spaces, then i. */
static int boundary_before(const Text *t, Py_ssize_t lo, Py_ssize_t i) {
    Py_ssize_t j = i;
    while (j > lo && is_space(AT(t, j - 1))) j--;
    while (j > lo) {
        Py_UCS4 ch = AT(t, j - 1);
        if (!closer(ch) && ch != ']' && ch != 0x300B) break;   /* 》 */
        j--;
    }
    return j > lo && (sentence_end(AT(t, j - 1)) || colon(AT(t, j - 1)));
}

/* _Segmenter.after_heading_words */
static int after_heading_words(const Scan *s, const Unit *cur, Py_ssize_t i, const Marker *m) {
    if (cur->kind == NO_KIND || m->value != 1 || in_stack(s, m->kind) >= 0) return 0;
    Py_ssize_t a = cur->marker_end, b = i;
    for (Py_ssize_t j = a; j < b; j++) {
        Py_UCS4 ch = AT(&s->t, j);
        if (sentence_end(ch) || colon(ch)) return 0;
    }
    trim(&s->t, &a, &b);
    return b - a > 0 && b - a <= s->max_heading;
}

/* _Segmenter.lost_full_stop */
static int lost_full_stop(const Scan *s, const Unit *cur, Py_ssize_t i, const Marker *m) {
    const Text *t = &s->t;
    if (m->kind != ARABIC || cur->kind != ARABIC || m->value != cur->value + 1 || m->value < 2) return 0;
    Py_UCS4 dot = AT(t, m->end - 1);
    if ((dot != '.' && dot != 0xFF0E) || !han(AT(t, i - 1)) || m->end >= t->len || !han(AT(t, m->end))) return 0;
    Py_ssize_t limit = m->end + 31 < t->len ? m->end + 31 : t->len;
    for (Py_ssize_t j = m->end; j < limit; j++) {
        Py_UCS4 ch = AT(t, j);
        if (sentence_end(ch)) return 1;
        if (ch == 0xFF0C || ch == ',') return 0;   /* ，, */
    }
    return 0;
}

/* _Segmenter.find_marker: the next acceptable marker in text[pos:end]. */
static int find_marker(Scan *s, Py_ssize_t pos, Py_ssize_t end, const Unit *cur, Marker *m) {
    const Text *t = &s->t;
    for (Py_ssize_t i = pos; i < end; i++) {
        if (!marker_start(AT(t, i)) || !match_marker(t, i, end, m)) continue;
        if (m->value <= 0 || (m->value != 1 && m->value != s->last[m->kind] + 1)) continue;
        if (m->kind == ARABIC && m->end < end && Py_UNICODE_ISDIGIT(AT(t, m->end))) continue;
        if (i == cur->start && cur->kind == NO_KIND) return 1;
        if (i > 0) {
            Py_UCS4 prev = AT(t, i - 1);
            if (Py_UNICODE_ISDIGIT(prev) || cn_digit(prev)) continue;
        }
        Py_ssize_t lo = i - 8 > cur->start ? i - 8 : cur->start;
        if (boundary_before(t, lo, i) || after_heading_words(s, cur, i, m) || lost_full_stop(s, cur, i, m))
            return 1;
    }
    return 0;
}

/* _Segmenter.heading_space: where a marker's heading words end at a single space, or -1. */
static Py_ssize_t heading_space(const Scan *s, Py_ssize_t mend, Py_ssize_t pend) {
    const Text *t = &s->t;
    Py_ssize_t limit = s->max_heading + 1 < pend - mend ? mend + s->max_heading + 1 : pend;
    Py_ssize_t j = mend;
    while (j < limit && !is_space(AT(t, j)) && !sentence_end(AT(t, j))) j++;
    if (j >= limit || sentence_end(AT(t, j))) return -1;
    if (j == mend || Py_UNICODE_ISDIGIT(AT(t, j - 1))) return -1;
    while (j < pend && is_space(AT(t, j))) j++;
    return j < pend ? j : -1;
}

static void accept(Scan *s, int kind, int value) {
    s->last[kind] = value;
    int d = in_stack(s, kind);
    if (d >= 0) s->depth = d + 1;
    else s->stack[s->depth++] = kind;
}

static int scan_paragraph(Scan *s, Py_ssize_t pstart, Py_ssize_t pend) {
    Py_ssize_t cur = unit_push(s, pstart, pend);
    if (cur < 0) return -1;
    Py_ssize_t pos = pstart;
    while (pos < pend) {
        Marker m = {0, 0, NO_KIND, 0};
        int found = find_marker(s, pos, pend, &s->units[cur], &m);
        Unit *u = &s->units[cur];
        Py_ssize_t split = u->kind != NO_KIND && pos == u->marker_end ? heading_space(s, u->marker_end, pend) : -1;
        if (split >= 0 && (!found || m.start >= split)) {
            u->end = split;
            if ((cur = unit_push(s, split, pend)) < 0) return -1;
            pos = split;
            continue;
        }
        if (!found) break;
        if (m.start > u->start) {
            u->end = m.start;
            if ((cur = unit_push(s, m.start, pend)) < 0) return -1;
            u = &s->units[cur];
        }
        u->kind = m.kind;
        u->value = m.value;
        u->marker_end = m.end;
        accept(s, m.kind, m.value);
        pos = m.end;
    }
    return 0;
}

static PyObject *unit_tuple(const Unit *u) {
    if (u->kind == NO_KIND) return Py_BuildValue("(nnOin)", u->start, u->end, Py_None, 0, (Py_ssize_t)0);
    return Py_BuildValue("(nnOin)", u->start, u->end, kind_names[u->kind], u->value, u->marker_end);
}

PyDoc_STRVAR(scan_units_doc,
"scan_units(text, paragraphs, max_heading_chars) -> [(start, end, kind, value, marker_end), ...]\n\n"
"_Segmenter.scan_units: the paragraphs (start, end) of one document cut into units\n"
"at the outline markers that fit the numbering; kind is a MARKERS name or None\n"
"(then value and marker_end are 0). Blank units are left out.");

static PyObject *scan_units(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *str, *paras;
    Py_ssize_t max_heading;
    if (!PyArg_ParseTuple(args, "UO!n", &str, &PyList_Type, &paras, &max_heading))
        return NULL;
    Scan s = {0};
    text_open(&s.t, str);
    s.max_heading = max_heading;
    PyObject *out = NULL;
    for (Py_ssize_t p = 0; p < PyList_GET_SIZE(paras); p++) {
        Py_ssize_t start, end;
        if (span_from(PyList_GET_ITEM(paras, p), &start, &end, s.t.len) < 0 || scan_paragraph(&s, start, end) < 0)
            goto done;
    }
    if (!(out = PyList_New(0))) goto done;
    for (Py_ssize_t u = 0; u < s.n; u++) {
        if (!has_nonspace(&s.t, s.units[u].start, s.units[u].end)) continue;
        PyObject *unit = unit_tuple(&s.units[u]);
        if (!unit || PyList_Append(out, unit) < 0) {
            Py_XDECREF(unit);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(unit);
    }
done:
    free(s.units);
    return out;
}

/* ------------------------------------------------------------------ outline */

#define MAX_KINDS 32
#define SHI (-2)

typedef struct {
    Py_ssize_t start, end, marker_end;
    int kind;   /* index into Outline.names, NO_KIND or SHI */
} Part;

typedef struct {
    Text t;
    PyObject *names[MAX_KINDS];   /* the marker kinds met so far (borrowed) */
    int n_names;
    int kinds[MAX_KINDS];         /* open markers, outermost first */
    PyObject *heads[MAX_KINDS];   /* their heading text (owned), NULL for an item's marker */
    int depth;
    char item_last[MAX_KINDS];    /* kind → its last unit was an item */
} Outline;

static int kind_id(Outline *o, PyObject *kind) {
    if (kind == Py_None) return NO_KIND;
    if (!PyUnicode_Check(kind)) {
        PyErr_SetString(PyExc_TypeError, "a unit's kind must be a str or None");
        return -3;
    }
    for (int k = 0; k < o->n_names; k++)
        if (o->names[k] == kind || PyUnicode_Compare(o->names[k], kind) == 0) return k;
    if (PyUnicode_CompareWithASCIIString(kind, "shi") == 0) return SHI;
    if (o->n_names == MAX_KINDS) {
        PyErr_SetString(PyExc_ValueError, "too many marker kinds");
        return -3;
    }
    o->names[o->n_names] = kind;
    return o->n_names++;
}

static int part_from(Outline *o, PyObject *unit, Part *p) {
    if (!PyTuple_Check(unit) || PyTuple_GET_SIZE(unit) != 5) {
        PyErr_SetString(PyExc_TypeError, "units must be (start, end, kind, value, marker_end) tuples");
        return -1;
    }
    p->start = PyLong_AsSsize_t(PyTuple_GET_ITEM(unit, 0));
    p->end = PyLong_AsSsize_t(PyTuple_GET_ITEM(unit, 1));
    p->marker_end = PyLong_AsSsize_t(PyTuple_GET_ITEM(unit, 4));
    if (PyErr_Occurred()) return -1;
    if (p->start < 0 || p->end < p->start || p->end > o->t.len || p->marker_end < 0 || p->marker_end > o->t.len) {
        PyErr_Format(PyExc_ValueError, "unit (%zd, %zd) is not inside the text", p->start, p->end);
        return -1;
    }
    p->kind = kind_id(o, PyTuple_GET_ITEM(unit, 2));
    return p->kind == -3 ? -1 : 0;
}

/* _Segmenter.is_heading_words: short words without a sentence end inside them. */
static int is_heading_words(const Text *t, const Part *p, Py_ssize_t limit) {
    Py_ssize_t a = p->kind != NO_KIND ? p->marker_end : p->start, b = p->end;
    if (a >= b) return 0;
    trim(t, &a, &b);
    if (b - a == 0 || b - a > limit) return 0;
    Py_UCS4 last = AT(t, b - 1);
    if (sentence_end(last) || colon(last)) b--;
    for (Py_ssize_t j = a; j < b; j++)
        if (sentence_end(AT(t, j))) return 0;
    return 1;
}

/* The headings of an item under the open markers (and a sub-heading), as a new tuple. */
static PyObject *headings_now(const Outline *o, PyObject *sub_heading) {
    Py_ssize_t n = sub_heading != NULL;
    for (int d = 0; d < o->depth; d++) n += o->heads[d] != NULL;
    PyObject *tuple = PyTuple_New(n);
    if (!tuple) return NULL;
    Py_ssize_t k = 0;
    for (int d = 0; d < o->depth; d++)
        if (o->heads[d]) { Py_INCREF(o->heads[d]); PyTuple_SET_ITEM(tuple, k++, o->heads[d]); }
    if (sub_heading) { Py_INCREF(sub_heading); PyTuple_SET_ITEM(tuple, k, sub_heading); }
    return tuple;
}

static void outline_pop(Outline *o, int depth) {
    while (o->depth > depth) { o->depth--; Py_CLEAR(o->heads[o->depth]); }
}

PyDoc_STRVAR(outline_doc,
"outline(text, units, max_heading_chars, max_subheading_chars) -> [(start, end, headings), ...]\n\n"
"_Segmenter.build's decisions for one document's units (as scan_units gives them):\n"
"per unit its trimmed span and either the tuple of headings of the item it is, or\n"
"None when it is a heading itself.");

static PyObject *outline(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *str, *units;
    Py_ssize_t max_heading, max_sub;
    if (!PyArg_ParseTuple(args, "UO!nn", &str, &PyList_Type, &units, &max_heading, &max_sub))
        return NULL;
    Outline o;
    memset(&o, 0, sizeof o);
    text_open(&o.t, str);
    Py_ssize_t n_units = PyList_GET_SIZE(units);
    PyObject *out = PyList_New(n_units), *sub_heading = NULL, *headings = NULL;
    if (!out) return NULL;
    Part unit, next;
    if (n_units && part_from(&o, PyList_GET_ITEM(units, 0), &next) < 0) goto fail;
    for (Py_ssize_t n = 0; n < n_units; n++) {
        unit = next;
        int has_next = n + 1 < n_units;
        if (has_next && part_from(&o, PyList_GET_ITEM(units, n + 1), &next) < 0) goto fail;
        Py_ssize_t s = unit.start, e = unit.end;
        trim(&o.t, &s, &e);
        PyObject *heading = NULL;   /* the unit's text when it is a heading */
        if (unit.kind >= 0) {
            for (int d = 0; d < o.depth; d++)
                if (o.kinds[d] == unit.kind) {
                    outline_pop(&o, d);
                    Py_CLEAR(headings);
                    break;
                }
            if (sub_heading) { Py_CLEAR(sub_heading); Py_CLEAR(headings); }
            int deeper_next = 0;
            if (has_next) {
                deeper_next = next.kind == NO_KIND || next.kind != unit.kind;
                for (int d = 0; d < o.depth && deeper_next; d++)
                    if (o.kinds[d] == next.kind) deeper_next = 0;
            }
            int closing_next = has_next && next.kind == NO_KIND && n + 2 == n_units && o.item_last[unit.kind];
            int is_heading = deeper_next && !closing_next && is_heading_words(&o.t, &unit, max_heading);
            if (is_heading && !(heading = PyUnicode_Substring(str, s, e))) goto fail;
            o.kinds[o.depth] = unit.kind;
            o.heads[o.depth++] = heading;   /* the stack owns it */
            o.item_last[unit.kind] = !is_heading;
            if (heading) Py_CLEAR(headings);
        } else if (unit.kind == NO_KIND && has_next && next.kind == NO_KIND
                   && is_heading_words(&o.t, &unit, max_sub) && !is_heading_words(&o.t, &next, max_sub)) {
            int any_heading = 0;
            for (int d = 0; d < o.depth; d++) any_heading |= o.heads[d] != NULL;
            if (any_heading) {
                if (!(heading = PyUnicode_Substring(str, s, e))) goto fail;
                Py_XSETREF(sub_heading, heading);
                Py_CLEAR(headings);
            }
        }
        PyObject *entry;
        if (heading) {
            entry = Py_BuildValue("(nnO)", s, e, Py_None);
        } else {
            if (!headings && !(headings = headings_now(&o, sub_heading))) goto fail;
            entry = Py_BuildValue("(nnO)", s, e, headings);
        }
        if (!entry) goto fail;
        PyList_SET_ITEM(out, n, entry);
    }
    outline_pop(&o, 0);
    Py_XDECREF(sub_heading);
    Py_XDECREF(headings);
    return out;
fail:
    outline_pop(&o, 0);
    Py_XDECREF(sub_heading);
    Py_XDECREF(headings);
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"paragraphs", paragraphs, METH_VARARGS, paragraphs_doc},
    {"scan_units", scan_units, METH_VARARGS, scan_units_doc},
    {"outline", outline, METH_VARARGS, outline_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_segscan",
    "The character scans of edu_clf.segment in C (optional; segment.py does the same in Python).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__segscan(void) {
    for (int k = 0; k < N_KINDS; k++)
        if (!kind_names[k] && !(kind_names[k] = PyUnicode_InternFromString(KIND_NAMES[k]))) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "VERSION", SEGSCAN_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
