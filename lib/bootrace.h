/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bootrace: harvest the previous boot's persistent ftrace ring buffer.
 *
 * The one public header of libbootrace. The library decides everything
 * (what the kernel command line is, which instance holds the previous boot,
 * how to drain it without losing a byte, how trace.dat is laid out, what
 * "verified" means); it never prints and never exits. Every function that
 * can fail returns 0 (or a count) on success and a negative errno on failure,
 * and when given a struct bootrace_error fills it with one line naming the
 * problem and the fix.
 */
#ifndef BOOTRACE_H
#define BOOTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

#define BOOTRACE_ERROR_MAX 512

/* Whose problem it is, so a tool can pick its exit code. */
enum bootrace_error_origin {
	BOOTRACE_ERROR_SYSTEM = 0,	/* the kernel, tracefs, permissions */
	BOOTRACE_ERROR_INPUT,		/* what the user gave: options, paths, files */
};

/* One line for the user: what went wrong and what to do about it. */
struct bootrace_error {
	char msg[BOOTRACE_ERROR_MAX];
	enum bootrace_error_origin origin;
};

/* ---------------------------------------------------------------- logging */

enum bootrace_log_level {
	BOOTRACE_LOG_ERR = 0,
	BOOTRACE_LOG_WARN = 1,
	BOOTRACE_LOG_INFO = 2,
	BOOTRACE_LOG_DEBUG = 3,
};

typedef void (*bootrace_log_fn)(enum bootrace_log_level level,
				const char *msg, void *data);

/* ---------------------------------------------------------------- context */

/*
 * Everything the library works with besides its arguments: where tracefs
 * is, the root of the system whose bootloader is configured, the
 * configuration file and the state directory it names, the running
 * kernel's command line, and where diagnostics go. Every entry point that
 * needs any of these takes the context; nothing else is global.
 */
struct bootrace_ctx;
struct bootrace_config;

/*
 * A context with the built-in defaults: root "/", tracefs found (and
 * mounted) on first use, the configuration's documented defaults (call
 * bootrace_ctx_load_config() to read the file), diagnostics discarded.
 */
int bootrace_ctx_new(struct bootrace_ctx **out);
void bootrace_ctx_free(struct bootrace_ctx *ctx);

/* Route the library's diagnostics through @fn (NULL: discard them). */
void bootrace_ctx_set_log_fn(struct bootrace_ctx *ctx, bootrace_log_fn fn, void *data);
/*
 * Messages above @level are dropped. Also sets the log level of
 * libtracefs, libtraceevent and libtracecmd (which only have a global
 * one), so one switch controls all.
 */
void bootrace_ctx_set_log_level(struct bootrace_ctx *ctx, enum bootrace_log_level level);

/*
 * Read the configuration file @path; NULL: BOOTRACE_CONFIG_FILE, which may
 * be absent. A state directory set with bootrace_ctx_set_state_dir() stays.
 */
int bootrace_ctx_load_config(struct bootrace_ctx *ctx, const char *path,
			     struct bootrace_error *err);
/* Where collections and the boot record go, over the configuration's. */
int bootrace_ctx_set_state_dir(struct bootrace_ctx *ctx, const char *dir);
/* The system whose bootloader setup and status look at (an image, a chroot). */
int bootrace_ctx_set_root(struct bootrace_ctx *ctx, const char *root);
/* The tracefs mount to use instead of finding one. */
int bootrace_ctx_set_tracefs_dir(struct bootrace_ctx *ctx, const char *dir);
/* The running kernel's command line, instead of /proc/cmdline (tests). */
int bootrace_ctx_set_proc_cmdline(struct bootrace_ctx *ctx, const char *cmdline);

const char *bootrace_ctx_state_dir(const struct bootrace_ctx *ctx);
/* "/" unless set. */
const char *bootrace_ctx_root(const struct bootrace_ctx *ctx);
/* Whether a root other than the running system's was given. */
bool bootrace_ctx_has_root(const struct bootrace_ctx *ctx);
const struct bootrace_config *bootrace_ctx_config(const struct bootrace_ctx *ctx);
/* The configuration file that was read, or NULL. */
const char *bootrace_ctx_config_file(const struct bootrace_ctx *ctx);
/* The running kernel's command line ("" if it cannot be read). */
const char *bootrace_ctx_proc_cmdline(struct bootrace_ctx *ctx);

struct bootrace_tracefs;
/* tracefs, opened (and mounted if need be) on first use. */
int bootrace_ctx_tracefs(struct bootrace_ctx *ctx, const struct bootrace_tracefs **tfs,
			 struct bootrace_error *err);

