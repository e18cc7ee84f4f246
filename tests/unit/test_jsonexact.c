/* core/jsonexact: numbers go back out as they came in. */
#include "core/jsonexact.h"
#include "test.h"

static char *roundtrip(const char *in)
{
	cJSON *root = dg_json_parse_exact(in, strlen(in), NULL);
	char *out = root ? dg_json_print_exact(root, 0) : NULL;

	cJSON_Delete(root);
	return out;
}

static void check_same(const char *in)
{
	char *out = roundtrip(in);

	CHECK_STR(out, in);
	cJSON_free(out);
}

static void test_numbers_keep_their_text(void)
{
	/* cJSON alone prints 6.3841234567890125e+17, 0.1, 1e+21 and null */
	check_same("{\"ticks\":638412345678901234}");
	check_same("[0.10,1E21,-0,1e400,12345678901234567890123]");
	check_same("{\"a\":{\"b\":[1,{\"c\":2.50}],\"d\":\"-5 and 7 in a string\"},\"e\":3}");
	check_same("{\"k\\\"1\":18446744073709551615,\"x\":\"\\\\\",\"y\":-1.0e-7}");
}

static void test_a_changed_number_prints_its_new_value(void)
{
	const char *in = "{\"port\":389.0,\"id\":638412345678901234}";
	cJSON *root = dg_json_parse_exact(in, strlen(in), NULL);
	char *out;

	cJSON_SetNumberValue(cJSON_GetObjectItem(root, "port"), 636);
	out = dg_json_print_exact(root, 0);
	CHECK_STR(out, "{\"port\":636,\"id\":638412345678901234}");
	cJSON_free(out);
	/* printing leaves the tree as it was: still numbers, still their text */
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(root, "id")));
	CHECK_STR(cJSON_GetObjectItem(root, "id")->valuestring, "638412345678901234");
	cJSON_Delete(root);
}

static void test_copies_and_new_nodes(void)
{
	const char *in = "{\"a\":0.10}";
	cJSON *root = dg_json_parse_exact(in, strlen(in), NULL), *copy;
	char *out;

	copy = cJSON_Duplicate(root, 1);
	cJSON_AddNumberToObject(copy, "b", 2);
	cJSON_AddRawToObject(copy, "raw", "[1]");
	out = dg_json_print_exact(copy, 0);
	CHECK_STR(out, "{\"a\":0.10,\"b\":2,\"raw\":[1]}");
	CHECK(cJSON_IsRaw(cJSON_GetObjectItem(copy, "raw")));
	cJSON_free(out);
	cJSON_Delete(copy);
	cJSON_Delete(root);
}

static void test_bad_input(void)
{
	const char *end = NULL, *in = "{\"a\":1,}";

	CHECK(dg_json_parse_exact(in, strlen(in), &end) == NULL);
	CHECK(end != NULL && end >= in);
	CHECK(dg_json_print_exact(NULL, 0) == NULL);
	/* trailing text after the value is not read (as cJSON's Opts parse) */
	in = "[1] 2";
	{
		cJSON *root = dg_json_parse_exact(in, strlen(in), &end);
		CHECK(root != NULL && end == in + 3);
		cJSON_Delete(root);
	}
}

int main(void)
{
	RUN(test_numbers_keep_their_text);
	RUN(test_a_changed_number_prints_its_new_value);
	RUN(test_copies_and_new_nodes);
	RUN(test_bad_input);
	return dg_t_done();
}
