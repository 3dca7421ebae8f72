# Fuzzing: libFuzzer targets (tests/fuzz/*.c) built with clang, ASan and
# UBSan into bin/fuzz, from the programs' own sources (each program's
# files but the one holding main(), and common/) compiled apart in
# bin/fuzz/obj.  Only `make fuzz` and bin/fuzz/* need clang.
#
#	make fuzz				every target, FUZZ_SECONDS each
#	make fuzz FUZZ_TARGETS=conf FUZZ_SECONDS=60
#
# Each target keeps its working corpus in bin/fuzz/corpus/TARGET (the
# seeds are read, never written), what it finds in bin/fuzz/crash/TARGET
# and libFuzzer's output in bin/fuzz/log/TARGET.log.  A reproducer runs
# as `bin/fuzz/TARGET FILE`.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_ALL     := rua2kv_xml unzipd_mime unzipd_archive ptrresolve_line conf \
	mailfetch_imap mailfetch_pop3 mailfetch_graph
FUZZ_TARGETS ?= $(FUZZ_ALL)
# A hang or a runaway allocation is a find; the programs' own limits
# keep every input they accept well inside both.
FUZZ_OPTS    ?= -timeout=10 -rss_limit_mb=2048

FZ  := $(B)/fuzz
FZO := $(FZ)/obj

FUZZ_CFLAGS := $(CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_INC := -Itests/fuzz -Icmd/rua2kv -Icmd/unzipd -Icmd/ptrresolve \
	-Icmd/mailfetch $(XML_CFLAGS) $(ARCHIVE_CFLAGS) $(CURL_CFLAGS)

MAILFETCH_LIB := $(filter-out cmd/mailfetch/mailfetch.c,$(MAILFETCH_SRC))

# What each target links beyond common/, and with which libraries.
FUZZ_SRC_rua2kv_xml      := $(filter-out cmd/rua2kv/rua2kv.c,$(RUA2KV_SRC)) \
	cmd/mailfetch/json.c
FUZZ_LIBS_rua2kv_xml     := $(XML_LIBS)
FUZZ_SRC_unzipd_mime     := cmd/unzipd/mime.c
FUZZ_SRC_unzipd_archive  := $(filter-out cmd/unzipd/unzipd.c,$(UNZIPD_SRC))
FUZZ_LIBS_unzipd_archive := $(ARCHIVE_LIBS)
FUZZ_SRC_ptrresolve_line := \
	$(filter-out cmd/ptrresolve/ptrresolve.c,$(PTRRESOLVE_SRC))
FUZZ_LIBS_ptrresolve_line := -ludns
FUZZ_SRC_conf            :=
FUZZ_SRC_mailfetch_imap  := $(MAILFETCH_LIB) tests/fuzz/mffetch.c \
	tests/fuzz/mfsocket.c
FUZZ_LIBS_mailfetch_imap := $(CURL_LIBS)
FUZZ_SRC_mailfetch_pop3  := $(FUZZ_SRC_mailfetch_imap)
FUZZ_LIBS_mailfetch_pop3 := $(CURL_LIBS)
FUZZ_SRC_mailfetch_graph := $(MAILFETCH_LIB) tests/fuzz/mffetch.c
FUZZ_LIBS_mailfetch_graph := $(CURL_LIBS)

# Seeds: our fixtures, and tests/fuzz/seeds/TARGET (inputs of our own
# where there are no fixtures, limits met and passed, and each find's
# reproducer).  Seeds too big for git, or binary, are made here: an
# element's text one byte past the default xml_text (64 KiB), and the
# archives below.
FUZZ_SEEDS_rua2kv_xml     := tests/fixtures samples $(FZ)/seeds/rua2kv_xml
FUZZ_MADE := $(FZ)/seeds/rua2kv_xml/xml-text-over-64k.xml \
	$(FZ)/seeds/unzipd_archive/.made
FUZZ_SEEDS_unzipd_mime    := samples/mail
FUZZ_SEEDS_unzipd_archive := samples/mail $(FZ)/seeds/unzipd_archive
FUZZ_SEEDS_ptrresolve_line := tests/fixtures

# Long enough for an element's text to pass the xml_text limit and for
# a mail of many parts; short enough to keep each run quick.
FUZZ_MAXLEN_rua2kv_xml     := 131072
FUZZ_MAXLEN_unzipd_mime    := 65536
FUZZ_MAXLEN_unzipd_archive := 65536
FUZZ_MAXLEN_ptrresolve_line := 16384
FUZZ_MAXLEN_conf           := 16384
FUZZ_MAXLEN_mailfetch_imap := 65536
FUZZ_MAXLEN_mailfetch_pop3 := 65536
FUZZ_MAXLEN_mailfetch_graph := 65536

FUZZ_OBJS := $(sort $(FUZZ_ALL:%=$(FZO)/tests/fuzz/%.o) \
	$(foreach t,$(FUZZ_ALL),$(FUZZ_SRC_$(t):%.c=$(FZO)/%.o)) \
	$(COMMON_SRC:%.c=$(FZO)/%.o))

$(FZO)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -MMD -MP -c -o $@ $<

define FUZZ_LINK
$(FZ)/$(1): $(FZO)/tests/fuzz/$(1).o $(FUZZ_SRC_$(1):%.c=$(FZO)/%.o) \
	$(COMMON_SRC:%.c=$(FZO)/%.o)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(LDFLAGS) -o $$@ $$^ \
		$$(FUZZ_LIBS_$(1)) $$(SANDBOX_LIBS)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_LINK,$(t))))