/* ------------------------------------------------- kernel command line */

#define BOOTRACE_DEFAULT_SIZE "12M"
#define BOOTRACE_DEFAULT_ALIGN 4096ULL
#define BOOTRACE_DEFAULT_LABEL "trace"
#define BOOTRACE_DEFAULT_EVENTS "sched,irq"
#define BOOTRACE_DEFAULT_PERSISTENT "boot_map"
#define BOOTRACE_DEFAULT_BACKUP "backup"

struct bootrace_cmdline_opts {
	const char *size;		/* "12M"; K/M/G suffixes */
	unsigned long long align;	/* power of two, >= page size */
	const char *label;		/* reserve_mem label */
	const char *events;		/* "sched,irq,sched:sched_switch" or NULL */
	const char *persistent;		/* persistent instance name */
	const char *backup;		/* backup instance name */
	/*
	 * available_events of the running kernel ("system:event" lines), to
	 * check the events against; NULL skips that check.
	 */
	const char *available_events;
	/*
	 * The kernel that will boot with the line ("6.12.117+deb13-cloud-amd64"):
	 * no backup instance before 6.19, -EOPNOTSUPP before 6.12. NULL: 7.1+.
	 */
	const char *kernel_release;
};

/* Fill @opts with the documented defaults. */
void bootrace_cmdline_opts_init(struct bootrace_cmdline_opts *opts);

/* Parse "12M", "4096", "1G" into bytes; rejects overflow, junk, zero. */
int bootrace_size_parse(const char *text, unsigned long long *bytes,
			struct bootrace_error *err);

/*
 * Instance names and labels: [A-Za-z0-9_-], 1 to 63 characters, starting
 * with a letter or digit; anything else could smuggle a kernel parameter.
 */
int bootrace_name_check(const char *what, const char *name,
			struct bootrace_error *err);

/*
 * Compose the command-line fragment
 *   reserve_mem=SIZE:ALIGN:LABEL trace_instance=P@LABEL,EVENTS trace_instance=B=P
 * after validating every part. @out is malloc()ed.
 */
int bootrace_cmdline_compose(const struct bootrace_cmdline_opts *opts,
			     char **out, struct bootrace_error *err);

/* What a kernel command line (e.g. /proc/cmdline) says about bootrace. */
struct bootrace_cmdline_config {
	bool has_reserve_mem;
	bool has_persistent;
	bool has_backup;
	char label[64];
	char persistent[64];	/* NAME of trace_instance=NAME@LABEL */
	char persistent_label[64];	/* its LABEL */
	bool persistent_traceoff;	/* NAME^traceoff@LABEL: off until armed */
	char backup[64];	/* BACKUP of trace_instance=BACKUP=SOURCE */
	char backup_source[64];
};

int bootrace_cmdline_config_parse(const char *cmdline,
				  struct bootrace_cmdline_config *cfg);

/* ------------------------------------------------------------- tracefs */

const char *bootrace_tracefs_path(const struct bootrace_tracefs *tfs);
/* Read a whole tracefs file below the mount (e.g. "available_events"). */
int bootrace_tracefs_read(const struct bootrace_tracefs *tfs, const char *rel,
			  char **text, size_t *len);
void bootrace_strv_free(char **strv);

/* ------------------------------------------------- per-CPU statistics */

/* One per_cpu/cpuN/stats file. */
struct bootrace_cpu_stats {
	unsigned long long entries;
	unsigned long long overrun;
	unsigned long long commit_overrun;
	unsigned long long bytes;
	unsigned long long dropped_events;
	unsigned long long read_events;
	double oldest_event_ts;
	double now_ts;
};

int bootrace_cpu_stats_parse(const char *text,
			     struct bootrace_cpu_stats *stats);

/* ------------------------------------------------------ last_boot_info */

enum bootrace_last_boot_kind {
	BOOTRACE_LAST_BOOT_NONE = 0,	/* no last_boot_info file */
	BOOTRACE_LAST_BOOT_CURRENT,	/* "# Current": traces this boot */
	BOOTRACE_LAST_BOOT_TEXT_DELTA,	/* 6.12: "text delta: N" */
	BOOTRACE_LAST_BOOT_ADDRESS,	/* 6.18+: "ADDR\t[kernel]" + modules */
};

struct bootrace_last_boot {
	enum bootrace_last_boot_kind kind;
	long long text_delta;		/* TEXT_DELTA */
	unsigned long long kernel_addr;	/* ADDRESS */
	unsigned int nr_modules;	/* ADDRESS: lines after [kernel] */
};

int bootrace_last_boot_parse(const char *text, struct bootrace_last_boot *lb);

/* ------------------------------------------------------------ instances */

/* What an instance directory shows about itself. */
struct bootrace_instance_info {
	char *name;
	char *path;			/* absolute directory */
	bool read_only;			/* no tracing_on file: a 7.1+ backup */
	bool tracing_on;		/* writable instance currently tracing */
	bool has_last_boot_info;
	char *last_boot_info;		/* raw text, or NULL */
	struct bootrace_last_boot last_boot;
	int nr_cpus;			/* per_cpu/cpuN directories */
	struct bootrace_cpu_stats *stats;	/* nr_cpus entries */
	size_t subbuf_size;		/* the instance's own sub-buffer size */
	char *trace_clock;		/* selected clock, e.g. "local" */
	unsigned long long buffer_size_kb;	/* per CPU */
};

unsigned long long bootrace_instance_entries(const struct bootrace_instance_info *info);
unsigned long long bootrace_instance_bytes(const struct bootrace_instance_info *info);

/* --------------------------------------------------------- boot record */

/* What collect noted about the boot it left tracing (STATE_DIR/traced-boot). */
struct bootrace_boot_record {
	bool valid;
	char boot_id[64];
	char instance[64];
	long long time;			/* when, seconds since the epoch */
	char release[128];		/* the kernel that boot ran, "" unknown */
	char build_id[72];		/* its build id, "" unknown */
	unsigned long long text;	/* its _text that boot, 0 unknown */
};

/* The note is about an earlier boot than this one. */
bool bootrace_boot_record_previous(const struct bootrace_boot_record *rec);

/* What a kernel line offers (see bootrace_kernel_release_parse()). */
enum bootrace_kernel_level {
	BOOTRACE_KERNEL_TOO_OLD = 0,	/* < 6.12: no trace_instance=NAME@LABEL */
	BOOTRACE_KERNEL_PERSISTENT,	/* 6.12 - 6.18: no backup instances */
	BOOTRACE_KERNEL_BACKUP,		/* 6.19, 7.0: a writable backup that stays */
	BOOTRACE_KERNEL_READ_ONLY,	/* 7.1+: read-only, removes itself */
};

/* ------------------------------------------------------------ decoders */

/*
 * A boot's decoder: what decodes its ring buffer once the boot is gone.
 * Event type ids are assigned at boot and move between kernel builds,
 * and symbols move with every boot, so a trace read after a reboot into
 * another kernel is only right with the metadata of the boot that wrote
 * it. Kept as STATE_DIR/decoders/<boot id>: header page and event, every
 * event format with its id, printk formats, kallsyms with module symbols,
 * /proc/modules, uname and the kernel's build id.
 */
struct bootrace_decoder_info {
	char boot_id[40];		/* the boot it describes */
	char release[128];		/* uname -r */
	char version[256];		/* uname -v */
	char build_id[72];		/* the kernel's, hex; "" when it has none */
	unsigned long long text;	/* the kernel's _text that boot; 0 unknown */
	long long time;			/* when it was saved, seconds since the epoch */
	unsigned int nr_events;		/* event formats */
	unsigned int nr_modules;	/* lines of /proc/modules */
	bool kallsyms;			/* holds symbols (not hidden by kptr_restrict) */
	unsigned long long size;	/* bytes on disk */
	bool compressed;		/* zstd (save-decoder writes them uncompressed) */
	char path[4096];
};

/*
 * Save this boot's decoder in the state directory, replacing an earlier
 * one of the same boot (a later one knows more modules), then remove the
 * decoders of boots that no longer matter. Needs root for the symbols.
 */
int bootrace_decoder_save(struct bootrace_ctx *ctx, struct bootrace_decoder_info *info,
			  struct bootrace_error *err);
/* The header of the decoder of @boot_id; -ENOENT when there is none. */
int bootrace_decoder_info_read(struct bootrace_ctx *ctx, const char *boot_id,
			       struct bootrace_decoder_info *info, struct bootrace_error *err);

/* Whose metadata decodes a trace: the words in the sidecar and the file. */
enum bootrace_decode {
	BOOTRACE_DECODE_UNSET = 0,	/* not recorded (a file from elsewhere) */
	BOOTRACE_DECODE_THIS_BOOT,	/* the data is this boot's own */
	BOOTRACE_DECODE_OWN,		/* the decoder the previous boot left */
	BOOTRACE_DECODE_SAME_BUILD,	/* this boot's; the previous boot ran the same build */
	BOOTRACE_DECODE_OTHER_KERNEL,	/* this boot's, but the previous boot ran another kernel */
	BOOTRACE_DECODE_UNKNOWN,	/* this boot's; nothing tells which kernel ran before */
};

