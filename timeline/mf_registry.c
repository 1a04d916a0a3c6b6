/* mf_registry.c - device registry; see mf_registry.h. */
#include "mf_codec.h"
#include "mf_registry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_store.h"

struct mf_registry {
	struct mf_device *v;
	size_t n, alloc;
	uint32_t *by_did;         /* did id -> index + 1 */
	size_t nby;
};

static struct mf_device *dev_get(struct mf_registry *r, uint32_t did)
{
	if (did < r->nby && r->by_did[did])
		return &r->v[r->by_did[did] - 1];
	if (did >= r->nby) {
		size_t nn = (did + 1) * 2;
		uint32_t *nb = realloc(r->by_did, nn * sizeof(*nb));

		if (!nb)
			return NULL;
		memset(nb + r->nby, 0, (nn - r->nby) * sizeof(*nb));
		r->by_did = nb;
		r->nby = nn;
	}
	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 64;
		struct mf_device *nv = realloc(r->v, na * sizeof(*nv));

		if (!nv)
			return NULL;
		r->v = nv;
		r->alloc = na;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n].did = did;
	r->by_did[did] = (uint32_t)++r->n;
	return &r->v[r->n - 1];
}

static const char *gs(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static void set(char *dst, size_t n, const char *v)
{
	if (v && !dst[0]) {
		snprintf(dst, n, "%s", v);
		mf_utf8_cut(dst);
	}
}

/* ip: the first address; ips: each distinct one with its first source */
static void add_ip(struct mf_device *d, const char *ip, int src)
{
	unsigned i;

	if (!ip || !ip[0])
		return;
	set(d->ip, sizeof(d->ip), ip);
	for (i = 0; i < d->nips; i++)
		if (strcmp(d->ips[i], ip) == 0)
			return;
	if (d->nips == MF_REG_IPS)
		return;
	snprintf(d->ips[d->nips], sizeof(d->ips[0]), "%s", ip);
	d->ip_src[d->nips++] = (uint8_t)src;
}

/* Rooms list their devices: remember room (and home) names per did. */
static void rooms(struct mf_registry *r, struct mf_store *st, const cJSON *o)
{
	const cJSON *dids = cJSON_GetObjectItemCaseSensitive(o, "dids"), *d;
	const char *name = gs(o, "name"), *home = gs(o, "home_name");

	if (!cJSON_IsArray(dids))
		return;
	for (d = dids->child; d; d = d->next) {
		struct mf_device *dv;
		char num[32];
		const char *ds = NULL;

		if (cJSON_IsString(d))
			ds = d->valuestring;
		else if (cJSON_IsNumber(d)) {
			snprintf(num, sizeof(num), "%.0f", d->valuedouble);
			ds = num;
		}
		if (!ds || !(dv = dev_get(r, mf_store_intern(st, ds))))
			continue;
		set(dv->room, sizeof(dv->room), name);
		set(dv->home, sizeof(dv->home), home);
	}
}

struct mf_registry *mf_registry_build(struct mf_store *st)
{
	struct mf_registry *r = calloc(1, sizeof(*r));
	uint32_t k_device, k_room, k_info, k_resp;
	size_t i, n = mf_store_count(st);

	if (!r)
		return NULL;
	k_device = mf_store_intern(st, "device");
	k_room = mf_store_intern(st, "room");
	k_info = mf_store_intern(st, "miIO.info");
	k_resp = mf_store_intern(st, "response");
	for (i = 0; i < n; i++) {
		struct mf_ent *e = mf_store_ent(st, i);
		struct mf_device *d;
		cJSON *o;
		const cJSON *net, *mi;
		const char *proto;

		if (e->kind == k_room) {
			o = mf_store_load(st, i);
			if (o)
				rooms(r, st, o);
			cJSON_Delete(o);
			continue;
		}
		if (!e->did)
			continue;
		d = dev_get(r, e->did);
		if (!d)
			break;
		if (e->src < MF_REG_SOURCES)
			d->events[e->src]++;
		if (e->src == MF_SRC_PHONE)
			d->from_phone = 1;
		else if (e->src == MF_SRC_CLOUD)
			d->from_cloud = 1;
		else
			d->from_traffic = 1;
		/* a miIO.info answer names the device: model, MAC, firmware */
		if (e->event == k_info && e->kind == k_resp) {
			o = mf_store_load(st, i);
			if (o) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
				const cJSON *ni = cJSON_GetObjectItemCaseSensitive(v, "netif");

				set(d->model, sizeof(d->model), gs(v, "model"));
				set(d->mac, sizeof(d->mac), gs(v, "mac"));
				add_ip(d, gs(ni, "localIp"), e->src);
				cJSON_Delete(o);
			}
		}
		/* read back only device records and one traffic event per device
		 * (its IP / LAN model): the registry costs O(devices) parses */
		if (e->kind != k_device && (e->src == MF_SRC_PHONE || d->traffic_read))
			continue;
		if (e->kind != k_device)
			d->traffic_read = 1;
		o = mf_store_load(st, i);
		if (!o)
			continue;
		proto = gs(o, "protocol");
		if (e->kind == k_device) {
			set(d->model, sizeof(d->model), gs(o, "model"));
			set(d->name, sizeof(d->name), gs(o, "name"));
			set(d->name, sizeof(d->name), gs(o, "device_name"));
			set(d->mac, sizeof(d->mac), gs(o, "mac"));
			add_ip(d, gs(o, "ip"), e->src);
			add_ip(d, gs(o, "localip"), e->src);
			add_ip(d, gs(o, "localIP"), e->src);
			set(d->parent, sizeof(d->parent), gs(o, "parent"));
			set(d->parent, sizeof(d->parent), gs(o, "parent_did"));
			set(d->room, sizeof(d->room), gs(o, "room"));
			set(d->room, sizeof(d->room), gs(o, "room_name"));
			set(d->home, sizeof(d->home), gs(o, "home"));
			set(d->home, sizeof(d->home), gs(o, "home_name"));
		} else if (proto && strcmp(proto, "lumi-lan") == 0) {
			set(d->lan_model, sizeof(d->lan_model), gs(o, "model"));
			set(d->mac, sizeof(d->mac), gs(o, "mac"));
		} else if (proto && strcmp(proto, "miio") == 0) {
			net = cJSON_GetObjectItemCaseSensitive(o, "net");
			mi = cJSON_GetObjectItemCaseSensitive(o, "miio");
			if (net && mi && gs(mi, "direction")) {
				int from = strcmp(gs(mi, "direction"), "from_device") == 0;

				add_ip(d, gs(net, from ? "src" : "dst"), e->src);
			}
			set(d->model, sizeof(d->model), gs(o, "model"));
		} else {
			set(d->model, sizeof(d->model), gs(o, "model"));
		}
		cJSON_Delete(o);
	}
	return r;
}

