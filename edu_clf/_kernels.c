/* edu_clf._kernels: the TF-IDF inner loops of edu_clf.vectorize.FastTfidf in C.
 *
 * Same n-gram keys, hash table and arithmetic as the numpy path in vectorize.py
 * (which stays the fallback and the test oracle): character 1..3-grams packed
 * as 21-bit code points + 1, word 1..2-grams as base + id1 * base + id2, looked
 * up in KeyTable's open-addressing table, counted per row, then sublinear tf,
 * idf and l2 norm in column order. Needs only the Python C API and the buffer
 * protocol (no numpy headers), so it builds against any numpy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_MSC_VER)
#include <intrin.h>
static int ctz64(uint64_t x) { unsigned long i; _BitScanForward64(&i, x); return (int)i; }
#else
#define ctz64 __builtin_ctzll
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

#define KERNELS_VERSION 6
#define GOLDEN 0x9E3779B97F4A7C15ULL
#define SPACE_ID (-2)

typedef struct {
    const int64_t *pairs;   /* key, value, key, value, ...; empty slots have key -1 */
    uint64_t mask;
    int shift;
} Table;

typedef struct {
    int32_t *count;     /* per column: occurrences in the current row (all zero between rows) */
    uint64_t *seen;     /* bit per column: found in the current row; read in order, it sorts the row */
    uint64_t *top;      /* bit per word of `seen`: that word is not zero (closing skips the zero words) */
    Py_ssize_t n_top;
    Py_ssize_t distinct;
} Row;

/* The CSR output, written straight into the bytearrays handed back to Python (no copy at the end). */
typedef struct {
    PyObject *indptr_obj, *indices_obj, *data_obj;
    int64_t *indptr;
    int32_t *indices;
    double *data;
    Py_ssize_t n, cap;
} Out;

static int64_t table_get(const Table *t, int64_t key) {
    uint64_t slot = ((uint64_t)key * GOLDEN) >> t->shift;
    for (;;) {
        int64_t k = t->pairs[2 * slot];
        if (k == key) return t->pairs[2 * slot + 1];
        if (k == -1) return -1;
        slot = (slot + 1) & t->mask;
    }
}

static void row_push(Row *r, int64_t col) {
    if (r->count[col]++) return;
    r->distinct++;
    Py_ssize_t w = col >> 6;
    r->seen[w] |= (uint64_t)1 << (col & 63);
    r->top[w >> 6] |= (uint64_t)1 << (w & 63);
}

/* Room for `cap` entries (the arrays' used part is kept). */
static int out_resize(Out *o, Py_ssize_t cap) {
    if (PyByteArray_Resize(o->indices_obj, cap * (Py_ssize_t)sizeof(int32_t)) < 0
        || PyByteArray_Resize(o->data_obj, cap * (Py_ssize_t)sizeof(double)) < 0) return -1;
    o->indices = (int32_t *)PyByteArray_AS_STRING(o->indices_obj);
    o->data = (double *)PyByteArray_AS_STRING(o->data_obj);
    o->cap = cap;
    return 0;
}