/* "this-boot", "own", "same-build", "other-kernel", "unknown", "unset". */
const char *bootrace_decode_name(enum bootrace_decode decode);
/* The name back; BOOTRACE_DECODE_UNSET for anything else. */
enum bootrace_decode bootrace_decode_parse(const char *name);
/* The formats (and, where stored, the symbols) are known to fit the data. */
bool bootrace_decode_trusted(enum bootrace_decode decode);

/* The boot whose trace is in an instance, as far as it can be told. */
struct bootrace_previous_boot {
	enum bootrace_decode decode;	/* how collect decodes it */
	char boot_id[40];		/* "" unknown */
	char release[128];		/* its kernel, "" unknown */
	char build_id[72];		/* "" unknown */
	bool has_decoder;		/* its decoder is in the state directory */
	char words[1024];		/* how that is known, for the user */
};

/* ---------------------------------------------------- reboots and events */

/* Whether the next reboot goes through kexec, which loses the trace. */
struct bootrace_kexec {
	bool loaded;			/* a kexec kernel is loaded now: the next reboot runs it */
	bool load_at_reboot;		/* kexec-tools' kexec-load loads one at every reboot */
	char unreadable[512];		/* its settings could not be evaluated: why */
	unsigned long long trace_start;	/* where the persistent buffer is this boot; 0 unknown */
	unsigned long long trace_size;
	char advice[1024];		/* what happens to the trace, how to keep it; "" when fine */
};

/*
 * Look at the context's root (kexec-tools' configuration) and, on the
 * running system, /sys/kernel/kexec_loaded and the kernel log for where
 * the buffer of instance @persistent (NULL: not looked for) lies.
 */
int bootrace_kexec_read(struct bootrace_ctx *ctx, const char *persistent,
			struct bootrace_kexec *k);

/*
 * Which of @events (as setup's --events) are events of modules or dynamic
 * events, whose ids follow load order. 1 with *@words (malloc()ed) naming
 * them and saying what it means; 0 when none; -errno.
 */
int bootrace_events_load_order(struct bootrace_ctx *ctx, const char *events, char **words);

/* -------------------------------------------------------------- status */

enum bootrace_cap {
	BOOTRACE_CAP_NO,
	BOOTRACE_CAP_YES,		/* seen in tracefs */
	BOOTRACE_CAP_BY_VERSION,	/* not seen now, but the release has it */
};

struct bootrace_status {
	char *tracefs;
	char release[128];
	int major, minor;
	char *proc_cmdline;
	struct bootrace_cmdline_config cmdline;
	bool configured;		/* reserve_mem + persistent instance */
	enum bootrace_cap persistent;	/* trace_instance=NAME@LABEL, 6.12+ */
	enum bootrace_cap backup;	/* trace_instance=B=S, 6.19+ */
	enum bootrace_cap backup_read_only;	/* read-only, self-removing, 7.1+ */
	char junk_instance[128];	/* "backup=boot_map" made by an old kernel */
	enum bootrace_kernel_level level;	/* judged from tracefs, else the release */
	char *state_dir;		/* where the boot record was looked for */
	struct bootrace_boot_record record;	/* the boot collect last left tracing */
	int nr_instances;
	struct bootrace_instance_info **instances;	/* the ones that matter */
	char next_step[768];		/* what the user should do now */
	/* The boot the backup holds (has_previous), and how collect would decode it. */
	bool has_previous;
	struct bootrace_previous_boot previous;
	/* The decoder of the boot record's boot (record_decoder: it is there). */
	bool record_decoder;
	struct bootrace_decoder_info record_decoder_info;
	struct bootrace_kexec kexec;
};

/* Look at tracefs, the kernel command line and the state directory's boot record. */
int bootrace_status_read(struct bootrace_ctx *ctx, struct bootrace_status *st,
			 struct bootrace_error *err);
void bootrace_status_clear(struct bootrace_status *st);
const char *bootrace_cap_name(enum bootrace_cap cap);

/* Where the previous boot's trace is, and what collect does after reading it. */
enum bootrace_source_kind {
	BOOTRACE_SOURCE_INSTANCE = 0,	/* any instance: read, nothing else changed */
	BOOTRACE_SOURCE_BACKUP,		/* 7.1+: read-only, the kernel removes it */
	BOOTRACE_SOURCE_BACKUP_WRITABLE,	/* 6.19, 7.0: bootrace removes it */
	BOOTRACE_SOURCE_PERSISTENT,	/* before 6.19: the persistent instance
					 * itself, reset and tracing again after */
};


