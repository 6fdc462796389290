# fuzz.mk - GNU make rules for the libFuzzer targets, run by "make
# fuzz" from the build directory (Makefile.am passes the flags
# configure found). The library sources are compiled
# again with clang and the fuzzer, ASan and UBSan instrumentation: the
# gcc-built lib/libportcullis.a cannot carry it.

FUZZ_CC ?= clang
srcdir ?= .
OUT := fuzz
OBJ := fuzz/obj

TARGETS ?= spf_record spf_macro dns_reply template urls table conf session \
	dkim_canon dkim_tags dkim_verify dmarc \
	authres helo_addr
BINS := $(TARGETS:%=$(OUT)/fuzz_%)

LIB_SRCS := $(sort $(wildcard $(srcdir)/lib/core/*.c $(srcdir)/lib/dns/*.c \
	$(srcdir)/lib/mime/*.c $(srcdir)/lib/auth/*.c $(srcdir)/lib/conf/*.c \
	$(srcdir)/lib/checks/*.c $(srcdir)/lib/session/*.c))
LIB_OBJS := $(LIB_SRCS:$(srcdir)/%.c=$(OBJ)/%.o)
UTIL_OBJ := $(OBJ)/fuzz/fuzz_util.o

SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 $(SAN) $(FUZZ_WARN) $(FUZZ_CPPFLAGS) \
	-DSYSCONFDIR='"$(FUZZ_SYSCONFDIR)"' -MMD -MP

all: $(BINS)

$(OBJ)/lib/%.o: $(srcdir)/lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OBJ)/fuzz/%.o: $(srcdir)/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(srcdir)/fuzz -fsanitize=fuzzer-no-link \
		-c $< -o $@

# fuzz_dkim_verify answers its key lookups from fakedns, the unit tests'
# DNS server, run in the fuzzer's process.
FAKEDNS_OBJS := $(OBJ)/tests/unit/fakedns.o $(OBJ)/tests/unit/fakedns_knobs.o \
	$(OBJ)/tests/unit/fakedns_zone.o

$(OBJ)/tests/unit/%.o: $(srcdir)/tests/unit/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(OBJ)/libfuzzlib.a: $(LIB_OBJS)
	rm -f $@
	ar cr $@ $(LIB_OBJS)

$(OUT)/fuzz_%: $(OBJ)/fuzz/fuzz_%.o $(UTIL_OBJ) $(OBJ)/libfuzzlib.a
	$(FUZZ_CC) -fsanitize=fuzzer $(SAN) -o $@ $^ $(FUZZ_LIBS)

$(OBJ)/fuzz/fuzz_dkim_verify.o: FUZZ_CFLAGS += -I$(srcdir)/tests/unit

$(OUT)/fuzz_dkim_verify: $(OBJ)/fuzz/fuzz_dkim_verify.o $(FAKEDNS_OBJS) \
		$(UTIL_OBJ) $(OBJ)/libfuzzlib.a
	$(FUZZ_CC) -fsanitize=fuzzer $(SAN) -o $@ $^ $(FUZZ_LIBS) -lpthread

-include $(LIB_OBJS:.o=.d) $(BINS:$(OUT)/%=$(OBJ)/fuzz/%.d) \
	$(UTIL_OBJ:.o=.d) $(FAKEDNS_OBJS:.o=.d)

.PHONY: all
.SECONDARY:
