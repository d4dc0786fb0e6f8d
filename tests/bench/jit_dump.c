// SPDX-License-Identifier: GPL-2.0
/*
 * jit_dump: the JIT image of a loaded BPF program, one file per function
 * (main program and global subprograms), for reading hot spots in the
 * machine code. Debian's bpftool cannot disassemble JIT code (built
 * without libbfd/LLVM), so:
 *
 *   build/jit_dump PROG_ID OUTDIR
 *     writes OUTDIR/<name>.bin per function and prints one line each:
 *     "<kernel address> <bytes> <name>"; names from /proc/kallsyms
 *     (bpf_prog_<tag>_<name>, as perf reports them)
 *   objdump -b binary -m i386:x86-64 -D OUTDIR/<name>.bin
 *     the code (x86-64 shown; -m aarch64 on arm64)
 *
 * With `perf record -C CPU` during a benchmark and `perf script -F
 * ip,sym,symoff`, each sample's symbol+offset lands on an instruction of
 * that listing (README "Performance" says how it was used). Needs root
 * (CAP_SYS_ADMIN for the program's info, kallsyms addresses).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

/* The kallsyms name of the BPF function at addr (without the bpf_prog_<tag>_ prefix). */
static int ksym_name(unsigned long long addr, char *name, size_t len)
{
	char line[512], sym[256], type;
	unsigned long long a;
	FILE *f = fopen("/proc/kallsyms", "r");
	const char *p;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) != 3 || a != addr)
			continue;
		/* bpf_prog_<16 hex digits>_<name> */
		p = strncmp(sym, "bpf_prog_", 9) ? sym : strchr(sym + 9, '_');
		snprintf(name, len, "%s", p && p != sym ? p + 1 : sym);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), n, size, off = 0, i;
	unsigned long long *ksyms = NULL;
	unsigned char *img = NULL;
	__u32 *lens = NULL;
	char *end, path[4096], name[256];
	long id;
	int fd, ret = 1;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PROG_ID OUTDIR\n", argv[0]);
		return 2;
	}
	id = strtol(argv[1], &end, 10);
	if (*end || id <= 0 || id > 0x7fffffff) {
		fprintf(stderr, "jit_dump: %s is not a program id\n", argv[1]);
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((__u32)id);
	if (fd < 0) {
		fprintf(stderr, "jit_dump: program %ld: %s\n", id, strerror(errno));
		return 1;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit_dump: program %ld: %s\n", id, strerror(errno));
		goto out;
	}
	n = info.nr_jited_ksyms;
	size = info.jited_prog_len;
	if (!n || !size || n != info.nr_jited_func_lens) {
		fprintf(stderr, "jit_dump: program %ld has no JIT image to read (not root, or "
			"net.core.bpf_jit_kallsyms off?)\n", id);
		goto out;
	}
	ksyms = calloc(n, sizeof(*ksyms));
	lens = calloc(n, sizeof(*lens));
	img = malloc(size);
	if (!ksyms || !lens || !img) {
		fprintf(stderr, "jit_dump: out of memory\n");
		goto out;
	}
	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = n;
	info.nr_jited_func_lens = n;
	info.jited_prog_len = size;
	info.jited_ksyms = (__u64)(unsigned long)ksyms;
	info.jited_func_lens = (__u64)(unsigned long)lens;
	info.jited_prog_insns = (__u64)(unsigned long)img;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit_dump: program %ld: %s\n", id, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (off + lens[i] > size) {
			fprintf(stderr, "jit_dump: function %u runs past the image\n", i);
			goto out;
		}
		if (ksym_name(ksyms[i], name, sizeof(name)))
			snprintf(name, sizeof(name), "func%u", i);
		snprintf(path, sizeof(path), "%s/%s.bin", argv[2], name);
		out = fopen(path, "w");
		if (!out || fwrite(img + off, 1, lens[i], out) != lens[i]) {
			fprintf(stderr, "jit_dump: %s: %s\n", path, strerror(errno));
			if (out)
				fclose(out);
			goto out;
		}
		fclose(out);
		printf("%llx %u %s\n", ksyms[i], lens[i], name);
		off += lens[i];
	}
	ret = 0;
out:
	free(ksyms);
	free(lens);
	free(img);
	close(fd);
	return ret;
}