/* "34:CE:00:8b-21-5c" -> "34ce008b215c" */
static void mac_norm(const char *m, char out[13])
{
	size_t k = 0;

	for (; *m && k < 12; m++)
		if (isxdigit((unsigned char)*m))
			out[k++] = (char)tolower((unsigned char)*m);
	out[k] = '\0';
}

void mf_registry_canonicalize(struct mf_registry *r, struct mf_store *st)
{
	size_t i, j, n;
	int any = 0;

	for (i = 0; i < r->n; i++) {
		struct mf_device *a = &r->v[i];
		char ma[13], mb[13];

		a->canon = a->did;
		if (a->from_phone || !a->mac[0])
			continue;
		mac_norm(a->mac, ma);
		if (strlen(ma) != 12)
			continue;
		for (j = 0; j < r->n; j++) {
			struct mf_device *b = &r->v[j];

			if (j == i || !b->from_phone || !b->mac[0])
				continue;
			mac_norm(b->mac, mb);
			if (strcmp(ma, mb) == 0) {
				int k;

				a->alias = 1;
				a->canon = b->did;
				for (k = 0; k < MF_REG_SOURCES; k++)
					b->events[k] += a->events[k];
				set(b->lan_model, sizeof(b->lan_model), a->lan_model);
				for (k = 0; k < a->nips; k++)
					add_ip(b, a->ips[k], a->ip_src[k]);
				b->from_traffic |= a->from_traffic;
				any = 1;
				break;
			}
		}
	}
	if (!any)
		return;
	n = mf_store_count(st);
	for (i = 0; i < n; i++) {
		struct mf_ent *e = mf_store_ent(st, i);
		const struct mf_device *d = mf_registry_find(r, e->did);

		if (d && d->alias) {
			e->orig_did = e->did;
			e->did = d->canon;
		}
	}
}

void mf_registry_free(struct mf_registry *r)
{
	if (!r)
		return;
	free(r->v);
	free(r->by_did);
	free(r);
}

size_t mf_registry_count(const struct mf_registry *r)
{
	return r ? r->n : 0;
}

const struct mf_device *mf_registry_get(const struct mf_registry *r, size_t i)
{
	return i < r->n ? &r->v[i] : NULL;
}