/* ------------------------------------------------------------- collect */

struct bootrace_progress {
	int cpu;
	int nr_cpus;
	unsigned long long cpu_bytes;	/* read so far on this CPU */
	unsigned long long total_bytes;	/* read so far on all CPUs */
	unsigned long long expected_bytes;	/* estimate, may be exceeded */
};

typedef void (*bootrace_progress_fn)(const struct bootrace_progress *p,
				     void *data);

struct bootrace_collect_opts {
	const char *instance;		/* NULL: the backup instance, as status finds it */
	const char *output;		/* trace.dat path; NULL: a new collection in the state dir */
	bool force;			/* overwrite an existing output file */
	bool kallsyms;			/* store /proc/kallsyms (default true) */
	/*
	 * Once the trace is safely on disk, rewrite it as trace.dat version 7
	 * compressed with zstd (as trace-cmd writes it; ~10-30x smaller).
	 * If that fails the uncompressed file is kept, with a warning.
	 */
	bool compress;
	bootrace_progress_fn progress;
	void *progress_data;
	/*
	 * This machine's own boot (not a tracefs given by path): note in
	 * the state dir which boot the persistent instance traces, so that the
	 * next boot can tell lost data from a cold boot. The note is read
	 * from the state dir either way.
	 */
	bool record_boot;
};

/* The defaults; compress as the context's configuration says. */
void bootrace_collect_opts_init(const struct bootrace_ctx *ctx,
				struct bootrace_collect_opts *opts);

/* Whether this build can compress (collect's compress; libzstd). */
bool bootrace_compress_supported(void);

struct bootrace_collect_result {
	char *instance;			/* the instance that was read */
	char *output;			/* final path of trace.dat, or NULL */
	char *partial;			/* on failure after reading began: where the data is */
	int nr_cpus;
	unsigned long long *cpu_bytes;	/* bytes of ring-buffer pages per CPU */
	unsigned long long total_bytes;	/* bytes of those pages that are in the file */
	unsigned long long entries;	/* sum of stats entries before reading */
	unsigned long long events;	/* events this collect wrote, counted in the file */
	unsigned long long lost;	/* overrun + dropped, per the kernel's stats */
	/*
	 * Collections an earlier collect was writing when it was killed,
	 * finished by this one before it read anything (their directories),
	 * NULL-terminated, or NULL. Also on failure and with nothing to read.
	 */
	char **recovered;
	bool has_span;			/* first_ns/last_ns found in the data */
	unsigned long long first_ns, last_ns;	/* the previous boot's trace clock */
	bool read_only;			/* it was a 7.1+ read-only backup */
	enum bootrace_source_kind source;
	bool removed;			/* SOURCE_BACKUP_WRITABLE: bootrace removed it */
	bool rearmed;			/* SOURCE_PERSISTENT: reset, tracing again */
	char cleanup_error[256];	/* removing/re-arming failed: why (data is safe) */
	/* Whose formats and symbols the file carries, and why (bootrace_decode). */
	struct bootrace_previous_boot previous;
};

void bootrace_collect_result_clear(struct bootrace_collect_result *res);

/*
 * Snapshot, check, drain, write. Returns:
 *   0        trace.dat written at res->output
 *   -ENODATA the instance held no entries (cold boot); nothing written
 *   -ENOENT  no instance to collect (err says why)
 *   other    failure; if res->partial is set, the data read is kept there
 */
int bootrace_collect(struct bootrace_ctx *ctx,
		     const struct bootrace_collect_opts *opts,
		     struct bootrace_collect_result *res,
		     struct bootrace_error *err);


/* ------------------------------------ configuration, history, report */

#define BOOTRACE_DEFAULT_KEEP 10
#define BOOTRACE_DEFAULT_MAX_SIZE "1G"
/* The sidecar file of a collection directory, "key=value" lines. */
#define BOOTRACE_INFO_FILE "info"

struct bootrace_config {
	char *state_dir;		/* where collections go */
	unsigned int keep;		/* collections kept; 0: no limit */
	unsigned long long max_size;	/* bytes all collections may take; 0: no limit */
	bool compress;			/* collect writes zstd-compressed trace.dat (v7) */
};

/* The documented defaults. Free the contents with bootrace_config_clear(). */
int bootrace_config_init(struct bootrace_config *cfg);
void bootrace_config_clear(struct bootrace_config *cfg);

/*
 * Parse "key = value" lines (# comments, blank lines) from @text on top
 * of @cfg. @name names the file in messages. A malformed line is -EINVAL
 * with "NAME:LINE: ..." in @err; an unknown key is a warning (logged).
 */
