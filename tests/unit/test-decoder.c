/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoders: saved from a tracefs and read back the same; which one goes
 * with a trace (the boot record's, checked against last_boot_info's
 * kernel text and modules; else another by kernel text) and, without one,
 * what collect says about this kernel's formats; damaged and oversized
 * files refused; retention; the build id in ELF notes; events whose ids
 * follow load order; whether a record's length fits its format, and
 * collect's word on whose formats a file carries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>

#include "bootrace.h"
#include "bootrace-local.h"
#include "decode-check.h"
#include "decoder.h"
#include "kernel-id.h"
#include "load-order.h"
#include "tap.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccc"
#define ID_D "dddddddddddddddddddddddddddddddd"
#define BUILD_A "1111111111111111111111111111111111111111"
#define TEXT_A 0xffffffff86000000ULL

static char work[256], state[300];

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		perror(path);
	if (fd >= 0)
		close(fd);
}

static void put(FILE *f, const char *name, const char *data)
{
	fprintf(f, "%s %zu\n%s", name, strlen(data), data);
}

/*
 * A decoder as save-decoder writes one, with an uncompressed body: a
 * kernel whose _text was at @text and which had @modules loaded.
 */
static void make_decoder(const char *id, const char *build_id, unsigned long long text,
			 long long time, const char *modules, long long body_size_delta)
{
	char path[400], kallsyms[128], *body = NULL, *header = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	snprintf(kallsyms, sizeof(kallsyms), "%llx T _text\n%llx T start_kernel\n", text, text + 0x1000);
	put(f, "header_page", "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n");
	put(f, "header_event", "# compressed entry header\n\ttype_len    :    5 bits\n");
	put(f, "ftrace/print", "name: print\nID: 5\nformat:\n");
	put(f, "events/sched/sched_switch", "name: sched_switch\nID: 300\nformat:\n");
	put(f, "events/sched/sched_wakeup", "name: sched_wakeup\nID: 301\nformat:\n");
	put(f, "events/timer/hrtimer_start", "name: hrtimer_start\nID: 416\nformat:\n");
	put(f, "kallsyms", kallsyms);
	put(f, "modules", modules);
	put(f, "uname", "Linux host 7.3.4 #1 SMP x86_64");
	fclose(f);
	if (asprintf(&header, "bootrace-decoder 1\nboot_id=%s\nrelease=7.3.4-test\nversion=#1\nbuild_id=%s\n"
			      "text=%llx\ntime=%lld\nevents=4\nmodules=1\nkallsyms=yes\nbody=raw\nbody_size=%lld\n\n",
		     id, build_id, text, time, (long long)len + body_size_delta) < 0)
		exit(2);
	snprintf(path, sizeof(path), "%s/decoders", state);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/decoders/%s", state, id);
	f = fopen(path, "w");
	fputs(header, f);
	fwrite(body, 1, len, f);
	fclose(f);
	free(body);
	free(header);
}

static void remove_decoder(const char *id)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/decoders/%s", state, id);
	unlink(path);
}

static bool has_decoder(const char *id)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/decoders/%s", state, id);
	return !access(path, F_OK);
}

/* A 7.1+ backup: last_boot_info names the traced boot's kernel text and modules. */
static void backup_info(struct bootrace_instance_info *info, unsigned long long text,
			const char *modules)
{
	static char lbi[512];

	memset(info, 0, sizeof(*info));
	snprintf(lbi, sizeof(lbi), "%llx\t[kernel]\n%s", text, modules);
	info->name = "backup";
	info->has_last_boot_info = true;
	info->last_boot_info = lbi;
	bootrace_last_boot_parse(lbi, &info->last_boot);
}

static void record(struct bootrace_boot_record *rec, const char *id, const char *build_id,
		   unsigned long long text)
{
	memset(rec, 0, sizeof(*rec));
	rec->valid = true;
	snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", id);
	snprintf(rec->release, sizeof(rec->release), "7.1.13-test");
	snprintf(rec->build_id, sizeof(rec->build_id), "%s", build_id);
	rec->text = text;
}