static int out_reserve(Out *o, Py_ssize_t extra) {
    if (o->n + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 4096;
    while (cap < o->n + extra) cap *= 2;
    return out_resize(o, cap);
}

/* The output for `rows` rows, sized for `expected` entries: an upper bound costs nothing
 * but address space (pages never written are never mapped), and saves copies on growth. */
static int out_open(Out *o, Py_ssize_t rows, Py_ssize_t expected) {
    o->indptr_obj = PyByteArray_FromStringAndSize(NULL, (rows + 1) * (Py_ssize_t)sizeof(int64_t));
    o->indices_obj = PyByteArray_FromStringAndSize(NULL, 0);
    o->data_obj = PyByteArray_FromStringAndSize(NULL, 0);
    if (!o->indptr_obj || !o->indices_obj || !o->data_obj) return -1;
    o->indptr = (int64_t *)PyByteArray_AS_STRING(o->indptr_obj);
    o->indptr[0] = 0;
    return out_resize(o, expected > 16 ? expected : 16);
}

/* Close one row: columns in order, tf (log(count) + 1 if sublinear) * idf, l2-normalized. */
static int row_finish(Row *r, Out *o, Py_ssize_t row, const double *idf, int sublinear) {
    if (out_reserve(o, r->distinct) < 0) return -1;
    Py_ssize_t start = o->n;
    for (Py_ssize_t t = 0; t < r->n_top; t++) {
        uint64_t words = r->top[t];
        r->top[t] = 0;
        while (words) {
            Py_ssize_t w = (t << 6) + ctz64(words);
            words &= words - 1;
            uint64_t bits = r->seen[w];
            r->seen[w] = 0;
            while (bits) {
                int64_t col = (w << 6) + ctz64(bits);
                bits &= bits - 1;
                int32_t count = r->count[col];
                r->count[col] = 0;
                double tf = count == 1 ? 1.0 : (sublinear ? log((double)count) + 1.0 : (double)count);
                o->indices[o->n] = (int32_t)col;
                o->data[o->n++] = tf * idf[col];
            }
        }
    }
    double norm = 0.0;
    for (Py_ssize_t i = start; i < o->n; i++) norm += o->data[i] * o->data[i];
    norm = sqrt(norm);
    if (norm > 0.0)
        for (Py_ssize_t i = start; i < o->n; i++) o->data[i] /= norm;
    o->indptr[row + 1] = o->n;
    r->distinct = 0;
    return 0;
}

static PyObject *out_result(Out *o) {
    if (out_resize(o, o->n) < 0) return NULL;
    return Py_BuildValue("(OOO)", o->indptr_obj, o->indices_obj, o->data_obj);
}

static void out_free(Out *o, Row *r) {
    Py_XDECREF(o->indptr_obj); Py_XDECREF(o->indices_obj); Py_XDECREF(o->data_obj);
    free(r->count); free(r->seen); free(r->top);
}

typedef struct {
    Py_buffer pairs, idf;
    Table table;
    Py_ssize_t n_cols;
} Tables;

static int table_from_buffer(Table *table, Py_buffer *buf) {
    Py_ssize_t size = buf->len / (Py_ssize_t)(2 * sizeof(int64_t));
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    if (size < 2 || ((Py_ssize_t)1 << bits) != size) {
        PyErr_SetString(PyExc_ValueError, "key table: (key, value) int64 pairs, a power-of-two number of them");
        return -1;
    }
    table->pairs = buf->buf;
    table->mask = (uint64_t)size - 1;
    table->shift = 64 - bits;
    return 0;
}

static int tables_open(Tables *t, PyObject *pairs, PyObject *idf) {
    memset(t, 0, sizeof(*t));
    if (PyObject_GetBuffer(pairs, &t->pairs, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (PyObject_GetBuffer(idf, &t->idf, PyBUF_C_CONTIGUOUS) < 0) { PyBuffer_Release(&t->pairs); return -1; }
    if (table_from_buffer(&t->table, &t->pairs) < 0) {
        PyBuffer_Release(&t->pairs); PyBuffer_Release(&t->idf);
        return -1;
    }
    t->n_cols = t->idf.len / (Py_ssize_t)sizeof(double);
    return 0;
}

static void tables_close(Tables *t) {
    PyBuffer_Release(&t->pairs); PyBuffer_Release(&t->idf);
}

/* Count `key` in the row if the table has it. Returns 1 if found, 0 if not, -1 on error. */
static int push_found(Row *r, const Tables *t, int64_t key) {
    int64_t col = table_get(&t->table, key);
    if (col < 0) return 0;
    if (col >= t->n_cols) {
        PyErr_SetString(PyExc_ValueError, "key table points past the idf array");
        return -1;
    }
    row_push(r, col);
    return 1;
}

static int row_open(Row *r, Py_ssize_t n_cols) {
    r->count = calloc(n_cols + 1, sizeof(int32_t));
    r->seen = calloc(n_cols / 64 + 1, sizeof(uint64_t));
    r->n_top = n_cols / 4096 + 1;
    r->top = calloc(r->n_top, sizeof(uint64_t));
    if (!r->count || !r->seen || !r->top) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* What both TF-IDF kernels hold while they run: the table, the output and the row being built. */
typedef struct {
    Tables t;
    Out o;
    Row r;
    Py_ssize_t rows;
} Job;

static void job_free(Job *j) {
    out_free(&j->o, &j->r);
    tables_close(&j->t);
}

/* `per_item`: for each of the `rows` items of `items`, an upper bound of its n-grams (length × n_max). */
static int job_open(Job *j, PyObject *pairs, PyObject *idf, PyObject *items, Py_ssize_t per_item) {
    memset(j, 0, sizeof(*j));
    j->rows = PyList_GET_SIZE(items);
    if (tables_open(&j->t, pairs, idf) < 0) return -1;
    Py_ssize_t expected = 0;
    for (Py_ssize_t i = 0; i < j->rows; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        Py_ssize_t n = PyUnicode_Check(item) ? PyUnicode_GET_LENGTH(item) : PyList_Check(item) ? PyList_GET_SIZE(item) : 8;
        n *= per_item;
        expected += n < j->t.n_cols ? n : j->t.n_cols;
    }
    if (out_open(&j->o, j->rows, expected) < 0 || row_open(&j->r, j->t.n_cols) < 0) { job_free(j); return -1; }
    return 0;
}

/* The CSR parts, or NULL after an error; frees the job either way. */
static PyObject *job_finish(Job *j, int ok) {
    PyObject *result = ok ? out_result(&j->o) : NULL;
    job_free(j);
    return result;
}


PyDoc_STRVAR(char_tfidf_doc,
"char_tfidf(texts, n_max, table_pairs, idf, sublinear, closed) -> (indptr, indices, data)\n\n"
"TF-IDF rows of character 1..n_max-grams (n_max <= 3) after collapsing whitespace runs,\n"
"as bytearrays of int64, int32 and float64 (a CSR matrix with sorted indices).\n"
"closed: the vocabulary holds the prefix of every n-gram it holds, so an n-gram whose\n"
"prefix is missing is not looked up.");

static PyObject *char_tfidf(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts, *pairs, *idf;
    int n_max, sublinear, closed;
    if (!PyArg_ParseTuple(args, "O!iOOpp", &PyList_Type, &texts, &n_max, &pairs, &idf, &sublinear, &closed))
        return NULL;
    if (n_max < 1 || n_max > 3) {
        PyErr_SetString(PyExc_ValueError, "n_max must be 1, 2 or 3");
        return NULL;
    }
    Py_ssize_t rows = PyList_GET_SIZE(texts);
    Job j;
    if (job_open(&j, pairs, idf, texts, n_max) < 0) return NULL;
    int64_t *codes = NULL;
    Py_ssize_t codes_cap = 0;
    for (Py_ssize_t d = 0; d < rows; d++) {
        PyObject *text = PyList_GET_ITEM(texts, d);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is not a str", d);
            goto fail;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        if (len > codes_cap) {
            int64_t *p = realloc(codes, len * sizeof(int64_t));
            if (!p) { PyErr_NoMemory(); goto fail; }
            codes = p;
            codes_cap = len;
        }
        int kind = PyUnicode_KIND(text);
        const void *raw = PyUnicode_DATA(text);
        Py_ssize_t m = 0;
        for (Py_ssize_t i = 0; i < len;) {  /* re.sub(r"\s\s+", " ", text), as scikit-learn's char analyzer */
            Py_UCS4 ch = PyUnicode_READ(kind, raw, i);
            if (Py_UNICODE_ISSPACE(ch) && i + 1 < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, raw, i + 1))) {
                while (i < len && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, raw, i))) i++;
                codes[m++] = (int64_t)' ' + 1;
            } else {
                codes[m++] = (int64_t)ch + 1;
                i++;
            }
        }
        for (Py_ssize_t i = 0; i < m; i++) {
            if (i + 8 + n_max <= m) {  /* the table is larger than the cache: ask for slots early */
                int64_t ahead = 0;
                for (int n = 0; n < n_max; n++) {
                    ahead = (ahead << 21) | codes[i + 8 + n];
                    PREFETCH(j.t.table.pairs + 2 * (((uint64_t)ahead * GOLDEN) >> j.t.table.shift));
                }
            }
            int64_t key = 0;
            for (int n = 0; n < n_max && i + n < m; n++) {
                key = (key << 21) | codes[i + n];
                int found = push_found(&j.r, &j.t, key);
                if (found < 0) goto fail;
                if (!found && closed) break;
            }
        }
        if (row_finish(&j.r, &j.o, d, j.t.idf.buf, sublinear) < 0) goto fail;
    }
    free(codes);
    return job_finish(&j, 1);
fail:
    free(codes);
    return job_finish(&j, 0);
}

static int is_space_token(PyObject *token) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(token);
    if (len == 0) return 0;
    int kind = PyUnicode_KIND(token);
    const void *raw = PyUnicode_DATA(token);
    for (Py_ssize_t i = 0; i < len; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, raw, i))) return 0;
    return 1;
}

/* The word n-gram state of one row: the previous word's id and whether it was found. */
typedef struct {
    Job *j;
    const void *index;  /* for jieba_word_tfidf: its WordIndex */
    int64_t base;
    int n_max, closed;
    int64_t prev;
    int prev_found;
} WordRow;

/* Count word `id` (-1: unknown) and the bigram it closes. */
static int word_row_push(WordRow *w, int64_t id) {
    int found = 0;
    if (id >= 0) {
        found = push_found(&w->j->r, &w->j->t, id);
        if (found < 0) return -1;
        if (w->n_max >= 2 && w->prev >= 0 && (!w->closed || (found && w->prev_found))
            && push_found(&w->j->r, &w->j->t, w->base + w->prev * w->base + id) < 0) return -1;
    }
    w->prev = id;
    w->prev_found = found;
    return 0;
}

/* Close the row and start the next with no previous word (no bigram spans two rows). */
static int word_row_finish(WordRow *w, Py_ssize_t row, int sublinear) {
    w->prev = -1;
    w->prev_found = 0;
    return row_finish(&w->j->r, &w->j->o, row, w->j->t.idf.buf, sublinear);
}