int bootrace_config_parse(struct bootrace_ctx *ctx, const char *text, const char *name,
			  struct bootrace_config *cfg, struct bootrace_error *err);

/* One directory under the state directory, as its sidecar describes it. */
struct bootrace_collection {
	char *name;			/* "2026-11-26T07:12:03Z-<boot id>[.partial]" */
	char *path;			/* the directory */
	char *trace;			/* trace.dat (or trace.dat.partial) in it, or NULL */
	bool partial;			/* collect failed after reading began */
	bool interrupted;		/* collect was killed; the next one finished it */
	bool has_info;			/* the sidecar was there and read */
	char collected[32];		/* UTC time the collection was made */
	char boot_id[40];		/* the boot that collected it */
	char kernel[128];		/* release of the kernel that collected it */
	char instance[64];
	int nr_cpus;
	unsigned long long events;	/* records in the file */
	unsigned long long entries;	/* events the kernel held when collect began (0: unknown) */
	unsigned long long lost;	/* overrun + dropped + lost-event markers */
	bool has_span;
	unsigned long long first_ns, last_ns;	/* trace clock of the previous boot */
	unsigned long long size;	/* bytes of the files in the directory */
};

/*
 * The collections in the state directory, oldest first: the directories
 * directly in it named "<UTC time>Z-<boot id>" (see
 * bootrace_collection_name_valid()); nothing else there is one.
 * -ENOENT: no such directory.
 */
int bootrace_history_read(struct bootrace_ctx *ctx,
			  struct bootrace_collection **list, int *nr,
			  struct bootrace_error *err);
void bootrace_history_free(struct bootrace_collection *list, int nr);
/* One collection directory @dir, as bootrace_history_read() describes each. */
int bootrace_collection_read(const char *dir, struct bootrace_collection *c);
void bootrace_collection_clear(struct bootrace_collection *c);
/* Is @name the name of a collection directory? */
bool bootrace_collection_name_valid(const char *name);

/*
 * Retention: remove the oldest collections until at most cfg->keep remain
 * and they take at most cfg->max_size bytes. The newest is never removed.
 * Only directories named like collections are touched. Returns the number
 * removed (their names in *removed if non-NULL, NULL-terminated) or -errno.
 */
int bootrace_history_prune(struct bootrace_ctx *ctx, char ***removed,
			   struct bootrace_error *err);

/*
 * Which trace.dat @what means: a file, a collection directory, or a
 * collection's name in the state dir; NULL: the newest collection.
 */
int bootrace_collection_resolve(struct bootrace_ctx *ctx, const char *what,
				char **path, struct bootrace_error *err);

struct bootrace_report_opts {
	const char *file;		/* trace.dat */
	unsigned int last;		/* events per CPU to format (0: none) */
};

struct bootrace_event_count {
	char name[128];			/* "system:event" */
	unsigned long long count;
};

/* One field of an event as the trace holds it, like trace-cmd report -R. */
enum bootrace_field_kind {
	BOOTRACE_FIELD_UNSIGNED,	/* value */
	BOOTRACE_FIELD_SIGNED,		/* (long long)value */
	BOOTRACE_FIELD_STRING,		/* text: a char array; bytes that are not
					 * printable ASCII written as \xNN */
	BOOTRACE_FIELD_BYTES,		/* text: any other array, as hex digits */
};

struct bootrace_event_field {
	char *name;
	enum bootrace_field_kind kind;
	unsigned long long value;
	char *text;
};

struct bootrace_report_line {
	unsigned long long ts;
	char *text;			/* formatted like trace-cmd report */
	char *event;			/* "system:name", or NULL if unknown */
	int pid;
	char *comm;			/* as the trace names pid, or NULL */
	int nr_fields;			/* the event's own, common fields left out */
	struct bootrace_event_field *fields;
};

/*
 * Whether the trace shows a kernel panic. Only the kernel's own messages
 * (printk:console events) can tell, and only when they were traced.
 */
enum bootrace_panic {
	BOOTRACE_PANIC_UNKNOWN = 0,	/* no kernel messages in the trace */
	BOOTRACE_PANIC_NO,		/* messages, none of them a panic */
	BOOTRACE_PANIC_YES,		/* "Kernel panic - not syncing: ..." */
};

/* "unknown", "no", "yes". */
const char *bootrace_panic_name(enum bootrace_panic panic);

struct bootrace_report_cpu {
	unsigned long long records;
	unsigned long long first_ns, last_ns;
	int nr_lines;			/* the last ones, oldest first */
	struct bootrace_report_line *lines;
};

