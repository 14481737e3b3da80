/* The C reference for `make bench` (issue #7): a plain libfcgi + libsqlite3 responder doing
 * the same work as salesd for three routes, written as a competent C programmer would:
 *
 *   GET  /healthz                        "ok" + "database: ok" after one indexed read, no session
 *                                        (salesd adds the pool's lines from shared memory)
 *   GET  /crm/customers[?…after=…]       session row → user → permissions, the customer-list
 *                                        SELECT of Plugins/CustomerDevelopment/CustomerPages.swift
 *                                        (50 rows + 1, in 拼音 order: the stored name_sort key),
 *                                        every cell HTML-escaped after its card label cell, the
 *                                        keyset pager carrying name_sort, the page laid out from a
 *                                        captured salesd page (--template, see run.py)
 *   POST /crm/customers/<id>/contacts    session, CSRF, urldecode, validate, then in one
 *                                        BEGIN IMMEDIATE: idempotency key check, customer
 *                                        visibility, INSERT crm_contacts, INSERT audit_log,
 *                                        INSERT idempotency_keys; 303
 *
 * N worker threads, each with its own FCGX_Request and its own SQLite connection (WAL, the
 * same pragmas and busy timeout as Sources/SQLiteStore/SQLiteDatabase.swift), statements
 * prepared once per thread; writes serialized by one process-wide mutex (salesd's WriteGate).
 * One access-log line per request to stderr, like salesd.
 *
 * Build: gcc -O2 -pthread -o ref ref.c -lfcgi -lsqlite3
 * Run:   ref --socket PATH --db PATH --template FILE [--threads 4] [--sync FULL|NORMAL]
 */
#define _GNU_SOURCE
#include <fcgiapp.h>
#include <sqlite3.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *db_path, *sync_mode = "FULL";
static int listen_fd;
static pthread_mutex_t write_gate = PTHREAD_MUTEX_INITIALIZER;
static const int session_minutes = 480;
/* The captured page, split at @CSRF@ @USER@ @ROWS@ @PAGER@ (in that order). */
static char *tpl[5];
static size_t tpl_len[5];

/* ------------------------------------------------------------------ output buffer */
typedef struct { char *p; size_t n, cap; } buf;
static void reserve(buf *b, size_t more) {
    if (b->n + more <= b->cap) return;
    while (b->n + more > b->cap) b->cap = b->cap ? b->cap * 2 : 65536;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
}
static void put(buf *b, const char *s, size_t n) { reserve(b, n); memcpy(b->p + b->n, s, n); b->n += n; }
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }
static void putf(buf *b, const char *fmt, ...) {
    va_list ap;
    reserve(b, 256);
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if ((size_t)n >= b->cap - b->n) { reserve(b, n + 1); va_start(ap, fmt); vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap); va_end(ap); }
    b->n += n;
}
/* The same escaping as swift-mustache: & < > " ' */
static void esc(buf *b, const unsigned char *s) {
    if (!s) return;
    reserve(b, strlen((const char *)s) * 6);
    char *o = b->p + b->n;
    for (; *s; s++) {
        switch (*s) {
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        case '\'': memcpy(o, "&#39;", 5); o += 5; break;
        default: *o++ = (char)*s;
        }
    }
    b->n = o - b->p;
}

/* ------------------------------------------------------------------ per-thread state */
enum { S_SESSION, S_TOUCH, S_USER, S_PERMS, S_LIST_OWN, S_LIST_ALL, S_LIST_OWN_AFTER, S_LIST_ALL_AFTER, S_OWNERS, S_BEGIN, S_COMMIT, S_ROLLBACK,
       S_IDEM_GET, S_IDEM_GC, S_CUSTOMER, S_CONTACT, S_AUDIT, S_IDEM_PUT, S_HEALTH, S_COUNT };