PyDoc_STRVAR(word_tfidf_doc,
"word_tfidf(token_lists, index, base, n_max, table_pairs, idf, sublinear, closed) -> (indptr, indices, data)\n\n"
"TF-IDF rows of word 1..n_max-grams (n_max <= 2). Whitespace tokens are dropped before\n"
"n-grams are formed; words missing from `index` form no n-gram. closed: every word of a\n"
"bigram in the vocabulary is a unigram in it, so other bigrams are not looked up.");

static PyObject *word_tfidf(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *lists, *index, *pairs, *idf;
    long long base;
    int n_max, sublinear, closed;
    if (!PyArg_ParseTuple(args, "O!O!LiOOpp", &PyList_Type, &lists, &PyDict_Type, &index, &base, &n_max,
                          &pairs, &idf, &sublinear, &closed))
        return NULL;
    if (n_max < 1 || n_max > 2 || base < 1) {
        PyErr_SetString(PyExc_ValueError, "n_max must be 1 or 2 and base >= 1");
        return NULL;
    }
    Py_ssize_t rows = PyList_GET_SIZE(lists);
    Job j;
    if (job_open(&j, pairs, idf, lists, n_max) < 0) return NULL;
    WordRow w = {&j, NULL, base, n_max, closed, -1, 0};
    for (Py_ssize_t d = 0; d < rows; d++) {
        PyObject *tokens = PyList_GET_ITEM(lists, d);
        if (!PyList_Check(tokens)) {
            PyErr_Format(PyExc_TypeError, "token_lists[%zd] is not a list", d);
            goto fail;
        }
        Py_ssize_t n = PyList_GET_SIZE(tokens);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *token = PyList_GET_ITEM(tokens, i);
            if (!PyUnicode_Check(token)) {
                PyErr_Format(PyExc_TypeError, "token_lists[%zd][%zd] is not a str", d, i);
                goto fail;
            }
            PyObject *value = PyDict_GetItemWithError(index, token);
            int64_t id;
            if (value) {
                id = PyLong_AsLongLong(value);
                if (id == -1 && PyErr_Occurred()) goto fail;
            } else if (PyErr_Occurred()) {
                goto fail;
            } else if (is_space_token(token)) {
                continue;  /* dropped: the words on both sides of it still form a bigram */
            } else {
                id = -1;
            }
            if (word_row_push(&w, id) < 0) goto fail;
        }
        if (word_row_finish(&w, d, sublinear) < 0) goto fail;
    }
    return job_finish(&j, 1);
fail:
    return job_finish(&j, 0);
}

PyDoc_STRVAR(gram_counts_doc,
"gram_counts(texts, n_max, table_pairs, n_groups, starts) -> bytearray of float64, shape (len(texts), n_groups)\n\n"
"Per text, how many of its character 1..n_max-grams (keys as in char_tfidf, no whitespace\n"
"collapsing) are in the table; a key's value is a bit mask of the groups it counts for.\n"
"starts: a bitmap (8192 bytes) of the BMP characters some key starts with; n-grams starting\n"
"with another BMP character are not looked up.");