/* One buffer of a trace.dat: the top level, or a named one (trace-cmd -B NAME). */
struct bootrace_buffer_summary {
	char name[64];			/* "" for the top level */
	unsigned long long records;
};

struct bootrace_report {
	int nr_cpus;
	/* Per CPU, every buffer's events together (lines name their buffer). */
	struct bootrace_report_cpu *cpus;
	unsigned long long records;
	bool has_span;
	unsigned long long first_ns, last_ns;
	int nr_types;			/* most frequent first */
	struct bootrace_event_count *types;
	unsigned long long overrun;	/* CPUSTAT: oldest overwritten */
	unsigned long long dropped;	/* CPUSTAT: dropped + commit overrun */
	unsigned long long missed;	/* lost events marked inside the data */
	unsigned long long missed_markers;	/* markers, some without a count */
	/* Pages the kernel marked as following lost events (dropped ones too, 7.2+). */
	unsigned long long missed_pages;
	unsigned long long lost;	/* all of the above */
	int nr_buffers;			/* the top level first */
	struct bootrace_buffer_summary *buffers;
	char *writer;			/* what wrote the file (its VERSION), or NULL */
	char *uname;			/* of the system the trace was recorded on, as far as known */
	char *instance;			/* LAST_BOOT_INFO instance, or NULL */
	/*
	 * Addresses are the previous boot's: its kernel text started at
	 * prev_text, the stored kallsyms' at text; symbols shifted by the
	 * difference when both are known (shifted true).
	 */
	unsigned long long prev_text, text;
	bool shifted;
	enum bootrace_panic panic;
	char panic_message[256];	/* the first panic's message, one line */
	/*
	 * Whose formats and symbols the file carries, as collect said in it
	 * (decode UNSET: it does not say); not trusted: names and fields may
	 * be another kernel's (bootrace_decode_trusted()).
	 */
	struct bootrace_previous_boot decode;
};

int bootrace_report_read(struct bootrace_ctx *ctx, const struct bootrace_report_opts *opts,
			 struct bootrace_report *rep, struct bootrace_error *err);
void bootrace_report_clear(struct bootrace_report *rep);

/* -------------------------------------------------------------- verify */

enum bootrace_check_status {
	BOOTRACE_CHECK_PASS,
	BOOTRACE_CHECK_FAIL,
	BOOTRACE_CHECK_SKIP,
};

struct bootrace_check {
	char name[64];			/* stable identifier, e.g. "parse" */
	enum bootrace_check_status status;
	char detail[256];		/* the numbers, in words */
};

struct bootrace_verify_opts {
	const char *file;
	bool check_instance;		/* look at tracefs: is the backup gone? */
	const char *persistent;		/* NULL: from the kernel command line */
	unsigned int timeout_ms;	/* wait for the backup to go away */
};

struct bootrace_verify_result {
	int nr_checks;
	struct bootrace_check checks[16];
	int nr_cpus;
	unsigned long long *cpu_records;	/* records read per CPU, all buffers */
	unsigned long long *cpu_expected;	/* entries in the kernel's stats */
	unsigned long long records;
	unsigned long long expected;
	char *instance;			/* from the file's LAST_BOOT_INFO */
	char *writer;			/* what wrote the file (its VERSION), or NULL */
	bool bootrace_file;		/* written by bootrace collect: counts checked */
	int nr_buffers;			/* the top level first */
	struct bootrace_buffer_summary *buffers;
};

void bootrace_verify_result_clear(struct bootrace_verify_result *res);

/* 0: all checks ran (see statuses); negative: could not open/parse at all. */
int bootrace_verify(struct bootrace_ctx *ctx, const struct bootrace_verify_opts *opts,
		    struct bootrace_verify_result *res,
		    struct bootrace_error *err);
bool bootrace_verify_passed(const struct bootrace_verify_result *res);

/* ---------------------------------------------------------- bootloader */

/* What a kernel release gives with bootrace's command line. */

struct bootrace_kernel_release {
	int major, minor, patch;
	enum bootrace_kernel_level level;
};

/* Parse "6.12.117+deb13-cloud-amd64", "7.1", "7.1.0-rc3". */
int bootrace_kernel_release_parse(const char *release,
				  struct bootrace_kernel_release *kr,
				  struct bootrace_error *err);
/* What the user gets on such a kernel, in words. */
const char *bootrace_kernel_level_words(enum bootrace_kernel_level level);

/* This machine, for the size check. */
struct bootrace_machine {
	unsigned int nr_cpus;		/* possible CPUs */
	unsigned long long ram;		/* MemTotal, bytes; 0 unknown */
	unsigned long page_size;
};

void bootrace_machine_read(struct bootrace_machine *m);

