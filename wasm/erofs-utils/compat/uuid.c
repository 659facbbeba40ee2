/* libuuid's uuid_parse / uuid_unparse_lower / uuid_generate / uuid_is_null for mkfs.erofs (see
 * include/uuid.h): a UUID string is 36 characters, hex digits with '-' at 8, 13, 18 and 23. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int uuid_parse(const char *in, uuid_t uu)
{
	int i, j = 0;

	if (strlen(in) != 36)
		return -1;
	for (i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (in[i] != '-')
				return -1;
			i++;
			continue;
		}
		hi = hexval(in[i]);
		lo = hexval(in[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		uu[j++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void uuid_unparse_lower(const uuid_t uu, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*out++ = '-';
		*out++ = digits[uu[i] >> 4];
		*out++ = digits[uu[i] & 15];
	}
	*out = '\0';
}

void uuid_generate(uuid_t out)
{
	arc4random_buf(out, 16);
	out[6] = (out[6] & 0x0f) | 0x40;
	out[8] = (out[8] & 0x3f) | 0x80;
}

int uuid_is_null(const uuid_t uu)
{
	int i;

	for (i = 0; i < 16; i++)
		if (uu[i])
			return 0;
	return 1;
}