static PyObject *gram_counts(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts, *pairs;
    int n_max, n_groups;
    const char *starts;
    Py_ssize_t starts_len;
    if (!PyArg_ParseTuple(args, "O!iOiy#", &PyList_Type, &texts, &n_max, &pairs, &n_groups, &starts, &starts_len))
        return NULL;
    if (starts_len != 0x10000 / 8) {
        PyErr_SetString(PyExc_ValueError, "starts must be a bitmap of 8192 bytes");
        return NULL;
    }
    if (n_max < 1 || n_max > 3 || n_groups < 0 || n_groups > 62) {
        PyErr_SetString(PyExc_ValueError, "n_max must be 1, 2 or 3 and n_groups at most 62");
        return NULL;
    }
    Py_buffer buf;
    if (PyObject_GetBuffer(pairs, &buf, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    Table table;
    if (table_from_buffer(&table, &buf) < 0) { PyBuffer_Release(&buf); return NULL; }
    Py_ssize_t rows = PyList_GET_SIZE(texts);
    PyObject *out = PyByteArray_FromStringAndSize(NULL, rows * n_groups * (Py_ssize_t)sizeof(double));
    if (!out) { PyBuffer_Release(&buf); return NULL; }
    double *counts = (double *)PyByteArray_AS_STRING(out);
    memset(counts, 0, rows * n_groups * sizeof(double));
    for (Py_ssize_t d = 0; d < rows; d++) {
        PyObject *text = PyList_GET_ITEM(texts, d);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is not a str", d);
            Py_DECREF(out); PyBuffer_Release(&buf);
            return NULL;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        int kind = PyUnicode_KIND(text);
        const void *raw = PyUnicode_DATA(text);
        double *row = counts + d * n_groups;
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 first = PyUnicode_READ(kind, raw, i);
            if (first < 0x10000 && !(starts[first >> 3] & (1 << (first & 7)))) continue;
            int64_t key = 0;
            for (int n = 0; n < n_max && i + n < len; n++) {
                key = (key << 21) | ((int64_t)PyUnicode_READ(kind, raw, i + n) + 1);
                int64_t mask = table_get(&table, key);
                if (mask <= 0) continue;
                for (int g = 0; g < n_groups; g++)
                    if (mask & ((int64_t)1 << g)) row[g] += 1.0;
            }
        }
    }
    PyBuffer_Release(&buf);
    return out;
}

/* ------------------------------------------------------------------ jieba, HMM off
 *
 * A port of jieba's precise mode without HMM (jieba.Tokenizer.cut(..., HMM=False)):
 * text is split into blocks of [\u4E00-\u9FD5a-zA-Z0-9+#&._%-]; outside them every
 * non-space character is a token; inside, the route through the dictionary DAG
 * with the highest sum of log(freq) - log(total) wins (ties: the longer word), and
 * runs of single [a-zA-Z0-9] characters on that route are joined. The dictionary is
 * jieba's dict.txt read as jieba's gen_pfdict reads it: a prefix trie whose nodes
 * carry the frequency (0 for a prefix that is not a word).
 */

/* The dictionary as it is read: a prefix trie in a hash table (parent node, code point) → node. */
typedef struct {
    int64_t key;        /* (parent node << 21) | code point; -1 for an empty slot */
    int32_t node;
    int32_t pad;
} TrieSlot;

typedef struct {
    TrieSlot *slots;
    uint64_t mask;
    int shift;
    Py_ssize_t used;
    int32_t *root;      /* child of the root for code points < 0x10000 (0: none) */
    int64_t *freq;      /* per node; 0 for a prefix that is not a word */
    Py_ssize_t n_nodes, cap_nodes;
} Builder;

#define MEMO_BITS 16
#define MEMO_SIZE ((Py_ssize_t)1 << MEMO_BITS)
#define MEMO_KEY (((uint64_t)1 << 41) - 1)

typedef struct {
    double logf;        /* log(freq) for a word, -1 for a prefix that is not one */
    int32_t first, end; /* its children: nodes first .. end - 1 */
} TrieNode;

/* The dictionary as it is used: the same trie with nodes numbered breadth first, so that the
 * children of a node are consecutive nodes, sorted by code point, found by binary search in a
 * few cache lines (a hash table of 600k nodes would miss the cache on most steps). */
typedef struct {
    int32_t *root;      /* child of the root for code points < 0x10000 (0: none) */
    TrieNode *node;
    Py_UCS4 *code;      /* the code point leading to each node */
    uint64_t *memo;     /* recent child lookups, (node << 21 | code point) | child << 41; 0: empty */
    Py_ssize_t n_nodes;
    double logtotal;
} JiebaDict;

#define JIEBA_DICT_CAPSULE "edu_clf._kernels.JiebaDict"
#define WORD_INDEX_CAPSULE "edu_clf._kernels.WordIndex"

static void builder_free(Builder *b) {
    free(b->slots); free(b->root); free(b->freq);
}

static void jieba_dict_free(JiebaDict *d) {
    if (!d) return;
    free(d->root); free(d->node); free(d->code); free(d->memo); free(d);
}

static int trie_slots_alloc(Builder *d, int bits) {
    Py_ssize_t size = (Py_ssize_t)1 << bits;
    d->slots = malloc(size * sizeof(TrieSlot));
    if (!d->slots) return -1;
    for (Py_ssize_t i = 0; i < size; i++) d->slots[i].key = -1;
    d->mask = (uint64_t)size - 1;
    d->shift = 64 - bits;
    return 0;
}

static void trie_put(Builder *d, int64_t key, int32_t node) {
    uint64_t slot = ((uint64_t)key * GOLDEN) >> d->shift;
    while (d->slots[slot].key != -1) slot = (slot + 1) & d->mask;
    d->slots[slot].key = key;
    d->slots[slot].node = node;
    d->used++;
}

static int trie_grow(Builder *d) {
    TrieSlot *old = d->slots;
    Py_ssize_t old_size = (Py_ssize_t)d->mask + 1;
    int bits = 64 - d->shift + 1;
    if (trie_slots_alloc(d, bits) < 0) { d->slots = old; return -1; }
    d->used = 0;
    for (Py_ssize_t i = 0; i < old_size; i++)
        if (old[i].key != -1) trie_put(d, old[i].key, old[i].node);
    free(old);
    return 0;
}

static int32_t builder_child(const Builder *d, int32_t node, Py_UCS4 ch) {
    if (node == 0 && ch < 0x10000) return d->root[ch];
    int64_t key = ((int64_t)node << 21) | (int64_t)ch;
    uint64_t slot = ((uint64_t)key * GOLDEN) >> d->shift;
    for (;;) {
        int64_t k = d->slots[slot].key;
        if (k == key) return d->slots[slot].node;
        if (k == -1) return 0;
        slot = (slot + 1) & d->mask;
    }
}

/* The child of `node` for `ch`, made if missing; -1 when out of memory. */
static int32_t trie_add(Builder *d, int32_t node, Py_UCS4 ch) {
    int32_t child = builder_child(d, node, ch);
    if (child) return child;
    if (d->n_nodes == d->cap_nodes) {
        Py_ssize_t cap = d->cap_nodes * 2;
        int64_t *f = realloc(d->freq, cap * sizeof(int64_t));
        if (!f) return -1;
        d->freq = f;
        d->cap_nodes = cap;
    }
    child = (int32_t)d->n_nodes++;
    d->freq[child] = 0;
    if (node == 0 && ch < 0x10000) {
        d->root[ch] = child;
        return child;
    }
    if ((d->used + 1) * 4 > (Py_ssize_t)(d->mask + 1) * 3 && trie_grow(d) < 0) return -1;
    trie_put(d, ((int64_t)node << 21) | (int64_t)ch, child);
    return child;
}

typedef struct { int32_t parent, child; Py_UCS4 ch; } Edge;

static int edge_order(const void *a, const void *b) {
    const Edge *x = a, *y = b;
    if (x->parent != y->parent) return x->parent < y->parent ? -1 : 1;
    return x->ch < y->ch ? -1 : (x->ch > y->ch);
}

/* Renumber the builder's trie breadth first into a JiebaDict; NULL when out of memory. */
static JiebaDict *builder_freeze(const Builder *b, double total) {
    Py_ssize_t n = b->n_nodes, n_edges = 0;
    JiebaDict *d = calloc(1, sizeof(JiebaDict));
    Edge *edges = malloc((n > 1 ? n - 1 : 1) * sizeof(Edge));
    Py_ssize_t *start = calloc(n + 1, sizeof(Py_ssize_t));
    int32_t *queue = malloc(n * sizeof(int32_t));
    if (!d || !edges || !start || !queue) goto fail;
    for (Py_UCS4 ch = 0; ch < 0x10000; ch++)
        if (b->root[ch]) edges[n_edges++] = (Edge){0, b->root[ch], ch};
    for (uint64_t i = 0; i <= b->mask; i++)
        if (b->slots[i].key != -1)
            edges[n_edges++] = (Edge){(int32_t)(b->slots[i].key >> 21), b->slots[i].node,
                                      (Py_UCS4)(b->slots[i].key & 0x1FFFFF)};
    qsort(edges, n_edges, sizeof(Edge), edge_order);
    for (Py_ssize_t e = 0; e < n_edges; e++) start[edges[e].parent + 1]++;
    for (Py_ssize_t i = 0; i < n; i++) start[i + 1] += start[i];
    d->n_nodes = n;
    d->root = calloc(0x10000, sizeof(int32_t));
    d->node = malloc(n * sizeof(TrieNode));
    d->code = malloc(n * sizeof(Py_UCS4));
    d->memo = calloc(MEMO_SIZE, sizeof(uint64_t));
    if (!d->root || !d->node || !d->code || !d->memo || n >= (1 << 22)) goto fail;
    Py_ssize_t head = 0, tail = 1;
    queue[0] = 0;              /* old ids in breadth-first order: position = new id */
    d->code[0] = 0;
    while (head < tail) {
        int32_t old = queue[head];
        d->node[head].first = (int32_t)tail;
        d->node[head].logf = b->freq[old] > 0 ? log((double)b->freq[old]) : -1.0;
        for (Py_ssize_t e = start[old]; e < start[old + 1]; e++) {
            d->code[tail] = edges[e].ch;
            if (head == 0 && edges[e].ch < 0x10000) d->root[edges[e].ch] = (int32_t)tail;
            queue[tail++] = edges[e].child;
        }
        d->node[head].end = (int32_t)tail;
        head++;
    }
    d->logtotal = log(total > 0 ? total : 1.0);
    free(edges); free(start); free(queue);
    return d;
fail:
    free(edges); free(start); free(queue);
    jieba_dict_free(d);
    return NULL;
}

static void jieba_dict_capsule_free(PyObject *capsule);

PyDoc_STRVAR(jieba_dict_arrays_doc,
"jieba_dict_arrays(capsule) -> (root, logf, first, end, code, logtotal)\n\n"
"The frozen dictionary as bytes: int32[65536] (the root's children), then per node float64\n"
"log(freq) (-1: a prefix that is no word), int32 first and end child, uint32 code point;\n"
"jieba_dict_from_arrays makes the same dictionary from them without reading dict.txt.");

static PyObject *jieba_dict_arrays(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    JiebaDict *d = PyCapsule_GetPointer(capsule, JIEBA_DICT_CAPSULE);
    if (!d) return NULL;
    Py_ssize_t n = d->n_nodes;
    PyObject *root = PyBytes_FromStringAndSize((const char *)d->root, 0x10000 * (Py_ssize_t)sizeof(int32_t));
    PyObject *logf = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(double));
    PyObject *first = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int32_t));
    PyObject *end = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int32_t));
    PyObject *code = PyBytes_FromStringAndSize((const char *)d->code, n * (Py_ssize_t)sizeof(Py_UCS4));
    if (!root || !logf || !first || !end || !code) goto fail;
    double *lf = (double *)PyBytes_AS_STRING(logf);
    int32_t *fi = (int32_t *)PyBytes_AS_STRING(first), *en = (int32_t *)PyBytes_AS_STRING(end);
    for (Py_ssize_t i = 0; i < n; i++) {
        lf[i] = d->node[i].logf;
        fi[i] = d->node[i].first;
        en[i] = d->node[i].end;
    }
    return Py_BuildValue("(NNNNNd)", root, logf, first, end, code, d->logtotal);
