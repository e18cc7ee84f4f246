/* The Google service-account key file, offline (google_keys.h). */
#include "google_keys.h"

#include "../../core/keys.h"
#include "../../core/strbuf.h"
#include "../../core/uri.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <ctype.h>
#include <string.h>

#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GOOGLE_OLD_TOKEN_URI "https://www.googleapis.com/oauth2/v4/token"

static const char *json_str(const cJSON *root, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

static void locate_offset(dg_finding *fd, const char *file, const char *text, size_t off)
{
	int line = 1, col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	dg_finding_locate(fd, file, line, col);
}

static cJSON *parse_google_json(const char *file, const dg_strbuf *data, const char *path,
				dg_findings *out)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(data->buf, data->len, &end, 0);
	dg_finding *fd;

	if (root && cJSON_IsObject(root))
		return root;
	cJSON_Delete(root);
	fd = dg_findings_add(out, DGF_GOOGLE004, path,
			     "%s is not a JSON object%s", file,
			     root ? "" : " (JSON syntax error)");
	if (!root && end && end >= data->buf)
		locate_offset(fd, file, data->buf, (size_t)(end - data->buf));
	dg_finding_hint(fd, "Download the key again: Google Cloud console > IAM & Admin > "
			"Service accounts > your account > Keys > Add key > Create new key > JSON.");
	return NULL;
}

/* An OAuth client file ("installed"/"web") is the usual wrong download. */
static int check_google_type(const cJSON *root, const char *file, const char *path,
			     dg_findings *out)
{
	const char *type = json_str(root, "type");
	dg_finding *fd;

	if (type && !strcmp(type, "service_account"))
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(root, "installed") ||
	    cJSON_GetObjectItemCaseSensitive(root, "web"))
		fd = dg_findings_add(out, DGF_GOOGLE005, path,
				     "%s is an OAuth client secret file, not a service account key", file);
	else
		fd = dg_findings_add(out, DGF_GOOGLE005, path,
				     "%s has type \"%s\", not \"service_account\"", file,
				     type ? type : "(missing)");
	dg_finding_hint(fd, "Use a service account key: Google Cloud console > IAM & Admin > "
			"Service accounts > your account > Keys > Add key > Create new key > JSON.");
	return -1;
}

static int check_google_required(const cJSON *root, const char *file, const char *path,
				 dg_findings *out)
{
	static const char *const fields[] = {
		"private_key_id", "private_key", "client_email", "client_id", "token_uri",
	};
	int missing = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		dg_finding *fd;
		if (json_str(root, fields[i]))
			continue;
		fd = dg_findings_add(out, DGF_GOOGLE006, path,
				     "%s has no \"%s\" (or it is empty)", file, fields[i]);
		dg_finding_hint(fd, "The file is incomplete or edited; download a new JSON key "
				"for the service account.");
		missing++;
	}
	return missing;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static void check_google_identity(const cJSON *root, const char *file, const char *path,
				  dg_findings *out)
{
	const char *id = json_str(root, "client_id");
	const char *email = json_str(root, "client_email");
	dg_finding *fd;

	if (id && !all_digits(id)) {
		fd = dg_findings_add(out, DGF_GOOGLE007, path,
				     "client_id \"%s\" in %s is not all digits", id, file);
		dg_finding_hint(fd, "A service account's client_id is a number (e.g. "
				"113145245239342745214); download the key of a service account.");
	}
	if (email && (!ends_with(email, ".gserviceaccount.com") || !strchr(email, '@'))) {
		fd = dg_findings_add(out, DGF_GOOGLE008, path,
				     "client_email \"%s\" in %s is not a service account address "
				     "(…@PROJECT.iam.gserviceaccount.com)", email, file);
		dg_finding_hint(fd, "Download the JSON key of the service account that has "
				"domain-wide delegation.");
	}
}

int dg_google_token_uri_ok(const char *uri)
{
	return !strcmp(uri, GOOGLE_TOKEN_URI) || !strcmp(uri, GOOGLE_OLD_TOKEN_URI) ||
	       dg_uri_local_https(uri);
}

int dg_google_api_url_ok(const char *url)
{
	static const char api[] = "https://admin.googleapis.com";
	size_t n = sizeof(api) - 1;
	return (!strncmp(url, api, n) && (!url[n] || !strcmp(url + n, "/"))) ||
	       dg_uri_local_https(url);
}