static enum bootrace_decode plan(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
				 const struct bootrace_boot_record *rec, struct bootrace_previous_boot *prev,
				 char *used, size_t used_len)
{
	struct br_decoder *dec = NULL;

	br_decode_plan(ctx, info, rec, true, prev, &dec);
	snprintf(used, used_len, "%s", dec ? dec->info.boot_id : "");
	if (dec)
		tap_ok(dec->nr_systems == 2 && dec->nr_ftrace == 1 &&
		       dec->kallsyms.len && dec->modules.len && dec->uname,
		       "the decoder of %.8s read back: 2 systems, ftrace, symbols, modules, uname",
		       dec->info.boot_id);
	br_decoder_free(dec);
	return prev->decode;
}

static void test_plan(struct bootrace_ctx *ctx)
{
	const char *mods = "ext4 1000 1 - Live 0xffffffffc0a00000\n";
	struct bootrace_previous_boot prev;
	struct bootrace_instance_info info;
	struct bootrace_boot_record rec;
	char used[64], build[72] = "";

	make_decoder(ID_A, BUILD_A, TEXT_A, 100, mods, 0);
	backup_info(&info, TEXT_A, "ffffffffc0a00000\text4\n");
	record(&rec, ID_A, BUILD_A, TEXT_A);
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "own",
		   "the record's boot has a decoder whose kernel and modules were where the trace's were: own");
	tap_is_str(used, ID_A, "it is boot A's");
	tap_ok(prev.has_decoder && !strcmp(prev.boot_id, ID_A) && !strcmp(prev.release, "7.3.4-test"),
	       "and the previous boot is named with its kernel");
	br_decode_plan(ctx, &info, &rec, true, &prev, NULL);
	tap_ok(prev.decode == BOOTRACE_DECODE_OWN && prev.has_decoder,
	       "from the decoders' headers alone (status): the same");

	/* A later boot traced without collecting: the record names an older one. */
	backup_info(&info, TEXT_A + 0x200000, "");
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "unknown",
		   "the trace's kernel was elsewhere than the record's boot's: not its decoder, and nothing known");
	tap_ok(strstr(prev.words, "kernel text was at") != NULL, "the words say why (%s)", prev.words);

	/* No record (it was lost), but a decoder whose kernel was there. */
	backup_info(&info, TEXT_A, "");
	rec.valid = false;
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "own",
		   "without a record, the decoder whose kernel text matches last_boot_info");

	/* The same module elsewhere: another boot with, by chance, the same text. */
	backup_info(&info, TEXT_A, "ffffffffc0b00000\text4\n");
	record(&rec, ID_A, BUILD_A, TEXT_A);
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "other-kernel",
		   "a module of the trace's boot elsewhere in the decoder's: not its decoder");
	tap_ok(strstr(prev.words, "module ext4") != NULL, "the words name the module (%s)", prev.words);

	/* The build id of the record and of the decoder differ. */
	backup_info(&info, TEXT_A, "");
	record(&rec, ID_A, "2222222222222222222222222222222222222222", TEXT_A);
	plan(ctx, &info, &rec, &prev, used, sizeof(used));
	tap_ok(strcmp(used, ID_A) != 0, "a decoder of another build than the record says is not used (%s)",
	       prev.words);

	/* Before 7.1 (no kernel address): the record alone. */
	remove_decoder(ID_A);
	backup_info(&info, 0, "");
	info.last_boot.kind = BOOTRACE_LAST_BOOT_TEXT_DELTA;
	record(&rec, ID_A, BUILD_A, TEXT_A);
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "other-kernel",
		   "no decoder, the record says another build: other-kernel");
	tap_ok(strstr(prev.words, "7.1.13-test") && strstr(prev.words, "another kernel's"),
	       "the words name its kernel (%s)", prev.words);
	if (!br_kernel_build_id(build, sizeof(build)) && build[0]) {
		record(&rec, ID_A, build, 0);
		tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "same-build",
			   "no decoder, the record says this build: same-build");
	} else {
		printf("ok %d - # SKIP no build id in /sys/kernel/notes here\n", ++tap_count);
	}
	rec.valid = false;
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "unknown",
		   "no decoder, no record: unknown");
	tap_ok(!bootrace_decode_trusted(prev.decode), "unknown is not trusted");

	info.last_boot.kind = BOOTRACE_LAST_BOOT_CURRENT;
	tap_is_str(bootrace_decode_name(plan(ctx, &info, &rec, &prev, used, sizeof(used))), "this-boot",
		   "an instance tracing this boot: this-boot");
	tap_ok(bootrace_decode_parse("same-build") == BOOTRACE_DECODE_SAME_BUILD &&
	       bootrace_decode_parse("nonsense") == BOOTRACE_DECODE_UNSET, "decode names parse back");
}