fail:
    Py_XDECREF(root); Py_XDECREF(logf); Py_XDECREF(first); Py_XDECREF(end); Py_XDECREF(code);
    return NULL;
}

PyDoc_STRVAR(jieba_dict_from_arrays_doc,
"jieba_dict_from_arrays(root, logf, first, end, code, logtotal) -> capsule\n\n"
"The dictionary jieba_dict_arrays gave (from a model artifact, so checked: every child range\n"
"and root entry must point inside the trie, or ValueError).");

static PyObject *jieba_dict_from_arrays(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer root, logf, first, end, code;
    double logtotal;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*d", &root, &logf, &first, &end, &code, &logtotal)) return NULL;
    PyObject *capsule = NULL;
    JiebaDict *d = NULL;
    Py_ssize_t n = logf.len / (Py_ssize_t)sizeof(double);
    if (root.len != 0x10000 * (Py_ssize_t)sizeof(int32_t) || n < 1 || n >= (1 << 22)
        || logf.len != n * (Py_ssize_t)sizeof(double) || first.len != n * (Py_ssize_t)sizeof(int32_t)
        || end.len != n * (Py_ssize_t)sizeof(int32_t) || code.len != n * (Py_ssize_t)sizeof(Py_UCS4)) {
        PyErr_SetString(PyExc_ValueError, "dictionary arrays: wrong sizes");
        goto done;
    }
    const int32_t *r = root.buf, *fi = first.buf, *en = end.buf;
    const Py_UCS4 *co = code.buf;
    for (Py_ssize_t i = 0; i < 0x10000; i++)
        if (r[i] < 0 || r[i] >= n) { PyErr_SetString(PyExc_ValueError, "dictionary arrays: root out of range"); goto done; }
    for (Py_ssize_t i = 0; i < n; i++)
        if (fi[i] < 0 || fi[i] > en[i] || en[i] > n || co[i] > 0x10FFFF) {
            PyErr_SetString(PyExc_ValueError, "dictionary arrays: a node out of range");
            goto done;
        }
    d = calloc(1, sizeof(JiebaDict));
    if (!d || !(d->root = malloc(root.len)) || !(d->node = malloc(n * sizeof(TrieNode)))
        || !(d->code = malloc(code.len)) || !(d->memo = calloc(MEMO_SIZE, sizeof(uint64_t)))) {
        PyErr_NoMemory();
        goto done;
    }
    memcpy(d->root, root.buf, root.len);
    memcpy(d->code, code.buf, code.len);
    const double *lf = logf.buf;
    for (Py_ssize_t i = 0; i < n; i++) d->node[i] = (TrieNode){lf[i], fi[i], en[i]};
    d->n_nodes = n;
    d->logtotal = logtotal;
    capsule = PyCapsule_New(d, JIEBA_DICT_CAPSULE, jieba_dict_capsule_free);
    if (capsule) d = NULL;
done:
    jieba_dict_free(d);
    PyBuffer_Release(&root); PyBuffer_Release(&logf); PyBuffer_Release(&first); PyBuffer_Release(&end);
    PyBuffer_Release(&code);
    return capsule;
}

static inline int32_t trie_search(const JiebaDict *d, int32_t node, Py_UCS4 ch) {
    int32_t lo = d->node[node].first, n = d->node[node].end - lo;
    if (n <= 0) return 0;
    const Py_UCS4 *base = d->code + lo;
    while (n > 1) {  /* branch-free lower bound: the comparisons are unpredictable */
        int32_t half = n >> 1;
        base = base[half - 1] < ch ? base + half : base;
        n -= half;
    }
    return *base == ch ? (int32_t)(base - d->code) : 0;
}

/* The child of `node` for `ch` (0: none). Reports repeat their character pairs, so a small
 * memo of recent lookups, which stays in cache, answers most of them. */
static inline int32_t trie_child(const JiebaDict *d, int32_t node, Py_UCS4 ch) {
    if (node == 0 && ch < 0x10000) return d->root[ch];
    uint64_t key = ((uint64_t)node << 21) | ch;
    uint64_t *slot = d->memo + ((key * GOLDEN) >> (64 - MEMO_BITS));
    if ((*slot & MEMO_KEY) == key) return (int32_t)(*slot >> 41);
    int32_t child = trie_search(d, node, ch);
    *slot = key | ((uint64_t)child << 41);
    return child;
}

static inline int ascii_space(Py_UCS4 ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == 0x0b || ch == 0x0c;
}

static void jieba_dict_capsule_free(PyObject *capsule) {
    jieba_dict_free(PyCapsule_GetPointer(capsule, JIEBA_DICT_CAPSULE));
}

PyDoc_STRVAR(jieba_dict_doc,
"jieba_dict(text, name) -> capsule\n\n"
"jieba's dictionary from the text of its dict.txt (lines `word freq [tag]`), read as\n"
"jieba's gen_pfdict does: a later line for the same word replaces its frequency, the total\n"
"sums every line. `name` is only used in error messages.");