static const char *SQL[S_COUNT] = {
    [S_SESSION] = "SELECT user_id, csrf_token, expires_at, last_seen, ended FROM sessions WHERE id = ?",
    [S_TOUCH] = "UPDATE sessions SET last_seen = ?, expires_at = ? WHERE id = ?",
    [S_USER] = "SELECT id, username, display_name, department FROM users WHERE id = ? AND active = 1",
    [S_PERMS] = "SELECT DISTINCT rp.permission FROM role_permissions rp JOIN user_roles ur ON ur.role_id = rp.role_id "
                "WHERE ur.user_id = ?",
    [S_LIST_OWN] = "SELECT c.id, c.code, c.name, c.status, c.rating_class, c.stage, c.city, c.in_city, c.rated_at, "
                   "COALESCE(u.display_name, '') AS owner_name, c.name_sort "
                   "FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id "
                   "WHERE c.owner_id = ? ORDER BY c.name_sort ASC, c.id ASC LIMIT ? OFFSET ?",
    [S_LIST_ALL] = "SELECT c.id, c.code, c.name, c.status, c.rating_class, c.stage, c.city, c.in_city, c.rated_at, "
                   "COALESCE(u.display_name, '') AS owner_name, c.name_sort "
                   "FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id "
                   "WHERE 1 = 1 ORDER BY c.name_sort ASC, c.id ASC LIMIT ? OFFSET ?",
    /* Keyset paging (ListQuery.seek): the page after the row (name_sort, id) of the previous page.
       name_sort is the 拼音 sort key salesd stores with every name (PinyinSortKey, #16 point 10). */
    [S_LIST_OWN_AFTER] = "SELECT c.id, c.code, c.name, c.status, c.rating_class, c.stage, c.city, c.in_city, c.rated_at, "
                         "COALESCE(u.display_name, '') AS owner_name, c.name_sort "
                         "FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id "
                         "WHERE c.owner_id = ? AND (c.name_sort, c.id) > (?, ?) ORDER BY c.name_sort ASC, c.id ASC LIMIT ? OFFSET 0",
    [S_LIST_ALL_AFTER] = "SELECT c.id, c.code, c.name, c.status, c.rating_class, c.stage, c.city, c.in_city, c.rated_at, "
                         "COALESCE(u.display_name, '') AS owner_name, c.name_sort "
                         "FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id "
                         "WHERE 1 = 1 AND (c.name_sort, c.id) > (?, ?) ORDER BY c.name_sort ASC, c.id ASC LIMIT ? OFFSET 0",
    [S_OWNERS] = "SELECT u.id, u.display_name FROM users u "
                 "WHERE EXISTS (SELECT 1 FROM crm_customers c WHERE c.owner_id = u.id) ORDER BY u.display_name",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_IDEM_GET] = "SELECT location FROM idempotency_keys WHERE user_id = ? AND key = ?",
    [S_IDEM_GC] = "DELETE FROM idempotency_keys WHERE created_at < ?",
    [S_CUSTOMER] = "SELECT owner_id FROM crm_customers WHERE id = ?",
    [S_CONTACT] = "INSERT INTO crm_contacts (customer_id, kind, contact_date, person, summary, created_by, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    [S_AUDIT] = "INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason, address) "
                "VALUES (?, ?, ?, 'crm', 'crm.contact', ?, 'create', NULL, ?, NULL, ?)",
    [S_IDEM_PUT] = "INSERT INTO idempotency_keys (key, user_id, location, created_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (user_id, key) DO UPDATE SET location = excluded.location",
    [S_HEALTH] = "SELECT version FROM schema_migrations LIMIT 1",
};

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
    buf out, body, form;
    FCGX_Request req;
} worker;

typedef struct {
    long long id;
    char username[64], display[128], csrf[80];
    int can_use, view_all;
} user;

