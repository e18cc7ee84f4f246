/* Locale-independent ASCII helpers for the parsers (LDAP filters, DNs,
 * JSON, URIs): <ctype.h> depends on the locale and on the sign of char. */
#ifndef DG_ASCII_H
#define DG_ASCII_H

/* The value of one hexadecimal digit, or -1 when c is not one. */
static inline int dg_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