static PyObject *jieba_dict(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text;
    const char *name;
    if (!PyArg_ParseTuple(args, "Us", &text, &name)) return NULL;
    Builder b = {0};
    b.cap_nodes = 1 << 16;
    b.freq = malloc(b.cap_nodes * sizeof(int64_t));
    b.root = calloc(0x10000, sizeof(int32_t));
    if (!b.freq || !b.root || trie_slots_alloc(&b, 16) < 0) { builder_free(&b); return PyErr_NoMemory(); }
    b.n_nodes = 1;
    b.freq[0] = 0;
    int kind = PyUnicode_KIND(text);
    const void *raw = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), pos = 0, lineno = 0;
    int64_t total = 0;
    while (pos < len) {
        Py_ssize_t end = pos;
        while (end < len && PyUnicode_READ(kind, raw, end) != '\n') end++;
        Py_ssize_t next = end + 1, s = pos, e = end;
        lineno++;
        while (s < e && ascii_space(PyUnicode_READ(kind, raw, s))) s++;
        while (e > s && ascii_space(PyUnicode_READ(kind, raw, e - 1))) e--;
        Py_ssize_t w = s;
        while (w < e && PyUnicode_READ(kind, raw, w) != ' ') w++;
        Py_ssize_t f = w + 1, fe = f;
        while (fe < e && PyUnicode_READ(kind, raw, fe) != ' ') fe++;
        int64_t freq = 0;
        int ok = w < e && fe > f && fe - f < 18;
        for (Py_ssize_t i = f; ok && i < fe; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, raw, i);
            if (ch < '0' || ch > '9') ok = 0;
            else freq = freq * 10 + (ch - '0');
        }
        if (!ok) {
            builder_free(&b);
            PyErr_Format(PyExc_ValueError, "invalid dictionary entry in %s at line %zd", name, lineno);
            return NULL;
        }
        int32_t node = 0;
        for (Py_ssize_t i = s; i < w; i++) {
            node = trie_add(&b, node, PyUnicode_READ(kind, raw, i));
            if (node < 0) { builder_free(&b); return PyErr_NoMemory(); }
        }
        b.freq[node] = freq;
        total += freq;
        pos = next;
    }
    JiebaDict *d = builder_freeze(&b, (double)total);
    builder_free(&b);
    if (!d) return PyErr_NoMemory();
    PyObject *capsule = PyCapsule_New(d, JIEBA_DICT_CAPSULE, jieba_dict_capsule_free);
    if (!capsule) jieba_dict_free(d);
    return capsule;
}

static inline int jieba_block_char(Py_UCS4 ch) {
    return (ch >= 0x4E00 && ch <= 0x9FD5) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9') || ch == '+' || ch == '#' || ch == '&' || ch == '.' || ch == '_'
        || ch == '%' || ch == '-';
}

static inline int jieba_eng_char(Py_UCS4 ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Scratch space for one text: its code points and the DP route. */
typedef struct {
    Py_UCS4 *codes;
    double *score;
    Py_ssize_t *next;
    Py_ssize_t cap;
} Cut;

static int cut_reserve(Cut *c, Py_ssize_t len) {
    if (len + 1 <= c->cap) return 0;
    Py_ssize_t cap = len + 1 > 2 * c->cap ? len + 1 : 2 * c->cap;
    Py_UCS4 *codes = realloc(c->codes, cap * sizeof(Py_UCS4));
    if (codes) c->codes = codes;
    double *score = realloc(c->score, cap * sizeof(double));
    if (score) c->score = score;
    Py_ssize_t *next = realloc(c->next, cap * sizeof(Py_ssize_t));
    if (next) c->next = next;
    if (!codes || !score || !next) { PyErr_NoMemory(); return -1; }
    c->cap = cap;
    return 0;
}

static void cut_free(Cut *c) { free(c->codes); free(c->score); free(c->next); }

/* Token spans of `text` as jieba HMM-off cuts it, whitespace tokens left out:
 * emit(ctx, start, end) is called per token in order; it returns -1 to stop with an error. */
typedef int (*EmitFn)(void *ctx, const Py_UCS4 *codes, Py_ssize_t start, Py_ssize_t end);

static int jieba_cut_text(const JiebaDict *d, Cut *c, PyObject *text, EmitFn emit, void *ctx) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (cut_reserve(c, len) < 0) return -1;
    if (!PyUnicode_AsUCS4(text, c->codes, c->cap, 0)) return -1;
    const Py_UCS4 *codes = c->codes;
    Py_ssize_t i = 0;
    while (i < len) {
        if (!jieba_block_char(codes[i])) {
            if (!Py_UNICODE_ISSPACE(codes[i]) && emit(ctx, codes, i, i + 1) < 0) return -1;
            i++;
            continue;
        }
        Py_ssize_t s = i, e = i;
        while (e < len && jieba_block_char(codes[e])) e++;
        /* route[k] = max over words k..x of (log f - log total) + route[x + 1]; ties go to the larger x */
        c->score[e] = 0.0;
        for (Py_ssize_t k = e - 1; k >= s; k--) {
            double best = 0.0;
            Py_ssize_t best_x = -1;
            int32_t node = 0;
            for (Py_ssize_t x = k; x < e; x++) {
                node = trie_child(d, node, codes[x]);
                if (!node) break;
                double logf = d->node[node].logf;
                if (logf >= 0.0) {
                    double sc = logf - d->logtotal + c->score[x + 1];
                    if (best_x < 0 || sc >= best) { best = sc; best_x = x; }
                }
            }
            if (best_x < 0) {  /* no word starts here: the character alone, frequency `or 1` */
                best = 0.0 - d->logtotal + c->score[k + 1];
                best_x = k;
            }
            c->score[k] = best;
            c->next[k] = best_x + 1;
        }
        Py_ssize_t x = s, buf = -1;
        while (x < e) {
            Py_ssize_t y = c->next[x];
            if (y - x == 1 && jieba_eng_char(codes[x])) {
                if (buf < 0) buf = x;
            } else {
                if (buf >= 0 && emit(ctx, codes, buf, x) < 0) return -1;
                buf = -1;
                if (emit(ctx, codes, x, y) < 0) return -1;
            }
            x = y;
        }
        if (buf >= 0 && emit(ctx, codes, buf, e) < 0) return -1;
        i = e;
    }
    return 0;
}

static int emit_str(void *ctx, const Py_UCS4 *codes, Py_ssize_t start, Py_ssize_t end) {
    PyObject *word = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, codes + start, end - start);
    if (!word) return -1;
    int rc = PyList_Append((PyObject *)ctx, word);
    Py_DECREF(word);
    return rc;
}

PyDoc_STRVAR(jieba_cut_doc,
"jieba_cut(dictionary, text) -> list of str\n\n"
"jieba.lcut(text, HMM=False) without its whitespace tokens.");

static PyObject *jieba_cut(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *capsule, *text;
    if (!PyArg_ParseTuple(args, "OU", &capsule, &text)) return NULL;
    JiebaDict *d = PyCapsule_GetPointer(capsule, JIEBA_DICT_CAPSULE);
    if (!d) return NULL;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Cut c = {0};
    if (jieba_cut_text(d, &c, text, emit_str, out) < 0) Py_CLEAR(out);
    cut_free(&c);
    return out;
}

/* ------------------------------------------------------------------ word index: word → id in C */

typedef struct {
    uint64_t *hash;     /* per slot; 0 for an empty slot */
    int64_t *id;
    Py_ssize_t *start, *len;   /* the word's code points in `pool` */
    Py_UCS4 *pool;
    uint64_t mask;
} WordIndex;

static void word_index_free(WordIndex *w) {
    if (!w) return;
    free(w->hash); free(w->id); free(w->start); free(w->len); free(w->pool); free(w);
}

static void word_index_capsule_free(PyObject *capsule) {
    word_index_free(PyCapsule_GetPointer(capsule, WORD_INDEX_CAPSULE));
}

static inline uint64_t span_hash(const Py_UCS4 *codes, Py_ssize_t n) {
    uint64_t h = 0x243F6A8885A308D3ULL ^ (uint64_t)n;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ codes[i]) * 0x100000001B3ULL + (h >> 29);
    return h | 1;  /* never 0, the empty-slot mark */
}