static void check_google_token_uri(const cJSON *root, const char *file, const char *path,
				   dg_findings *out)
{
	const char *uri = json_str(root, "token_uri");
	dg_finding *fd;

	if (!uri || !strcmp(uri, GOOGLE_TOKEN_URI))
		return;
	if (!strcmp(uri, GOOGLE_OLD_TOKEN_URI)) {
		fd = dg_findings_add(out, DGF_GOOGLE010, path,
				     "token_uri in %s is the older endpoint %s", file, uri);
		dg_finding_hint(fd, "Set \"token_uri\": \"" GOOGLE_TOKEN_URI "\" in the key file, "
				"or download a new key.");
		return;
	}
	if (dg_uri_local_https(uri)) {
		fd = dg_findings_add(out, DGF_GOOGLE015, path,
				     "token_uri in %s is \"%s\", an endpoint on this computer "
				     "(a test emulator), not Google", file, uri);
		dg_finding_hint(fd, "For production use a key file downloaded from Google "
				"(token_uri \"" GOOGLE_TOKEN_URI "\").");
		return;
	}
	fd = dg_findings_add(out, DGF_GOOGLE009, path,
			     "token_uri in %s is \"%s\", not Google's token endpoint", file, uri);
	dg_finding_hint(fd, "Set \"token_uri\": \"" GOOGLE_TOKEN_URI "\".");
}

static void check_google_private_key(const cJSON *root, const char *file, const char *path,
				     dg_findings *out)
{
	const char *pem = json_str(root, "private_key");
	dg_strbuf reasons = DG_STRBUF_INIT;
	EVP_PKEY *key;
	dg_finding *fd;

	if (!pem)
		return;
	key = dg_keys_read_private_key(pem, strlen(pem), NULL, NULL);
	if (!key) {
		dg_keys_ossl_reasons(&reasons);
		fd = dg_findings_add(out, DGF_GOOGLE011, path,
				     "private_key in %s is not a readable PEM private key (OpenSSL: %s)",
				     file, reasons.buf);
		dg_finding_hint(fd, "The key must be the unedited \"-----BEGIN PRIVATE KEY-----\" "
				"text with \\n line breaks; download a new JSON key.");
	} else if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		fd = dg_findings_add(out, DGF_GOOGLE012, path,
				     "private_key in %s is a %s key; Google signs service account "
				     "tokens with RSA (RS256)", file, OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
		dg_finding_hint(fd, "Create a new key in the Google Cloud console (it is always RSA).");
	}
	EVP_PKEY_free(key);
	dg_strbuf_release(&reasons);
}

static void add_google_summary(const cJSON *root, const char *path, dg_findings *out)
{
	const char *email = json_str(root, "client_email");
	const char *id = json_str(root, "client_id");
	dg_finding *fd;

	if (!email || !id || !all_digits(id))
		return;
	fd = dg_findings_add(out, DGF_GOOGLE013, path,
			     "service account %s, client ID %s, key ID %s", email, id,
			     json_str(root, "private_key_id") ? json_str(root, "private_key_id") : "(none)");
	dg_finding_hint(fd, "Domain-wide delegation in the Google Admin console (Security > "
			"API controls) must list client ID %s (the number, not the e-mail address).", id);
}

void dg_google_check_key_file(const char *key_file, const char *path, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT;
	cJSON *root = NULL;

	if (dg_keys_load_file(key_file, path, &data, out) < 0)
		goto done;
	root = parse_google_json(key_file, &data, path, out);
	if (!root || check_google_type(root, key_file, path, out) < 0)
		goto done;
	check_google_required(root, key_file, path, out);
	check_google_identity(root, key_file, path, out);
	check_google_token_uri(root, key_file, path, out);
	check_google_private_key(root, key_file, path, out);
	add_google_summary(root, path, out);
done:
	if (root) {
		/* cJSON keeps its own copy of private_key: wipe it too. */
		cJSON *pk = cJSON_GetObjectItemCaseSensitive(root, "private_key");
		if (cJSON_IsString(pk))
			OPENSSL_cleanse(pk->valuestring, strlen(pk->valuestring));
	}
	cJSON_Delete(root);
	dg_keys_release(&data);
}