static sqlite3_stmt *stmt(worker *w, int i) {
    if (!w->st[i] && sqlite3_prepare_v3(w->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s: %s\n", sqlite3_errmsg(w->db), SQL[i]);
        abort();
    }
    return w->st[i];
}
static void done(sqlite3_stmt *s) { sqlite3_reset(s); sqlite3_clear_bindings(s); }
static int step_done(worker *w, int i) { sqlite3_stmt *s = stmt(w, i); int rc = sqlite3_step(s); done(s); return rc == SQLITE_DONE || rc == SQLITE_ROW; }

/* ------------------------------------------------------------------ HTTP helpers */
static void respond(worker *w, int status, const char *reason, const char *ctype, const char *extra, const char *body, size_t n) {
    char head[1024];
    int h = snprintf(head, sizeof head, "Status: %d %s\r\n%s%s%s%sCache-Control: no-store\r\nContent-Length: %zu\r\n\r\n",
                     status, reason, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "", extra ? extra : "", n);
    FCGX_PutStr(head, h, w->req.out);
    if (n) FCGX_PutStr(body, (int)n, w->req.out);
}
static void text(worker *w, int status, const char *reason, const char *msg) {
    respond(w, status, reason, "text/plain; charset=utf-8", NULL, msg, strlen(msg));
}
static int hexval(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }
static int is_hex(const char *s, size_t n) { for (size_t i = 0; i < n; i++) if (hexval((unsigned char)s[i]) < 0) return 0; return 1; }
/* In place: '+' → space, %XX → byte. Returns 0 on a malformed escape. */
static int urldecode(char *s) {
    char *o = s;
    for (; *s; s++) {
        if (*s == '+') *o++ = ' ';
        else if (*s == '%') {
            int a = hexval((unsigned char)s[1]), b = a < 0 ? -1 : hexval((unsigned char)s[2]);
            if (a < 0 || b < 0) return 0;
            *o++ = (char)(a * 16 + b);
            s += 2;
        } else *o++ = *s;
    }
    *o = 0;
    return 1;
}
/* The value of `name` in a urlencoded string (decoded into w->form), or NULL. */
typedef struct { char *k[16], *v[16]; int n; } form;
static int parse_form(char *s, form *f) {
    f->n = 0;
    for (char *save = NULL, *p = strtok_r(s, "&", &save); p && f->n < 16; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (eq) *eq++ = 0; else eq = p + strlen(p);
        if (!urldecode(p) || !urldecode(eq)) return 0;
        f->k[f->n] = p;
        f->v[f->n++] = eq;
    }
    return 1;
}
static const char *field(const form *f, const char *k) { for (int i = 0; i < f->n; i++) if (!strcmp(f->k[i], k)) return f->v[i]; return NULL; }
/* Trims ASCII blanks and U+3000 like FormSchema. */
static char *trim(char *s) {
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
        else if (!memcmp(s, "\xe3\x80\x80", 3)) s += 3;
        else break;
    }
    size_t n = strlen(s);
    for (;;) {
        if (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
        else if (n >= 3 && !memcmp(s + n - 3, "\xe3\x80\x80", 3)) n -= 3;
        else break;
    }
    s[n] = 0;
    return s;
}
static size_t chars(const char *s) { size_t n = 0; for (; *s; s++) if (((unsigned char)*s & 0xC0) != 0x80) n++; return n; }
static int ct_equal(const char *a, const char *b) {
    size_t n = strlen(a);
    if (n != strlen(b) || n == 0) return 0;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* ------------------------------------------------------------------ session */
/* 1 = valid session with user filled in; 0 = none (→ login). */
static int load_session(worker *w, user *u, time_t now) {
    const char *cookie = FCGX_GetParam("HTTP_COOKIE", w->req.envp);
    const char *sid = NULL;
    for (const char *p = cookie; p && *p;) {
        while (*p == ' ' || *p == ';') p++;
        if (!strncmp(p, "sid=", 4)) { sid = p + 4; break; }
        p = strchr(p, ';');
    }
    if (!sid || strcspn(sid, "; ") != 64 || !is_hex(sid, 64)) return 0;
    sqlite3_stmt *s = stmt(w, S_SESSION);
    sqlite3_bind_text(s, 1, sid, 64, SQLITE_STATIC);
    int ok = 0;
    long long uid = 0, last_seen = 0;
    if (sqlite3_step(s) == SQLITE_ROW && !sqlite3_column_int(s, 4) && sqlite3_column_int64(s, 2) > now) {
        uid = sqlite3_column_int64(s, 0);
        last_seen = sqlite3_column_int64(s, 3);
        snprintf(u->csrf, sizeof u->csrf, "%s", (const char *)sqlite3_column_text(s, 1));
        ok = 1;
    }
    done(s);
    if (!ok) return 0;
    s = stmt(w, S_USER);
    sqlite3_bind_int64(s, 1, uid);
    ok = sqlite3_step(s) == SQLITE_ROW;
    if (ok) {
        u->id = uid;
        snprintf(u->username, sizeof u->username, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(u->display, sizeof u->display, "%s", (const char *)sqlite3_column_text(s, 2));
    }
    done(s);
    if (!ok) return 0;
    u->can_use = u->view_all = 0;
    s = stmt(w, S_PERMS);
    sqlite3_bind_int64(s, 1, uid);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 0);
        if (!strcmp(p, "crm.use")) u->can_use = 1;
        else if (!strcmp(p, "crm.view_all")) u->view_all = 1;
    }
    done(s);
    if (now - last_seen >= 60) { /* sliding expiry, at most once a minute */
        pthread_mutex_lock(&write_gate);
        s = stmt(w, S_TOUCH);
        sqlite3_bind_int64(s, 1, now);
        sqlite3_bind_int64(s, 2, now + session_minutes * 60);
        sqlite3_bind_text(s, 3, sid, 64, SQLITE_STATIC);
        sqlite3_step(s);
        done(s);
        pthread_mutex_unlock(&write_gate);
    }
    return 1;
}

static const char *status_text(const char *s) {
    if (!s) return "";
    if (!strcmp(s, "prospect")) return "潜在客户";
    if (!strcmp(s, "customer")) return "正式客户";
    if (!strcmp(s, "closed")) return "已关闭";
    return "";
}

/* ------------------------------------------------------------------ GET /crm/customers */
/* URLEncoding.percentEncode: everything but RFC 3986 unreserved characters. */
static void pct(buf *b, const unsigned char *s) {
    static const char hex[] = "0123456789ABCDEF";
    reserve(b, strlen((const char *)s) * 3);
    char *o = b->p + b->n;
    for (; *s; s++) {
        unsigned char c = *s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
            *o++ = (char)c;
        else { *o++ = '%'; *o++ = hex[c >> 4]; *o++ = hex[c & 15]; }
    }
    b->n = o - b->p;
}
/* The keyset link of a row, HTML-escaped as the template does ({{nextHref}}): & → &amp;. */
static void cursor_link(buf *b, const char *dir, const char *key, long long id, long page) {
    putf(b, "/crm/customers?sort=name&amp;dir=asc&amp;%s=t", dir);
    pct(b, (const unsigned char *)key);
    putf(b, "&amp;%s_id=%lld&amp;page=%ld", dir, id, page);
}

static int customers(worker *w, const user *u, const char *query) {
    /* Query: page=N, after=t<name>&after_id=<id> (the links the page itself makes; the default
       sort only — the benchmark never changes it). */
    long page = 1;
    long long after_id = 0;
    char qbuf[8192], *after = NULL;
    int has_after_id = 0;
    snprintf(qbuf, sizeof qbuf, "%s", query ? query : "");
    for (char *save = NULL, *p = strtok_r(qbuf, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        if (!strncmp(p, "page=", 5)) page = strtol(p + 5, NULL, 10);
        else if (!strncmp(p, "after=", 6)) { after = p + 6; if (!urldecode(after)) after = NULL; }
        else if (!strncmp(p, "after_id=", 9)) { after_id = strtoll(p + 9, NULL, 10); has_after_id = 1; }
    }
    if (page < 1) page = 1;
    if (page > 100000) page = 100000;
    int cursor = after && has_after_id && after[0] == 't';
    sqlite3_stmt *s;
    int i = 1;
    s = stmt(w, u->view_all ? (cursor ? S_LIST_ALL_AFTER : S_LIST_ALL) : (cursor ? S_LIST_OWN_AFTER : S_LIST_OWN));
    if (!u->view_all) sqlite3_bind_int64(s, i++, u->id);
    if (cursor) {
        sqlite3_bind_text(s, i++, after + 1, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, i++, after_id);
    }
    sqlite3_bind_int(s, i++, 51);
    if (!cursor) sqlite3_bind_int64(s, i++, (page - 1) * 50);
    buf *b = &w->out;
    b->n = 0;
    put(b, tpl[0], tpl_len[0]);
    esc(b, (const unsigned char *)u->csrf);
    put(b, tpl[1], tpl_len[1]);
    esc(b, (const unsigned char *)u->display);
    put(b, tpl[2], tpl_len[2]);
    int rows = 0;
    /* The keyset links carry the sort value: the row's name_sort (up to ~1.5 KB for a 100-character name). */
    static __thread char first[4096], last[4096];
    first[0] = last[0] = 0;
    long long first_id = 0, last_id = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (++rows > 50) break;
        const char *key = (const char *)sqlite3_column_text(s, 10);
        long long id = sqlite3_column_int64(s, 0);
        if (rows == 1) { snprintf(first, sizeof first, "%s", key ? key : ""); first_id = id; }
        snprintf(last, sizeof last, "%s", key ? key : "");
        last_id = id;
        /* Each cell after its label cell (the card layout on a phone: list/page.mustache). */
        puts_(b, "  <tr>\n    <td class=\"cl\">客户代码</td><td class=\"code\">");
        esc(b, sqlite3_column_text(s, 1));
        putf(b, "</td>\n    <td class=\"cl\">企业名称</td><td><a href=\"/crm/customers/%lld\">", id);
        esc(b, sqlite3_column_text(s, 2));
        puts_(b, "</a></td>\n    <td class=\"cl\">状态</td><td>");
        puts_(b, status_text((const char *)sqlite3_column_text(s, 3)));
        puts_(b, "</td>\n    <td class=\"cl\">评级</td><td>");
        esc(b, sqlite3_column_text(s, 4));
        puts_(b, "</td>\n    <td class=\"cl\">阶段</td><td>");
        esc(b, sqlite3_column_text(s, 5));
        puts_(b, "</td>\n    <td class=\"cl\">所在地</td><td>");
        esc(b, sqlite3_column_text(s, 6));
        puts_(b, sqlite3_column_int(s, 7) ? "（市内）" : "（市外）");
        puts_(b, "</td>\n    <td class=\"cl\">负责人</td><td>");
        esc(b, sqlite3_column_text(s, 9));
        puts_(b, "</td>\n    <td class=\"cl\">最近评定</td><td class=\"nowrap\">");
        if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
            time_t t = (time_t)sqlite3_column_int64(s, 8);
            struct tm tm;
            char d[32];
            localtime_r(&t, &tm); /* TZ=Asia/Shanghai, set at start-up */
            put(b, d, strftime(d, sizeof d, "%Y-%m-%d %H:%M", &tm));
        }
        puts_(b, "</td>\n  </tr>\n");
    }
    done(s);
    if (u->view_all) { /* the owner filter's choices (not shown in the rep's page the benchmark uses) */
        s = stmt(w, S_OWNERS);
        while (sqlite3_step(s) == SQLITE_ROW) {}
        done(s);
    }
    int shown = rows > 50 ? 50 : rows;
    put(b, tpl[3], tpl_len[3]);
    puts_(b, "<nav class=\"pager no-print\" aria-label=\"分页\">\n  ");
    if (shown && (cursor || page > 1)) {
        puts_(b, "<a href=\"");
        cursor_link(b, "before", first, first_id, page > 1 ? page - 1 : 1);
        puts_(b, "\">‹ 上一页</a>");
    }
    putf(b, "\n  <span>第 %ld 页</span>\n  ", page);
    if (shown && rows > 50) {
        puts_(b, "<a href=\"");
        cursor_link(b, "after", last, last_id, page + 1);
        puts_(b, "\">下一页 ›</a>");
    }
    puts_(b, "\n  <a class=\"csv\" href=\"/crm/customers?sort=name&amp;dir=asc&amp;format=csv\">导出 CSV</a>\n</nav>");
    put(b, tpl[4], tpl_len[4]);
    respond(w, 200, "OK", "text/html; charset=utf-8", NULL, b->p, b->n);
    return (int)b->n;
}