-include $(FUZZ_OBJS:.o=.d)

$(FZ)/seeds/rua2kv_xml/xml-text-over-64k.xml:
	@mkdir -p $(@D)
	{ printf '<feedback><report_metadata><org_name>'; \
	  head -c 65537 /dev/zero | tr '\0' x; \
	  printf '</org_name></report_metadata></feedback>\n'; } >$@

# The archive seeds, made by tests/mkfixture.py rather than kept in git:
# gzip and zip around a report, two reports in one gzip, two members,
# a gzip in a zip, nesting three deep, 65 entries (one past the limit)
# and a ratio over 1000.
$(FZ)/seeds/unzipd_archive/.made: tests/mkfixture.py tests/fixtures/basic.xml
	@mkdir -p $(@D)
	d=$(@D) mk="python3 tests/mkfixture.py" x=tests/fixtures/basic.xml && \
	cat $$x $$x >$$d/two.tmp && printf 'not a report\n' >$$d/readme.tmp && \
	: >$$d/empty.tmp && \
	$$mk gz $$d/basic.xml.gz $$x && \
	$$mk gz $$d/two-reports.xml.gz $$d/two.tmp && \
	$$mk zip $$d/two-members.zip basic.xml=$$x README.txt=$$d/readme.tmp && \
	$$mk zip $$d/gz-in-zip.zip basic.xml.gz=$$d/basic.xml.gz && \
	$$mk gzgz $$d/gzgz.tmp $$x && \
	$$mk zip $$d/nesting-3.zip r.xml.gz.gz=$$d/gzgz.tmp && \
	$$mk manyzip $$d/entries-65.zip 65 $$d/empty.tmp && \
	$$mk gzbomb $$d/ratio-over-1000.gz 6 && \
	rm -f $$d/*.tmp && touch $@

# One target after the other (they share the machine), each with its
# seeds and dictionary; tests/fuzz/run says what each found.
fuzz: $(FUZZ_TARGETS:%=$(FZ)/%) $(FUZZ_MADE)
	@rc=0; \
	$(foreach t,$(FUZZ_TARGETS),tests/fuzz/run $(t) $(FUZZ_SECONDS) \
		$(FZ) $(FUZZ_OPTS) -max_len=$(FUZZ_MAXLEN_$(t)) \
		$(patsubst %,-dict=%,$(wildcard tests/fuzz/$(t).dict)) \
		$(FUZZ_SEEDS_$(t)) $(wildcard tests/fuzz/seeds/$(t)) || rc=1;) \
	exit $$rc
