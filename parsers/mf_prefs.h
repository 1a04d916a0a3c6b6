/*
 * mf_prefs.h - Android SharedPreferences XML (shared_prefs/NAME.xml, plugin
 * config.xml) read with expat into a flat list of typed entries, and the
 * lenient JSON reading their string values need.
 *
 * Reference: android.util.XmlUtils (writeMapXml / readThisValueXml), and
 * ../shared/reference/phone-artifacts.md section 3.
 *
 *   <?xml version='1.0' encoding='utf-8' standalone='yes' ?>
 *   <map>
 *     <string name="k">text, JSON XML-escaped (sometimes HTML-escaped too)</string>
 *     <long name="k" value="123" />   <int .../>  <boolean value="true"/>
 *     <float name="k" value="1.5" />  <null name="k" />
 *     <set name="k"><string>a</string><string>b</string></set>
 *   </map>
 *
 * Android's writer (com.android.internal.util.FastXmlSerializer) escapes
 * every control character as a character reference, "&#1;" .. "&#31;" and
 * "&#0;", and its own reader accepts them; XML 1.0 forbids all but &#9;
 * &#10; &#13;, so a strict parser stops there.  They are decoded here to
 * the bytes the app stored (NUL, which a C string cannot hold, becomes
 * U+FFFD and is counted).
 */
#ifndef MF_PREFS_H
#define MF_PREFS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum mf_pref_type {
	MF_PREF_STRING = 1, MF_PREF_LONG, MF_PREF_INT, MF_PREF_BOOL, MF_PREF_FLOAT,
	MF_PREF_SET, MF_PREF_NULL, MF_PREF_OTHER
};

struct mf_pref {
	int type;
	char *name;         /* the name attribute ("" when absent) */
	char *value;        /* text of <string>, value attribute of scalars; "" for sets */
	size_t value_len;
	char **set;         /* <set> members */
	size_t nset;
	char *elem;         /* element name for MF_PREF_OTHER */
	unsigned long line; /* line of the start tag, for evidence */
};

struct mf_prefs_limits {
	unsigned depth_max;     /* element nesting */
	size_t entries_max;     /* entries in one file */
	size_t value_max;       /* bytes of one value (longer: truncated, flagged) */
	size_t total_max;       /* bytes of text kept for the whole file */
};

struct mf_prefs {
	struct mf_pref *v;
	size_t n, alloc;
	int root_is_map;        /* the document element was <map> */
	int truncated_values;   /* some value hit value_max */
	int limit_hit;          /* entries_max / total_max / depth_max reached */
	size_t ctrl_refs;       /* Android control-character references decoded */
	size_t nul_replaced;    /* of which &#0;, stored as U+FFFD */
	unsigned long err_line; /* where parsing stopped, on error */
};

void mf_prefs_limits_default(struct mf_prefs_limits *l);

/* Parses buf.  Entries read before an error are kept in out (a damaged
 * file still yields what precedes the damage).  Returns 0, MF_ERR_FORMAT
 * (not XML, not a <map>, DOCTYPE, binary ABX) or MF_ERR_LIMIT with the
 * reason in errbuf, MF_ERR_NOMEM.  out must be freed with mf_prefs_free
 * whatever the result. */
int mf_prefs_parse(const uint8_t *buf, size_t len, const struct mf_prefs_limits *lim,
                   struct mf_prefs *out, char *errbuf);
void mf_prefs_free(struct mf_prefs *p);

const char *mf_pref_type_name(int type);
/* The entry as JSON: strings holding JSON become JSON, numbers numbers,
 * booleans booleans, sets arrays. NULL on allocation failure. */
cJSON *mf_pref_to_json(const struct mf_pref *e, int depth_max);

/* Parses text as JSON; when that fails, HTML-unescapes once and retries
 * (values of some keys are escaped twice).  *how (may be NULL) = 0 parsed
 * as is, 1 after HTML unescaping.  Returns NULL when neither parses or the
 * nesting exceeds depth_max. */
cJSON *mf_json_lenient(const char *s, size_t n, int depth_max, int *how);

/* Unescapes &quot; &amp; &lt; &gt; &apos; &#NN; &#xNN; into out (NUL
 * terminated, at most n+1 bytes).  Returns the length. */
size_t mf_html_unescape(const char *s, size_t n, char *out);

/* A deep copy of v in which every string that holds a JSON array or object
 * is replaced by the parsed value, recursively (device logs nest JSON in
 * strings three levels deep).  NULL on allocation failure. */
cJSON *mf_json_expand(const cJSON *v, int depth_max);

/* The length of the longest prefix of s[0..n) that does not end inside a
 * UTF-8 sequence: where a byte cap cuts text, the cut must not leave half
 * a character (the JSON output would not be UTF-8; Chinese names are 3
 * bytes a character). */
size_t mf_utf8_prefix(const char *s, size_t n);

/* Depth of nesting of v (a scalar is 0). */
int mf_json_depth(const cJSON *v);

#endif