static void test_damaged(struct bootrace_ctx *ctx)
{
	struct bootrace_error err = { 0 };
	struct br_decoder *dec = NULL;
	const char *text;
	char path[400];

	make_decoder(ID_B, BUILD_A, TEXT_A, 1, "", 0);
	tap_is_int(br_decoder_load(ctx, ID_B, &dec, &err), 0, "a well-formed decoder loads");
	br_decoder_free(dec);
	make_decoder(ID_B, BUILD_A, TEXT_A, 1, "", (256LL << 20) + 1);
	tap_ok(br_decoder_load(ctx, ID_B, &dec, &err) < 0 && !dec, "a body over the 256 MiB bound is refused");
	/* An entry longer than the file. */
	snprintf(path, sizeof(path), "%s/decoders/%s", state, ID_B);
	text = "bootrace-decoder 1\nboot_id=" ID_B "\nbody=raw\nbody_size=20\n\nheader_page 999999\nx";
	write_file(path, text, strlen(text));
	tap_ok(br_decoder_load(ctx, ID_B, &dec, &err) == -EINVAL && strstr(err.msg, "damaged"),
	       "an entry past the end of the file: damaged (%s)", err.msg);
	text = "bootrace-decoder 1\nboot_id=" ID_C "\nbody=raw\nbody_size=0\n\n";
	write_file(path, text, strlen(text));
	tap_ok(br_decoder_load(ctx, ID_B, &dec, &err) < 0, "a decoder naming another boot than its file is refused");
	write_file(path, "not a decoder\n\n", 15);
	tap_ok(br_decoder_load(ctx, ID_B, &dec, &err) < 0, "a file that is no decoder is refused");
	unlink(path);
	symlink("/etc/passwd", path);
	tap_ok(br_decoder_load(ctx, ID_B, &dec, &err) < 0, "a link in the decoders directory is not followed");
	unlink(path);
}

static void test_save(struct bootrace_ctx *ctx)
{
	struct bootrace_decoder_info info, back;
	struct bootrace_error err = { 0 };
	struct br_decoder *dec = NULL;
	char dir[400], path[500], id[BR_BOOT_ID_LEN];
	struct stat st;
	int ret;

	/* A tracefs with two systems and the ftrace one. */
	snprintf(dir, sizeof(dir), "%s/tracefs", work);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/instances", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/header_page", dir);
	write_file(path, "page\n", 5);
	snprintf(path, sizeof(path), "%s/events/header_event", dir);
	write_file(path, "event\n", 6);
	snprintf(path, sizeof(path), "%s/events/enable", dir);
	write_file(path, "0\n", 2);
	const char *events[] = { "ftrace/print", "sched/sched_switch", "sched/sched_waking", "timer/timer_start" };
	for (size_t i = 0; i < 4; i++) {
		char *slash = strchr(events[i], '/');

		snprintf(path, sizeof(path), "%s/events/%.*s", dir, (int)(slash - events[i]), events[i]);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/events/%s", dir, events[i]);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/events/%s/format", dir, events[i]);
		write_file(path, events[i], strlen(events[i]));
	}
	snprintf(path, sizeof(path), "%s/printk_formats", dir);
	write_file(path, "0xffffffff81000000 : \"hello\"\n", 29);
	bootrace_ctx_set_tracefs_dir(ctx, dir);

	ret = bootrace_decoder_save(ctx, &info, &err);
	tap_is_int(ret, 0, "save-decoder on a tracefs");
	if (ret)
		printf("#   %s\n", err.msg);
	br_boot_id(id);
	tap_is_str(info.boot_id, id, "it is this boot's");
	tap_is_int(info.nr_events, 4, "with every event format");
	snprintf(path, sizeof(path), "%s/decoders/%s", state, id);
	tap_ok(!stat(path, &st) && (st.st_mode & 0777) == 0600 && st.st_size == (off_t)info.size,
	       "decoders/BOOT_ID, 0600, of the size said");
	tap_ok(!bootrace_decoder_info_read(ctx, id, &back, NULL) && back.time == info.time &&
	       !strcmp(back.release, info.release) && !strcmp(back.build_id, info.build_id) &&
	       back.nr_events == 4, "its header reads back");
	tap_is_int(br_decoder_load(ctx, id, &dec, &err), 0, "and the whole of it");
	if (dec) {
		tap_ok(dec->nr_ftrace == 1 && dec->nr_systems == 2 &&
		       dec->systems[0].nr_events == 2 && !strcmp(dec->systems[0].name, "sched") &&
		       !strcmp(dec->systems[1].events[0].name, "timer_start") &&
		       dec->systems[1].events[0].format.len == strlen("timer/timer_start") &&
		       !memcmp(dec->systems[1].events[0].format.data, "timer/timer_start",
			       strlen("timer/timer_start")) &&
		       dec->printk_formats.len == 29 && dec->header_page.len == 5,
		       "formats, systems and printk formats as the tracefs had them");
		tap_ok(!info.kallsyms || br_kallsyms_text(dec->kallsyms.data, dec->kallsyms.len) == info.text,
		       "the symbols' _text is the header's");
	}
	br_decoder_free(dec);
	tap_ok(bootrace_decoder_info_read(ctx, ID_D, &back, &err) == -ENOENT, "no decoder of another boot: -ENOENT");
}

