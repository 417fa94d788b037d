/* State and province codes a hotlist entry may name. */
#include "hotlist/hotlist.h"

#include <ctype.h>
#include <string.h>

/* US states and DC, US territories (PR GU VI AS MP UM), Canadian provinces and territories. */
static const char STATES[] = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN "
                             "MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA "
                             "WA WV WI WY DC PR GU VI AS MP UM "
                             "AB BC MB NB NL NS NT NU ON PE QC SK YT ";

int hotlist_state_valid(const char *code) {
    if (!code || strlen(code) != 2 || !isupper((unsigned char)code[0]) ||
        !isupper((unsigned char)code[1]))
        return 0;
    for (const char *p = STATES; *p; p += 3)
        if (p[0] == code[0] && p[1] == code[1]) return 1;
    return 0;
}

int hotlist_state_normalize(const char *in, char out[4], pk_err *err) {
    out[0] = '\0';
    if (!in) return PK_OK;
    while (*in == ' ' || *in == '\t') in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t')) n--;
    if (n == 0) return PK_OK;
    char up[8];
    if (n >= sizeof up) return pk_err_set(err, PK_EINVAL, "not a state code (two letters or 'any')");
    for (size_t i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)in[i]);
    up[n] = '\0';
    if (!strcmp(up, "ANY") || !strcmp(up, "*") || !strcmp(up, "**")) return PK_OK;
    if (!hotlist_state_valid(up)) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)up[i] < 0x20 || (unsigned char)up[i] >= 0x7f)
                return pk_err_set(err, PK_EINVAL, "not a state code (two letters or 'any')");
        return pk_err_set(err, PK_EINVAL,
                          "'%s' is not a US state, territory or Canadian province code", up);
    }
    memcpy(out, up, 3);
    return PK_OK;
}