static int64_t word_index_get(const WordIndex *w, const Py_UCS4 *codes, Py_ssize_t n) {
    uint64_t h = span_hash(codes, n);
    uint64_t slot = (h * GOLDEN) & w->mask;
    for (;;) {
        uint64_t k = w->hash[slot];
        if (k == 0) return -1;
        if (k == h && w->len[slot] == n && !memcmp(w->pool + w->start[slot], codes, n * sizeof(Py_UCS4)))
            return w->id[slot];
        slot = (slot + 1) & w->mask;
    }
}

PyDoc_STRVAR(word_index_doc,
"word_index(index) -> capsule\n\n"
"A C copy of a dict word → id (ids >= 0), for jieba_word_tfidf.");

static PyObject *word_index(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *index;
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &index)) return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(index), size = 16, chars = 0, pos = 0;
    while (size < 2 * n + 2) size *= 2;
    PyObject *key, *value;
    while (PyDict_Next(index, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) { PyErr_SetString(PyExc_TypeError, "word index keys must be str"); return NULL; }
        chars += PyUnicode_GET_LENGTH(key);
    }
    WordIndex *w = calloc(1, sizeof(WordIndex));
    if (!w) return PyErr_NoMemory();
    w->hash = calloc(size, sizeof(uint64_t));
    w->id = malloc(size * sizeof(int64_t));
    w->start = malloc(size * sizeof(Py_ssize_t));
    w->len = malloc(size * sizeof(Py_ssize_t));
    w->pool = malloc((chars + 1) * sizeof(Py_UCS4));
    w->mask = (uint64_t)size - 1;
    if (!w->hash || !w->id || !w->start || !w->len || !w->pool) { word_index_free(w); return PyErr_NoMemory(); }
    Py_ssize_t used = 0;
    pos = 0;
    while (PyDict_Next(index, &pos, &key, &value)) {
        long long id = PyLong_AsLongLong(value);
        if (id == -1 && PyErr_Occurred()) { word_index_free(w); return NULL; }
        Py_ssize_t len = PyUnicode_GET_LENGTH(key);
        Py_UCS4 *codes = w->pool + used;
        if (len && !PyUnicode_AsUCS4(key, codes, len, 0)) { word_index_free(w); return NULL; }
        uint64_t h = span_hash(codes, len);
        uint64_t slot = (h * GOLDEN) & w->mask;
        while (w->hash[slot]) slot = (slot + 1) & w->mask;
        w->hash[slot] = h;
        w->id[slot] = id;
        w->start[slot] = used;
        w->len[slot] = len;
        used += len;
    }
    PyObject *capsule = PyCapsule_New(w, WORD_INDEX_CAPSULE, word_index_capsule_free);
    if (!capsule) word_index_free(w);
    return capsule;
}

static int emit_word(void *ctx, const Py_UCS4 *codes, Py_ssize_t start, Py_ssize_t end) {
    WordRow *w = ctx;
    return word_row_push(w, word_index_get(w->index, codes + start, end - start));
}

PyDoc_STRVAR(jieba_word_tfidf_doc,
"jieba_word_tfidf(texts, dictionary, index, base, n_max, table_pairs, idf, sublinear, closed)\n"
"    -> (indptr, indices, data)\n\n"
"word_tfidf of the texts' jieba HMM-off words (jieba_cut), without making the words as str.");

static PyObject *jieba_word_tfidf(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts, *dcap, *icap, *pairs, *idf;
    long long base;
    int n_max, sublinear, closed;
    if (!PyArg_ParseTuple(args, "O!OOLiOOpp", &PyList_Type, &texts, &dcap, &icap, &base, &n_max,
                          &pairs, &idf, &sublinear, &closed))
        return NULL;
    if (n_max < 1 || n_max > 2 || base < 1) {
        PyErr_SetString(PyExc_ValueError, "n_max must be 1 or 2 and base >= 1");
        return NULL;
    }
    JiebaDict *d = PyCapsule_GetPointer(dcap, JIEBA_DICT_CAPSULE);
    WordIndex *index = d ? PyCapsule_GetPointer(icap, WORD_INDEX_CAPSULE) : NULL;
    if (!index) return NULL;
    Py_ssize_t rows = PyList_GET_SIZE(texts);
    Job j;
    if (job_open(&j, pairs, idf, texts, n_max) < 0) return NULL;
    Cut c = {0};
    WordRow w = {&j, index, base, n_max, closed, -1, 0};
    for (Py_ssize_t r = 0; r < rows; r++) {
        PyObject *text = PyList_GET_ITEM(texts, r);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is not a str", r);
            goto fail;
        }
        if (jieba_cut_text(d, &c, text, emit_word, &w) < 0) goto fail;
        if (word_row_finish(&w, r, sublinear) < 0) goto fail;
    }
    cut_free(&c);
    return job_finish(&j, 1);
fail:
    cut_free(&c);
    return job_finish(&j, 0);
}

/* Words of a title or heading, each looked up as `P:word` (P: T, H or N), as features.ContextAnalyzer. */
typedef struct {
    WordRow w;
    Py_UCS4 *buf;
    Py_ssize_t cap;
    Py_UCS4 prefix;
} Prefixed;

static int prefixed_push(Prefixed *p, const Py_UCS4 *codes, Py_ssize_t n) {
    if (n + 2 > p->cap) {
        Py_ssize_t cap = 2 * (n + 2);
        Py_UCS4 *buf = realloc(p->buf, cap * sizeof(Py_UCS4));
        if (!buf) { PyErr_NoMemory(); return -1; }
        p->buf = buf;
        p->cap = cap;
    }
    p->buf[0] = p->prefix;
    p->buf[1] = ':';
    memcpy(p->buf + 2, codes, n * sizeof(Py_UCS4));
    return word_row_push(&p->w, word_index_get(p->w.index, p->buf, n + 2));
}

static int emit_prefixed(void *ctx, const Py_UCS4 *codes, Py_ssize_t start, Py_ssize_t end) {
    return prefixed_push(ctx, codes + start, end - start);
}

/* `P:<none>`: the token of a missing title or heading path. */
static int prefixed_none(Prefixed *p) {
    static const Py_UCS4 none[] = {'<', 'n', 'o', 'n', 'e', '>'};
    return prefixed_push(p, none, 6);
}

static int prefixed_cut(Prefixed *p, const JiebaDict *d, Cut *c, Py_UCS4 prefix, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "titles and headings must be str");
        return -1;
    }
    p->prefix = prefix;
    return jieba_cut_text(d, c, text, emit_prefixed, p);
}

PyDoc_STRVAR(jieba_context_tfidf_doc,
"jieba_context_tfidf(contexts, dictionary, index, table_pairs, idf, sublinear) -> (indptr, indices, data)\n\n"
"TF-IDF rows of the context tokens of (title, headings) pairs, as features.ContextAnalyzer\n"
"makes them: T:word for the title's words (T:<none> without a title), H:word for every\n"
"heading's, N:word for the nearest heading's (H:<none> without headings); jieba HMM-off words.");