static void test_prune(struct bootrace_ctx *ctx)
{
	char id[BR_BOOT_ID_LEN], path[400];

	/* This boot's (saved above, newest) stays; so do the newest other and the record's. */
	make_decoder(ID_A, BUILD_A, TEXT_A, 1, "", 0);
	make_decoder(ID_B, BUILD_A, TEXT_A, 2, "", 0);
	make_decoder(ID_C, BUILD_A, TEXT_A, 3, "", 0);
	make_decoder(ID_D, BUILD_A, TEXT_A, 4, "", 0);
	snprintf(path, sizeof(path), "%s/traced-boot", state);
	write_file(path, "boot_id=" ID_A "\ninstance=boot_map\ntime=1\n",
		   strlen("boot_id=" ID_A "\ninstance=boot_map\ntime=1\n"));
	tap_is_int(br_decoder_prune(ctx), 2, "retention removes two decoders");
	br_boot_id(id);
	tap_ok(has_decoder(id) && has_decoder(ID_D) && has_decoder(ID_A) && !has_decoder(ID_B) &&
	       !has_decoder(ID_C), "kept: this boot's, the newest other, the boot record's");
}

static void test_notes(void)
{
	/* namesz 4, descsz 4, type 1 ("GNU", other note), then the build id note. */
	unsigned char notes[] = {
		4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0, 1, 2, 3, 4,
		4, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0, 0xab, 0xcd, 0xef, 0,
	};
	char hex[72];
	const char *k;

	tap_ok(!br_notes_build_id(notes, sizeof(notes), hex, sizeof(hex)) && !strcmp(hex, "abcdef"),
	       "the GNU build id note, after another note (%s)", hex);
	notes[24] = 200;	/* descsz past the end */
	tap_ok(br_notes_build_id(notes, sizeof(notes), hex, sizeof(hex)) == -EINVAL,
	       "a note longer than the notes is refused");
	tap_ok(br_notes_build_id(notes, 20, hex, sizeof(hex)) == -ENOENT, "no build id note: -ENOENT");
	k = "0000000000000000 A irq_stack\nffffffff81000000 T _text\n";

	tap_ok(br_kallsyms_text(k, strlen(k)) == 0xffffffff81000000ULL, "_text found in kallsyms");
	k = "ffffffff81000000 T _textual\n";
	tap_ok(br_kallsyms_text(k, strlen(k)) == 0, "only _text itself");
}