/* ------------------------------------------------------------------ POST /crm/customers/<id>/contacts */
static int today_ok(const char *d, time_t now) {
    int y, m, dd;
    char extra;
    if (strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &extra) != 3 || d[4] != '-' || d[7] != '-') return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1]) return 0;
    if (m == 2 && dd == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    struct tm tm;
    char today[16];
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    return strcmp(d, today) <= 0; /* not in the future */
}

static int add_contact(worker *w, const user *u, long long cid, time_t now) {
    /* Body: application/x-www-form-urlencoded, at most 8 MiB like salesd. */
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", w->req.envp);
    const char *ct = FCGX_GetParam("CONTENT_TYPE", w->req.envp);
    long len = cl ? strtol(cl, NULL, 10) : 0;
    if (len < 0 || len > (8 << 20)) { text(w, 413, "Payload Too Large", "too large"); return 413; }
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33)) { text(w, 400, "Bad Request", "form expected"); return 400; }
    buf *b = &w->body;
    b->n = 0;
    reserve(b, len + 1);
    long got = 0;
    while (got < len) {
        int n = FCGX_GetStr(b->p + got, (int)(len - got), w->req.in);
        if (n <= 0) break;
        got += n;
    }
    if (got != len) { text(w, 400, "Bad Request", "short body"); return 400; }
    b->p[len] = 0;
    form f;
    if (!parse_form(b->p, &f)) { text(w, 400, "Bad Request", "bad encoding"); return 400; }
    const char *csrf = field(&f, "_csrf");
    if (!csrf || !ct_equal(csrf, u->csrf)) { text(w, 403, "Forbidden", "csrf"); return 403; }
    const char *idem = field(&f, "_idem");
    if (idem && *idem && (strlen(idem) > 64 || !is_hex(idem, strlen(idem)))) { text(w, 400, "Bad Request", "idem"); return 400; }
    /* Validation (the contact form of CustomerPages.swift). */
    char *kind = trim((char *)(field(&f, "kind") ? field(&f, "kind") : ""));
    char *date = trim((char *)(field(&f, "contact_date") ? field(&f, "contact_date") : ""));
    char *person = trim((char *)(field(&f, "person") ? field(&f, "person") : ""));
    char *summary = trim((char *)(field(&f, "summary") ? field(&f, "summary") : ""));
    size_t sn = chars(summary);
    int valid = (!strcmp(kind, "call") || !strcmp(kind, "visit") || !strcmp(kind, "event") || !strcmp(kind, "other")) &&
                today_ok(date, now) && chars(person) <= 50 && sn >= 2 && sn <= 2000;
    char location[96];
    snprintf(location, sizeof location, "/crm/customers/%lld#contacts", cid);
    int status = 303;
    pthread_mutex_lock(&write_gate);
    step_done(w, S_BEGIN);
    sqlite3_stmt *s;
    if (idem && *idem) {
        s = stmt(w, S_IDEM_GET);
        sqlite3_bind_int64(s, 1, u->id);
        sqlite3_bind_text(s, 2, idem, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
            snprintf(location, sizeof location, "%s", (const char *)sqlite3_column_text(s, 0));
            status = 304; /* already done: same 303, nothing written */
        }
        done(s);
        if (status == 303) {
            s = stmt(w, S_IDEM_GC);
            sqlite3_bind_int64(s, 1, now - 86400);
            sqlite3_step(s);
            done(s);
        }
    }
    if (status == 303) {
        s = stmt(w, S_CUSTOMER);
        sqlite3_bind_int64(s, 1, cid);
        if (sqlite3_step(s) != SQLITE_ROW) status = 404;
        else if (!u->view_all && sqlite3_column_int64(s, 0) != u->id) status = 403;
        done(s);
    }
    if (status == 303 && !valid) status = 422;
    if (status == 303) {
        s = stmt(w, S_CONTACT);
        sqlite3_bind_int64(s, 1, cid);
        sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, person, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, summary, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, u->id);
        sqlite3_bind_int64(s, 7, now);
        long long id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        done(s);
        char ids[24];
        snprintf(ids, sizeof ids, "%lld", id);
        const char *addr = FCGX_GetParam("REMOTE_ADDR", w->req.envp);
        s = stmt(w, S_AUDIT);
        sqlite3_bind_int64(s, 1, now);
        sqlite3_bind_int64(s, 2, u->id);
        sqlite3_bind_text(s, 3, u->username, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, ids, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, addr ? addr : "", -1, SQLITE_STATIC);
        int ok = id && sqlite3_step(s) == SQLITE_DONE;
        done(s);
        if (ok && idem && *idem) {
            s = stmt(w, S_IDEM_PUT);
            sqlite3_bind_text(s, 1, idem, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, u->id);
            sqlite3_bind_text(s, 3, location, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, now);
            ok = sqlite3_step(s) == SQLITE_DONE;
            done(s);
        }
        if (!ok) status = 500;
    }
    if (status == 303) {
        if (!step_done(w, S_COMMIT)) status = 500;
    } else {
        step_done(w, S_ROLLBACK);
    }
    pthread_mutex_unlock(&write_gate);
    if (status == 303 || status == 304) {
        char h[160];
        snprintf(h, sizeof h, "Location: %s\r\n", location);
        respond(w, 303, "See Other", NULL, h, NULL, 0);
        return 303;
    }
    if (status == 422) { text(w, 422, "Unprocessable Entity", "invalid"); return 422; }
    if (status == 404) { text(w, 404, "Not Found", "not found"); return 404; }
    if (status == 403) { text(w, 403, "Forbidden", "forbidden"); return 403; }
    fprintf(stderr, "error: %s\n", sqlite3_errmsg(w->db));
    text(w, 500, "Internal Server Error", "error");
    return 500;
}

