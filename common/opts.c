#include <sysexits.h>

#include "log.h"
#include "num.h"
#include "opts.h"

int
opt_shared(int ch, const char *arg, struct limits *lim, const char **user)
{
	const char	*why;

	switch (ch) {
	case 'k':
		log_set_kv();
		return 1;
	case 'l':
		if (log_set_level(arg, &why) == -1) {
			log_errorx("-l %s: %s", arg, why);
			return -1;
		}
		return 1;
	case 'L':
		if (lim == NULL)
			return 0;
		if (limits_set(lim, arg, &why) == -1) {
			log_errorx("-L %s: %s", arg, why);
			return -1;
		}
		return 1;
	case 'u':
		*user = arg;
		return 1;
	default:
		return 0;
	}
}

long long
opt_num(int ch, const char *arg, long long min, long long max)
{
	const char	*why;
	long long	 v;

	if (num_parse(arg, min, max, &v, &why) == -1) {
		log_errorx("-%c %s: %s", ch, arg, why);
		return -1;
	}
	return v;
}

int
opt_privdrop(struct privdrop *pd, const char *user)
{
	const char	*why;

	if (privdrop_prepare(pd, user, &why) == 0)
		return 0;
	if (user != NULL)
		log_errorx("-u %s: %s", user, why);
	else
		log_errorx("%s", why);
	return EX_NOPERM;
}
