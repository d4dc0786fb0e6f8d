# SPDX-License-Identifier: GPL-2.0
# anyedge build. Quiet by default; `make V=1` shows every command.

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD      ?= build
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= bpftool
ARCH_INC   := /usr/include/$(shell $(CC) -dumpmachine)

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE
# SAN=1 (`make asan`): AddressSanitizer and UBSan, every UB report fatal.
ifeq ($(SAN),1)
CFLAGS     += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS     += -DUNIT_TIMEOUT=300	# seconds per unit test: sanitized runs are slower
endif
CPPFLAGS   += -Iinclude -Iuser -I$(BUILD)
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Iinclude -Ibpf -I$(ARCH_INC)
LDLIBS_BPF := -lxdp -lbpf -lelf -lz
LDLIBS_YAML:= -lyaml -lmaxminddb	# the config: YAML, and MMDB GeoIP databases
LDLIBS_CTL := -ljson-c -lmicrohttpd -lpthread	# control socket (JSON), metrics (HTTP)
LDLIBS_SD  := -lsystemd				# sd_notify: the daemon only

BPF_SRC    := bpf/edge.bpf.c
BPF_HDRS   := $(wildcard bpf/*.h) $(wildcard include/*.h)
USER_HDRS  := $(wildcard user/*.h) $(wildcard include/*.h)

# Userspace pieces shared by the daemon, the CLI and the tests.
LIB_SRCS   := user/config.c user/log.c user/loader.c user/lb.c user/stats.c user/maglev.c \
	      user/route_bird.c user/dns_compile.c user/zonefile.c user/health.c user/evloop.c \
	      user/control.c user/daemon.c user/metrics.c user/pop.c user/monitor.c user/lease.c \
	      user/route.c user/popd.c user/geo_mmdb.c user/table.c user/geo_dir.c
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))

UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_OBJS  := $(patsubst tests/unit/%.c,$(BUILD)/obj/unit/%.o,$(UNIT_SRCS))

BINS := $(BUILD)/xdp_pass.bpf.o $(BUILD)/xdp_drop.bpf.o $(BUILD)/reflector.bpf.o $(BUILD)/decap.bpf.o $(BUILD)/anyedged $(BUILD)/anyedgectl $(BUILD)/test_unit \
	$(BUILD)/edge-testrun

.PHONY: all deps test demo bench clean format asan
all: $(BINS)

# Built through pattern rules, kept (a bench or a test may load them by path).
.SECONDARY:

deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh && scripts/demo-lb.sh && scripts/demo-bgp.sh

$(BUILD) $(BUILD)/obj $(BUILD)/obj/unit:
	$(Q)mkdir -p $@

$(BUILD)/edge.bpf.o: $(BPF_SRC) $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The small programs (xdp_pass, xdp_drop, decap, reflector) and the benches'
# (tests/bench/*.bpf.c); skeletons are named after the object: NAME_bpf.
$(BUILD)/%.bpf.o: bpf/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tests/bench/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(USER_HDRS) $(BUILD)/edge.skel.h | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/unit/%.o: tests/unit/%.c $(USER_HDRS) $(wildcard tests/unit/*.h) | $(BUILD)/obj/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -c $< -o $@

$(BUILD)/anyedged: $(BUILD)/obj/anyedged.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL) $(LDLIBS_SD)

$(BUILD)/anyedgectl: $(BUILD)/obj/anyedgectl.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

$(BUILD)/test_unit: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

$(BUILD)/obj/edge-testrun.o: tests/prog/edge-testrun.c $(USER_HDRS) $(BUILD)/edge.skel.h | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/edge-testrun: $(BUILD)/obj/edge-testrun.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

# Benchmarks: numbers, not pass/fail (see README "Performance").
BENCH_BINS := $(BUILD)/dns_bench $(BUILD)/dns_blast $(BUILD)/maglev_bench $(BUILD)/lb_bench \
	      $(BUILD)/health_bench $(BUILD)/geo_bench $(BUILD)/ct_mem_bench $(BUILD)/jit_dump

$(BUILD)/obj/bench_%.o: tests/bench/%.c tests/bench/dns_frames.h tests/bench/testrun.h $(USER_HDRS) $(BUILD)/edge.skel.h | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The XDP program with bench stages compiled in (dns_bench -a; see DNS_STAGE in bpf/dns.h).
$(BUILD)/edge_stages.bpf.o: $(BPF_SRC) $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DEDGE_BENCH_STAGES -c $< -o $@

$(BUILD)/edge_stages.skel.h: $(BUILD)/edge_stages.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name edge_stages > $@

$(BUILD)/obj/bench_dns_bench.o: $(BUILD)/edge_stages.skel.h

$(BUILD)/dns_bench: $(BUILD)/obj/bench_dns_bench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

$(BUILD)/obj/bench_dns_blast.o: $(BUILD)/blast.skel.h

$(BUILD)/dns_blast: $(BUILD)/obj/bench_dns_blast.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lbpf -lelf -lz

# The IPv4 geo lookup alone: LPM trie, DIR-16-8-8, DIR-24-8 (geo_bench -c CONFIG).
$(BUILD)/obj/bench_geo_bench.o: $(BUILD)/geo_lookup.skel.h

$(BUILD)/geo_bench: $(BUILD)/obj/bench_geo_bench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

# A conntrack's memory access alone, flat array against small kmalloc'd chunks.
$(BUILD)/obj/bench_ct_mem_bench.o: $(BUILD)/ct_mem.skel.h

$(BUILD)/ct_mem_bench: $(BUILD)/obj/bench_ct_mem_bench.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lbpf -lelf -lz

# Not a bench: the JIT image of a loaded program, per function (see its header).
$(BUILD)/jit_dump: $(BUILD)/obj/bench_jit_dump.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ -lbpf -lelf -lz

$(BUILD)/maglev_bench: $(BUILD)/obj/bench_maglev_bench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

$(BUILD)/lb_bench: $(BUILD)/obj/bench_lb_bench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL)

$(BUILD)/health_bench: $(BUILD)/obj/bench_health_bench.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_BPF) $(LDLIBS_YAML) $(LDLIBS_CTL) -lpthread

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)scripts/bench-dns.sh
	$(Q)scripts/bench-qps.sh
	$(Q)$(BUILD)/maglev_bench
	$(Q)scripts/bench-lb.sh
	$(Q)$(BUILD)/ct_mem_bench
	$(Q)$(BUILD)/health_bench -t tcp
	$(Q)$(BUILD)/health_bench -t http

# The unit tests (fuzzers included) and anyedgectl under ASan/UBSan, in $(BUILD)-asan/.
asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=$(BUILD)-asan $(BUILD)-asan/test_unit \
		$(BUILD)-asan/anyedgectl
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)-asan/test_unit

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h include/*.h user/*.c user/*.h tests/unit/*.c tests/prog/*.c

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD) $(BUILD)-asan