/*
 * Is @size sensible for @m? An error when the kernel could not fit its
 * sub-buffers on every CPU, or it takes an unreasonable share of RAM; a
 * @warning (empty if none) when it is merely large or small.
 */
int bootrace_size_check(unsigned long long size, const struct bootrace_machine *m,
			char *warning, size_t warning_len,
			struct bootrace_error *err);

enum bootrace_bootloader {
	BOOTRACE_BOOTLOADER_AUTO = 0,	/* detect; in results: none found */
	BOOTRACE_BOOTLOADER_GRUB,	/* /etc/default/grub.d/bootrace.cfg */
	BOOTRACE_BOOTLOADER_KERNEL_INSTALL,	/* /etc/kernel/cmdline */
	BOOTRACE_BOOTLOADER_PRINT,	/* only print instructions */
};

const char *bootrace_bootloader_name(enum bootrace_bootloader bl);
int bootrace_bootloader_parse(const char *name, enum bootrace_bootloader *bl,
			      struct bootrace_error *err);

/* The bootloader that configures the next boot of the context's root. */
int bootrace_bootloader_detect(struct bootrace_ctx *ctx, enum bootrace_bootloader *bl,
			       struct bootrace_error *err);

/*
 * The release of the kernel the default boot entry of the root boots, and
 * in @how a few words on how it was found. -ENOENT when it cannot be told.
 */
int bootrace_next_kernel(struct bootrace_ctx *ctx, enum bootrace_bootloader bl,
			 char **release, char **how, struct bootrace_error *err);

struct bootrace_file_edit {
	char *path;			/* inside the root: "/etc/kernel/cmdline" */
	bool existed;
	char *old_text;
	size_t old_len;
	bool remove;			/* delete the file */
	char *new_text;
	size_t new_len;
	/*
	 * The file is in bootrace's own directory (its state directory, for
	 * the record of what setup added): a new file is 0600 in a directory
	 * made 0700, and the directory is removed with the file once empty.
	 */
	bool own_dir;
};

struct bootrace_setup_opts {
	enum bootrace_bootloader bootloader;	/* AUTO: detect */
	const char *fragment;		/* to install; ignored with remove */
	bool remove;
	/* Names the fragment uses: other arguments with them conflict. */
	const char *label, *persistent, *backup;
};

struct bootrace_setup_plan {
	enum bootrace_bootloader bootloader;
	char *root;
	int nr_edits;
	struct bootrace_file_edit *edits;	/* only files that change */
	char *installed;		/* bootrace's arguments found, or NULL */
	char **regenerate;		/* argv of the regeneration command, or NULL */
	char *regenerate_text;		/* the same as one shell-quoted line */
	bool regenerate_stale;		/* generated files lag behind the config */
};

/*
 * Work out what setup (or --remove) changes under the root, refusing
 * anything unexpected; changes nothing.
 */
int bootrace_setup_plan(struct bootrace_ctx *ctx, const struct bootrace_setup_opts *opts,
			struct bootrace_setup_plan *plan,
			struct bootrace_error *err);
/* Unified diff of the plan's edits (a/PATH, b/PATH; patch -p1 in the root). */
int bootrace_setup_diff(const struct bootrace_setup_plan *plan, char **diff);
/* Write the edits: temporary file, fsync, rename; owner and mode kept. */
int bootrace_setup_apply(const struct bootrace_setup_plan *plan,
			 struct bootrace_error *err);
/* Run plan->regenerate; its output goes to stderr. */
int bootrace_setup_regenerate(const struct bootrace_setup_plan *plan,
			      struct bootrace_error *err);
void bootrace_setup_plan_clear(struct bootrace_setup_plan *plan);

/* What the bootloader files of @root give the next boot. */
struct bootrace_next_boot {
	enum bootrace_bootloader bootloader;	/* AUTO: none recognised */
	char *config;			/* file holding bootrace's arguments */
	char *fragment;			/* bootrace's arguments there, or NULL */
	bool stale;			/* generated files (grub.cfg) lag behind */
	char *kernel_release;		/* the default entry's kernel, or NULL */
};

int bootrace_next_boot_read(struct bootrace_ctx *ctx, struct bootrace_next_boot *nb,
			    struct bootrace_error *err);
/* Does @proc_cmdline (the running boot) carry exactly the next boot's arguments? */
bool bootrace_next_boot_matches(const struct bootrace_next_boot *nb,
				const char *proc_cmdline);
void bootrace_next_boot_clear(struct bootrace_next_boot *nb);

#ifdef __cplusplus
}
#endif

#endif /* BOOTRACE_H */