const struct mf_device *mf_registry_find(const struct mf_registry *r, uint32_t did)
{
	return r && did < r->nby && r->by_did[did] ? &r->v[r->by_did[did] - 1] : NULL;
}

void mf_registry_name_event(const struct mf_registry *r, uint32_t did, cJSON *obj)
{
	const struct mf_device *d = mf_registry_find(r, did);
	cJSON *it, *next, *tmp;

	if (!d || (!d->model[0] && !d->name[0] && !d->room[0]))
		return;
	/* a Lumi LAN report names the model the gateway's way ("motion",
	 * "sensor_magnet.aq2"): when the phone or the cloud knows the full
	 * one, it is the model and the LAN name stays as lan_model */
	it = cJSON_GetObjectItemCaseSensitive(obj, "model");
	tmp = cJSON_GetObjectItemCaseSensitive(obj, "protocol");
	if (d->model[0] && cJSON_IsString(it) && cJSON_IsString(tmp) &&
	    strcmp(tmp->valuestring, "lumi-lan") == 0 && strcmp(it->valuestring, d->model) != 0 &&
	    !cJSON_GetObjectItemCaseSensitive(obj, "lan_model")) {
		cJSON_AddItemToObject(obj, "lan_model", cJSON_CreateString(it->valuestring));
		cJSON_SetValuestring(it, d->model);
	}
	/* rebuild the member list to insert after "did" */
	tmp = cJSON_CreateObject();
	for (it = obj->child; it; it = next) {
		next = it->next;
		cJSON_DetachItemViaPointer(obj, it);
		cJSON_AddItemToObject(tmp, it->string, it);
		if (strcmp(it->string, "did") == 0) {
			if (d->model[0] && !cJSON_GetObjectItemCaseSensitive(obj, "model") &&
			    !(next && next->string && strcmp(next->string, "model") == 0))
				cJSON_AddStringToObject(tmp, "model", d->model);
			if (d->name[0] && !cJSON_GetObjectItemCaseSensitive(obj, "device_name"))
				cJSON_AddStringToObject(tmp, "device_name", d->name);
			if (d->room[0] && !cJSON_GetObjectItemCaseSensitive(obj, "room"))
				cJSON_AddStringToObject(tmp, "room", d->room);
		}
	}
	obj->child = tmp->child;
	tmp->child = NULL;
	cJSON_Delete(tmp);
}

static int cmpdev(const void *a, const void *b, void *st)
{
	const struct mf_device *x = a, *y = b;

	return strcmp(mf_store_str(st, x->did), mf_store_str(st, y->did));
}

cJSON *mf_registry_json(const struct mf_registry *r, const struct mf_store *st)
{
	cJSON *arr = cJSON_CreateArray();
	struct mf_device *sorted;
	size_t i;
	static const char *srcname[MF_REG_SOURCES] = { "pcap", "live", "cloud", "phone", "other" };

	if (!r || !r->n)
		return arr;
	sorted = malloc(r->n * sizeof(*sorted));
	if (!sorted)
		return arr;
	memcpy(sorted, r->v, r->n * sizeof(*sorted));
	qsort_r(sorted, r->n, sizeof(*sorted), cmpdev, (void *)st);
	for (i = 0; i < r->n; i++) {
		const struct mf_device *d = &sorted[i];
		cJSON *o, *ev;
		int k;

		if (d->alias)
			continue;
		o = cJSON_CreateObject();
		ev = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "did", mf_store_str(st, d->did));
#define F(x) if (d->x[0]) cJSON_AddStringToObject(o, #x, d->x)
		F(model); F(name); F(room); F(home); F(mac); F(ip); F(parent); F(lan_model);
#undef F
		if (d->nips > 1) {
			cJSON *ips = cJSON_CreateArray();
			unsigned j;

			for (j = 0; j < d->nips; j++) {
				cJSON *x = cJSON_CreateObject();

				cJSON_AddStringToObject(x, "ip", d->ips[j]);
				cJSON_AddStringToObject(x, "source",
				    srcname[d->ip_src[j] < MF_REG_SOURCES ? d->ip_src[j] : MF_REG_SOURCES - 1]);
				cJSON_AddItemToArray(ips, x);
			}
			cJSON_AddItemToObject(o, "ips", ips);
		}
		for (k = 0; k < MF_REG_SOURCES; k++)
			if (d->events[k])
				cJSON_AddNumberToObject(ev, srcname[k], (double)d->events[k]);
		cJSON_AddItemToObject(o, "events", ev);
		cJSON_AddItemToArray(arr, o);
	}
	free(sorted);
	return arr;
}
