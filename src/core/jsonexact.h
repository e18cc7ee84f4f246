/* JSON that goes back exactly as it came: numbers keep their text.
 *
 * cJSON holds every number as a double, so 638412345678901234 is printed
 * back as 6.3841234567890125e+17 and 0.10 as 0.1.  MailStore's directory-
 * services object is opaque to dirgate and must be sent back as it was
 * read, so its readers parse with dg_json_parse_exact, which also keeps each
 * number's text (in the node's valuestring), and its writers print with
 * dg_json_print_exact, which writes that text again unless the value was
 * changed since. */
#ifndef DG_JSONEXACT_H
#define DG_JSONEXACT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* cJSON_ParseWithLengthOpts without a null-terminated requirement; *end
 * (when not NULL) is where parsing stopped, also on failure. */
cJSON *dg_json_parse_exact(const char *text, size_t len, const char **end);

/* cJSON_Print / cJSON_PrintUnformatted, numbers as they were read.  The
 * caller frees the result with cJSON_free. */
char *dg_json_print_exact(const cJSON *item, int formatted);

#endif