static void test_load_order(void)
{
	const char *avail = "sched:sched_switch\nxfs:xfs_iget\nxfs:xfs_ilock\nkprobes:myprobe\n";
	const char *kallsyms = "ffffffff83a0c2e0 d event_sched_switch\n"
			       "ffffffffc06c5040 d event_xfs_ilock\t[xfs]\n";
	char *words = NULL;

	tap_is_int(br_events_load_order("sched,irq", avail, kallsyms, &words), 0,
		   "built-in events: nothing to say");
	tap_is_int(br_events_load_order("sched,xfs", avail, kallsyms, &words), 1, "a module's event system");
	tap_ok(words && strstr(words, "xfs:xfs_ilock (module xfs)") && !strstr(words, "xfs_iget"),
	       "names its module's events (%s)", words);
	free(words);
	tap_is_int(br_events_load_order("kprobes:myprobe", avail, kallsyms, &words), 1, "a kprobe");
	tap_ok(words && strstr(words, "a dynamic event"), "is a dynamic event");
	free(words);
	tap_is_int(br_events_load_order("xfs:xfs_ilock", avail, NULL, &words), 0,
		   "without kallsyms, modules are not told");
}

#define COMMON "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static void test_record_fit(void)
{
	const char *fixed = "name: hrtimer_start\nID: 416\nformat:\n" COMMON
		"\tfield:void * hrtimer;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:u64 expires;\toffset:16;\tsize:8;\tsigned:0;\n\n"
		"print fmt: \"hrtimer=%p\", REC->hrtimer\n";
	const char *dynamic = "name: sched_process_exec\nID: 300\nformat:\n" COMMON
		"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
		"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n\n"
		"print fmt: \"filename=%s\", __get_str(filename)\n";
	struct tep_handle *tep = tep_alloc();
	struct tep_record rec = { 0 };
	struct tep_event *ev;

	tep_parse_event(tep, fixed, strlen(fixed), "timer");
	tep_parse_event(tep, dynamic, strlen(dynamic), "sched");
	ev = tep_find_event(tep, 416);
	tap_ok(ev != NULL, "a format parsed");
	if (!ev)
		return;
	rec.size = 24;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_FITS, "a record as long as the format's fields fits");
	rec.size = 32;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_FITS, "and with the ring buffer's padding");
	rec.size = 16;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_SHORT, "a shorter one does not: another format wrote it");
	rec.size = 48;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_LONG, "nor one longer than fixed fields and padding");
	ev = tep_find_event(tep, 300);
	rec.size = 200;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_FITS, "a format with a string of its own length takes any length");
	rec.size = 12;
	tap_is_int(br_record_fit(ev, &rec), BR_RECORD_SHORT, "but not less than its fixed fields");
	tep_free(tep);
}

static void test_marker(void)
{
	struct bootrace_previous_boot prev = { .decode = BOOTRACE_DECODE_OTHER_KERNEL }, back;
	char *text = NULL;

	snprintf(prev.boot_id, sizeof(prev.boot_id), ID_A);
	snprintf(prev.release, sizeof(prev.release), "7.1.13-test");
	snprintf(prev.words, sizeof(prev.words), "boot aaaaaaaa ran kernel 7.1.13-test\nand more");
	tap_is_int(br_decode_marker_text(&prev, &text), 0, "collect's word on the formats, as option text");
	tap_ok(text && !br_decode_marker_parse(text, strlen(text), &back) &&
	       back.decode == BOOTRACE_DECODE_OTHER_KERNEL && !strcmp(back.boot_id, ID_A) &&
	       !strcmp(back.release, "7.1.13-test") &&
	       !strcmp(back.words, "boot aaaaaaaa ran kernel 7.1.13-test and more"),
	       "reads back, the words on one line");
	free(text);
	tap_ok(br_decode_marker_parse("words=x\n", 8, &back) == -EINVAL, "without decode=: nothing known");
}

int main(void)
{
	struct bootrace_ctx *ctx;

	snprintf(work, sizeof(work), "%s/bootrace-decoder.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(work) || bootrace_ctx_new(&ctx))
		return 2;
	snprintf(state, sizeof(state), "%s/state", work);
	mkdir(state, 0700);
	bootrace_ctx_set_state_dir(ctx, state);
	test_notes();
	test_load_order();
	test_record_fit();
	test_marker();
	test_plan(ctx);
	test_damaged(ctx);
	test_save(ctx);
	test_prune(ctx);
	bootrace_ctx_free(ctx);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		if (system(cmd))
			printf("# could not remove %s\n", work);
	}
	return tap_done();
}
