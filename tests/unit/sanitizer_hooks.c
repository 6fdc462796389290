/*
 * sanitizer_hooks - what the sanitizers are told, for the suites that
 * sign with libopendkim
 *
 * The one leak known there is libopendkim's: Debian 12's 2.11.0~beta2
 * does not free an Ed25519 signing key in dkim_free (fixed upstream by
 * OpenDKIM pull request #321). These hooks tell LeakSanitizer, in
 * sanitizer builds (elsewhere nothing calls them); its slow unwinder
 * sees libopendkim under libcrypto. valgrind:
 * tests/unit/data/dkim/valgrind.supp.
 */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

/* __lsan_default_suppressions - LeakSanitizer's built-in suppressions */
const char *
__lsan_default_suppressions(void)
{
	return "leak:dkim_privkey_load\n";
}

/* __asan_default_options - AddressSanitizer's built-in options */
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:print_suppressions=0";
}