static PyObject *jieba_context_tfidf(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *contexts, *dcap, *icap, *pairs, *idf;
    int sublinear;
    if (!PyArg_ParseTuple(args, "O!OOOOp", &PyList_Type, &contexts, &dcap, &icap, &pairs, &idf, &sublinear))
        return NULL;
    JiebaDict *d = PyCapsule_GetPointer(dcap, JIEBA_DICT_CAPSULE);
    WordIndex *index = d ? PyCapsule_GetPointer(icap, WORD_INDEX_CAPSULE) : NULL;
    if (!index) return NULL;
    Py_ssize_t rows = PyList_GET_SIZE(contexts);
    Job j;
    if (job_open(&j, pairs, idf, contexts, 4) < 0) return NULL;
    Cut c = {0};
    Prefixed p = {{&j, index, 1, 1, 0, -1, 0}, NULL, 0, 0};
    for (Py_ssize_t r = 0; r < rows; r++) {
        PyObject *context = PyList_GET_ITEM(contexts, r), *title, *headings;
        if (!PyTuple_Check(context) || PyTuple_GET_SIZE(context) != 2
            || !PyTuple_Check(headings = PyTuple_GET_ITEM(context, 1))) {
            PyErr_Format(PyExc_TypeError, "contexts[%zd] is not a (title, headings tuple) pair", r);
            goto fail;
        }
        title = PyTuple_GET_ITEM(context, 0);
        Py_ssize_t n_headings = PyTuple_GET_SIZE(headings);
        if (!PyUnicode_Check(title)) {
            PyErr_Format(PyExc_TypeError, "contexts[%zd]: the title is not a str", r);
            goto fail;
        }
        p.prefix = 'T';
        if (PyUnicode_GET_LENGTH(title) ? prefixed_cut(&p, d, &c, 'T', title) < 0 : prefixed_none(&p) < 0) goto fail;
        for (Py_ssize_t h = 0; h < n_headings; h++)
            if (prefixed_cut(&p, d, &c, 'H', PyTuple_GET_ITEM(headings, h)) < 0) goto fail;
        p.prefix = 'H';
        if (n_headings ? prefixed_cut(&p, d, &c, 'N', PyTuple_GET_ITEM(headings, n_headings - 1)) < 0
                       : prefixed_none(&p) < 0) goto fail;
        if (word_row_finish(&p.w, r, sublinear) < 0) goto fail;
    }
    free(p.buf);
    cut_free(&c);
    return job_finish(&j, 1);
fail:
    free(p.buf);
    cut_free(&c);
    return job_finish(&j, 0);
}

/* ------------------------------------------------------------------ linear heads */

PyDoc_STRVAR(csr_scores_doc,
"csr_scores(indptr, indices, data, offset, weights, out) -> None\n\n"
"out[i, :] += sum over row i of data[jj] * weights[indices[jj] + offset, :], in the order of\n"
"scipy's csr_matvecs (so the sums are the same numbers as X @ W): indptr int64, indices\n"
"int32, data and weights float64, weights (n_features, k) and out (n_rows, k) C-contiguous.");

static PyObject *csr_scores(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *o_indptr, *o_indices, *o_data, *o_weights, *o_out;
    Py_ssize_t offset;
    if (!PyArg_ParseTuple(args, "OOOnOO", &o_indptr, &o_indices, &o_data, &offset, &o_weights, &o_out)) return NULL;
    Py_buffer indptr = {0}, indices = {0}, data = {0}, weights = {0}, out = {0};
    PyObject *result = NULL;
    if (PyObject_GetBuffer(o_indptr, &indptr, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(o_indices, &indices, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(o_data, &data, PyBUF_C_CONTIGUOUS) < 0
        || PyObject_GetBuffer(o_weights, &weights, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0
        || PyObject_GetBuffer(o_out, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        goto done;
    if (weights.ndim != 2 || out.ndim != 2 || weights.shape[1] != out.shape[1]
        || weights.itemsize != sizeof(double) || out.itemsize != sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "weights (n_features, k) and out (n_rows, k) must be float64 with the same k");
        goto done;
    }
    Py_ssize_t rows = out.shape[0], k = out.shape[1], n_features = weights.shape[0];
    Py_ssize_t nnz = data.len / (Py_ssize_t)sizeof(double);
    const int64_t *ip = indptr.buf;
    const int32_t *ix = indices.buf;
    const double *dx = data.buf, *w = weights.buf;
    double *y = out.buf;
    if (indptr.len != (rows + 1) * (Py_ssize_t)sizeof(int64_t) || indices.len != nnz * (Py_ssize_t)sizeof(int32_t)
        || ip[0] != 0 || ip[rows] != nnz) {
        PyErr_SetString(PyExc_ValueError, "indptr, indices and data do not make a CSR matrix of out's rows");
        goto done;
    }
    for (Py_ssize_t i = 0; i < rows; i++) {
        double *yi = y + i * k;
        for (int64_t jj = ip[i]; jj < ip[i + 1]; jj++) {
            Py_ssize_t col = (Py_ssize_t)ix[jj] + offset;
            if (col < 0 || col >= n_features) {
                PyErr_SetString(PyExc_ValueError, "a column index is outside the weights");
                goto done;
            }
            if (jj + 16 < ip[i + 1]) {  /* the weights are larger than the cache: ask for them early */
                const double *ahead = w + ((Py_ssize_t)ix[jj + 16] + offset) * k;
                PREFETCH(ahead);
                PREFETCH(ahead + k - 1);
            }
            const double a = dx[jj], *wj = w + col * k;
            for (Py_ssize_t c = 0; c < k; c++) yi[c] += a * wj[c];
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (indptr.obj) PyBuffer_Release(&indptr);
    if (indices.obj) PyBuffer_Release(&indices);
    if (data.obj) PyBuffer_Release(&data);
    if (weights.obj) PyBuffer_Release(&weights);
    if (out.obj) PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"gram_counts", gram_counts, METH_VARARGS, gram_counts_doc},
    {"char_tfidf", char_tfidf, METH_VARARGS, char_tfidf_doc},
    {"word_tfidf", word_tfidf, METH_VARARGS, word_tfidf_doc},
    {"jieba_dict", jieba_dict, METH_VARARGS, jieba_dict_doc},
    {"jieba_cut", jieba_cut, METH_VARARGS, jieba_cut_doc},
    {"jieba_dict_arrays", jieba_dict_arrays, METH_VARARGS, jieba_dict_arrays_doc},
    {"jieba_dict_from_arrays", jieba_dict_from_arrays, METH_VARARGS, jieba_dict_from_arrays_doc},
    {"word_index", word_index, METH_VARARGS, word_index_doc},
    {"jieba_word_tfidf", jieba_word_tfidf, METH_VARARGS, jieba_word_tfidf_doc},
    {"jieba_context_tfidf", jieba_context_tfidf, METH_VARARGS, jieba_context_tfidf_doc},
    {"csr_scores", csr_scores, METH_VARARGS, csr_scores_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "C inner loops of edu_clf.vectorize (optional: the numpy path is used without them).", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "VERSION", KERNELS_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