/* ------------------------------------------------------------------ dispatch */
static void handle(worker *w) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    time_t now = time(NULL);
    const char *method = FCGX_GetParam("REQUEST_METHOD", w->req.envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", w->req.envp);
    if (!method) method = "GET";
    if (!uri) uri = "/";
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    int status = 404, bytes = 0;
    user u = {0};
    const char *who = "-";
    if (plen == 8 && !memcmp(uri, "/healthz", 8) && !strcmp(method, "GET")) {
        if (step_done(w, S_HEALTH)) {
            text(w, 200, "OK", "ok\ndatabase: ok\n");
            status = 200, bytes = 16;
        } else {
            text(w, 503, "Service Unavailable", "unavailable\ndatabase: error\n");
            status = 503, bytes = 27;
        }
    } else if (plen >= 14 && !memcmp(uri, "/crm/customers", 14)) {
        long long cid = 0;
        int list = plen == 14, contact = 0;
        if (!list) {
            char *end;
            cid = strtoll(uri + 15, &end, 10);
            contact = uri[14] == '/' && cid > 0 && (size_t)(end - uri) + 9 == plen && !memcmp(end, "/contacts", 9);
        }
        if (!list && !contact) {
            text(w, 404, "Not Found", "not found");
        } else if (!load_session(w, &u, now)) {
            respond(w, 303, "See Other", NULL, "Location: /login?next=%2Fcrm%2Fcustomers\r\n", NULL, 0);
            status = 303;
        } else if ((who = u.username), !u.can_use) {
            text(w, 403, "Forbidden", "forbidden");
            status = 403;
        } else if (list && !strcmp(method, "GET")) {
            bytes = customers(w, &u, q ? q + 1 : NULL);
            status = 200;
        } else if (contact && !strcmp(method, "POST")) {
            status = add_contact(w, &u, cid, now);
        } else {
            text(w, 405, "Method Not Allowed", "method");
            status = 405;
        }
    } else {
        text(w, 404, "Not Found", "not found");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s %d %dB %.1fms user=%s\n", method, uri, status, bytes,
                     (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, who);
    if (n > (int)sizeof line) n = sizeof line;
    if (write(2, line, n) < 0) { /* the log is best effort */ }
}

static void *run(void *arg) {
    worker *w = arg;
    if (sqlite3_open_v2(db_path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", db_path);
        exit(1);
    }
    sqlite3_busy_timeout(w->db, 5000);
    sqlite3_extended_result_codes(w->db, 1);
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=%s;",
             !strcmp(sync_mode, "NORMAL") ? "NORMAL" : "FULL");
    pthread_mutex_lock(&write_gate);
    sqlite3_exec(w->db, pragmas, NULL, NULL, NULL);
    pthread_mutex_unlock(&write_gate);
    FCGX_InitRequest(&w->req, listen_fd, 0);
    while (FCGX_Accept_r(&w->req) >= 0) {
        handle(w);
        FCGX_Finish_r(&w->req);
    }
    return NULL;
}

static void on_term(int sig) { (void)sig; _exit(0); }

static void load_template(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc(n + 1);
    if (fread(t, 1, n, f) != (size_t)n) { perror(path); exit(1); }
    t[n] = 0;
    fclose(f);
    static const char *marks[] = {"@CSRF@", "@USER@", "@ROWS@", "@PAGER@"};
    char *p = t;
    for (int i = 0; i < 4; i++) {
        char *m = strstr(p, marks[i]);
        if (!m) { fprintf(stderr, "%s: %s missing\n", path, marks[i]); exit(1); }
        tpl[i] = p;
        tpl_len[i] = m - p;
        p = m + strlen(marks[i]);
    }
    tpl[4] = p;
    tpl_len[4] = strlen(p);
}

int main(int argc, char **argv) {
    const char *sock = NULL, *template = NULL;
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--socket")) sock = argv[i + 1];
        else if (!strcmp(argv[i], "--db")) db_path = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--sync")) sync_mode = argv[i + 1];
        else if (!strcmp(argv[i], "--template")) template = argv[i + 1];
    }
    if (!sock || !db_path || !template || threads < 1) {
        fprintf(stderr, "usage: ref --socket PATH --db PATH --template FILE [--threads N] [--sync FULL|NORMAL]\n");
        return 2;
    }
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    load_template(template);
    if (FCGX_Init() != 0) return 1;
    /* After FCGX_Init (libfcgi installs its own SIGTERM handler that only flags a shutdown). */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    unlink(sock);
    listen_fd = FCGX_OpenSocket(sock, 128);
    if (listen_fd < 0) { perror("FCGX_OpenSocket"); return 1; }
    fprintf(stderr, "ref listening on %s with %d threads\n", sock, threads);
    pthread_t *t = calloc(threads, sizeof *t);
    worker *w = calloc(threads, sizeof *w);
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, &w[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return 0;
}
