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

#define KERNELS_VERSION 1
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
    Py_ssize_t lo, hi;  /* the words of `seen` the current row touched: [lo, hi) */
    Py_ssize_t distinct;
} Row;

typedef struct {
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
    if (w < r->lo) r->lo = w;
    if (w >= r->hi) r->hi = w + 1;
}

static int out_reserve(Out *o, Py_ssize_t extra) {
    if (o->n + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 4096;
    while (cap < o->n + extra) cap *= 2;
    int32_t *ind = realloc(o->indices, cap * sizeof(int32_t));
    if (!ind) { PyErr_NoMemory(); return -1; }
    o->indices = ind;
    double *dat = realloc(o->data, cap * sizeof(double));
    if (!dat) { PyErr_NoMemory(); return -1; }
    o->data = dat;
    o->cap = cap;
    return 0;
}

/* Close one row: columns in order, tf (log(count) + 1 if sublinear) * idf, l2-normalized. */
static int row_finish(Row *r, Out *o, Py_ssize_t row, const double *idf, int sublinear) {
    if (out_reserve(o, r->distinct) < 0) return -1;
    Py_ssize_t start = o->n;
    for (Py_ssize_t w = r->lo; w < r->hi; w++) {
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
    double norm = 0.0;
    for (Py_ssize_t i = start; i < o->n; i++) norm += o->data[i] * o->data[i];
    norm = sqrt(norm);
    if (norm > 0.0)
        for (Py_ssize_t i = start; i < o->n; i++) o->data[i] /= norm;
    o->indptr[row + 1] = o->n;
    r->lo = PY_SSIZE_T_MAX;
    r->hi = 0;
    r->distinct = 0;
    return 0;
}

static PyObject *out_result(Out *o, Py_ssize_t rows) {
    PyObject *indptr = PyByteArray_FromStringAndSize((const char *)o->indptr, (rows + 1) * sizeof(int64_t));
    PyObject *indices = PyByteArray_FromStringAndSize((const char *)o->indices, o->n * sizeof(int32_t));
    PyObject *data = PyByteArray_FromStringAndSize((const char *)o->data, o->n * sizeof(double));
    if (!indptr || !indices || !data) {
        Py_XDECREF(indptr); Py_XDECREF(indices); Py_XDECREF(data);
        return NULL;
    }
    return Py_BuildValue("(NNN)", indptr, indices, data);
}

static void out_free(Out *o, Row *r) {
    free(o->indptr); free(o->indices); free(o->data); free(r->count); free(r->seen);
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
    r->lo = PY_SSIZE_T_MAX;
    r->hi = 0;
    if (!r->count || !r->seen) { PyErr_NoMemory(); return -1; }
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

static int job_open(Job *j, PyObject *pairs, PyObject *idf, Py_ssize_t rows) {
    memset(j, 0, sizeof(*j));
    j->rows = rows;
    if (tables_open(&j->t, pairs, idf) < 0) return -1;
    j->o.indptr = calloc(rows + 1, sizeof(int64_t));
    if (!j->o.indptr) { PyErr_NoMemory(); job_free(j); return -1; }
    if (row_open(&j->r, j->t.n_cols) < 0) { job_free(j); return -1; }
    return 0;
}

/* The CSR parts, or NULL after an error; frees the job either way. */
static PyObject *job_finish(Job *j, int ok) {
    PyObject *result = ok ? out_result(&j->o, j->rows) : NULL;
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
    if (job_open(&j, pairs, idf, rows) < 0) return NULL;
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
    if (job_open(&j, pairs, idf, rows) < 0) return NULL;
    for (Py_ssize_t d = 0; d < rows; d++) {
        PyObject *tokens = PyList_GET_ITEM(lists, d);
        if (!PyList_Check(tokens)) {
            PyErr_Format(PyExc_TypeError, "token_lists[%zd] is not a list", d);
            goto fail;
        }
        int64_t prev = -1;
        int prev_found = 0;
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
            int found = 0;
            if (id >= 0) {
                found = push_found(&j.r, &j.t, id);
                if (found < 0) goto fail;
                if (n_max >= 2 && prev >= 0 && (!closed || (found && prev_found))
                    && push_found(&j.r, &j.t, base + prev * base + id) < 0) goto fail;
            }
            prev = id;
            prev_found = found;
        }
        if (row_finish(&j.r, &j.o, d, j.t.idf.buf, sublinear) < 0) goto fail;
    }
    return job_finish(&j, 1);
fail:
    return job_finish(&j, 0);
}

PyDoc_STRVAR(gram_counts_doc,
"gram_counts(texts, n_max, table_pairs, n_groups) -> bytearray of float64, shape (len(texts), n_groups)\n\n"
"Per text, how many of its character 1..n_max-grams (keys as in char_tfidf, no whitespace\n"
"collapsing) are in the table; a key's value is a bit mask of the groups it counts for.");

static PyObject *gram_counts(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts, *pairs;
    int n_max, n_groups;
    if (!PyArg_ParseTuple(args, "O!iOi", &PyList_Type, &texts, &n_max, &pairs, &n_groups))
        return NULL;
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

static PyMethodDef methods[] = {
    {"gram_counts", gram_counts, METH_VARARGS, gram_counts_doc},
    {"char_tfidf", char_tfidf, METH_VARARGS, char_tfidf_doc},
    {"word_tfidf", word_tfidf, METH_VARARGS, word_tfidf_doc},
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
