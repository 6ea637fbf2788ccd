/* Reads bw_module_descriptor's first three uint32 fields from an ELF64
 * shared object without loading it, so a module built for another ABI never
 * runs code (constructors included). The file is hostile input: every read
 * is bounded by its size, every table by a fixed cap, and any inconsistency
 * is an error, never a crash. Only the host's byte order is accepted. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "loader.h"
#include "loaderint.h"

/* Caps on what we read into memory: far above any real module. */
#define ELF_MAX_SHNUM    4096u
#define ELF_MAX_TABLE    (32u * 1024 * 1024)

typedef struct elf_src {
	const char   *what;   /* file name for messages */
	const guint8 *buf;    /* in-memory image, or NULL to pread fd */
	int           fd;
	guint64       size;
} elf_src;

static gboolean bw_elf_fail(GError **err, const elf_src *s, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean bw_elf_fail(GError **err, const elf_src *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID, "%s: %s", s->what, msg);
	g_free(msg);
	return FALSE;
}

/* Copy [off, off+len) into dst; FALSE when out of the file. */
static gboolean bw_elf_read(const elf_src *s, guint64 off, gsize len, void *dst)
{
	if (off > s->size || len > s->size - off)
		return FALSE;
	if (s->buf) {
		memcpy(dst, s->buf + off, len);
		return TRUE;
	}
	guint8 *p = dst;
	while (len > 0) {
		ssize_t n = pread(s->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		off += (guint64)n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean bw_elf_native_data(unsigned char d)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	return d == ELFDATA2LSB;
#else
	return d == ELFDATA2MSB;
#endif
}

static gboolean bw_elf_check_header(const elf_src *s, const Elf64_Ehdr *eh,
				    guint16 machine, GError **err)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return bw_elf_fail(err, s, "not a 64-bit ELF object (class %u)",
				   eh->e_ident[EI_CLASS]);
	if (!bw_elf_native_data(eh->e_ident[EI_DATA]))
		return bw_elf_fail(err, s, "ELF byte order %u is not the host's",
				   eh->e_ident[EI_DATA]);
	if (eh->e_type != ET_DYN)
		return bw_elf_fail(err, s, "not a shared object (ELF type %u)", eh->e_type);
	if (machine != 0 && eh->e_machine != machine)
		return bw_elf_fail(err, s, "built for machine %u, this host is machine %u",
				   eh->e_machine, machine);
	if (eh->e_shoff == 0 || eh->e_shnum == 0)
		return bw_elf_fail(err, s, "no section headers");
	if (eh->e_shnum > ELF_MAX_SHNUM)
		return bw_elf_fail(err, s, "%u section headers (more than %u)",
				   eh->e_shnum, ELF_MAX_SHNUM);
	if (eh->e_shentsize < sizeof(Elf64_Shdr))
		return bw_elf_fail(err, s, "section header size %u too small", eh->e_shentsize);
	return TRUE;
}

static Elf64_Shdr *bw_elf_read_shdrs(const elf_src *s, const Elf64_Ehdr *eh, GError **err)
{
	Elf64_Shdr *sh = g_new0(Elf64_Shdr, eh->e_shnum);
	for (guint i = 0; i < eh->e_shnum; i++) {
		guint64 off = eh->e_shoff + (guint64)i * eh->e_shentsize;
		if (off < eh->e_shoff || !bw_elf_read(s, off, sizeof(Elf64_Shdr), &sh[i])) {
			bw_elf_fail(err, s, "section header %u lies outside the file", i);
			g_free(sh);
			return NULL;
		}
	}
	return sh;
}

/* A whole section's bytes, bounded by the file and ELF_MAX_TABLE. */
static guint8 *bw_elf_read_section(const elf_src *s, const Elf64_Shdr *sh,
				   const char *what, GError **err)
{
	if (sh->sh_size == 0 || sh->sh_size > ELF_MAX_TABLE) {
		bw_elf_fail(err, s, "%s has an unreasonable size (%" G_GUINT64_FORMAT " bytes)",
			    what, (guint64)sh->sh_size);
		return NULL;
	}
	guint8 *buf = g_malloc(sh->sh_size);
	if (!bw_elf_read(s, sh->sh_offset, sh->sh_size, buf)) {
		bw_elf_fail(err, s, "%s lies outside the file", what);
		g_free(buf);
		return NULL;
	}
	return buf;
}

/* Index of the symbol named BW_MODULE_SYMBOL, or -1. */
static gint64 bw_elf_find_sym(const guint8 *syms, guint64 nsyms, guint64 entsize,
			      const guint8 *str, guint64 strsize, Elf64_Sym *out)
{
	static const char want[] = BW_MODULE_SYMBOL;
	for (guint64 i = 0; i < nsyms; i++) {
		Elf64_Sym sym;
		memcpy(&sym, syms + i * entsize, sizeof sym);
		if (sym.st_name >= strsize || strsize - sym.st_name < sizeof want)
			continue;
		if (memcmp(str + sym.st_name, want, sizeof want) == 0) {
			*out = sym;
			return (gint64)i;
		}
	}
	return -1;
}

static gboolean bw_elf_lookup(const elf_src *s, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
			      Elf64_Sym *sym, GError **err)
{
	const Elf64_Shdr *ds = NULL;
	for (guint i = 0; i < eh->e_shnum && !ds; i++)
		if (sh[i].sh_type == SHT_DYNSYM)
			ds = &sh[i];
	if (!ds)
		return bw_elf_fail(err, s, "no dynamic symbol table (.dynsym)");
	if (ds->sh_entsize < sizeof(Elf64_Sym) || ds->sh_link == 0 || ds->sh_link >= eh->e_shnum
	    || sh[ds->sh_link].sh_type != SHT_STRTAB)
		return bw_elf_fail(err, s, "malformed .dynsym header");
	guint8 *syms = bw_elf_read_section(s, ds, ".dynsym", err);
	if (!syms)
		return FALSE;
	guint8 *str = bw_elf_read_section(s, &sh[ds->sh_link], ".dynstr", err);
	if (!str) {
		g_free(syms);
		return FALSE;
	}
	gint64 idx = bw_elf_find_sym(syms, ds->sh_size / ds->sh_entsize, ds->sh_entsize,
				     str, sh[ds->sh_link].sh_size, sym);
	g_free(syms);
	g_free(str);
	if (idx < 0)
		return bw_elf_fail(err, s, "does not export %s (not a Bulwark module)",
				   BW_MODULE_SYMBOL);
	return TRUE;
}

/* File offset of the symbol's first 12 bytes through its section. */
static gboolean bw_elf_sym_offset(const elf_src *s, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
				  const Elf64_Sym *sym, guint64 *off, GError **err)
{
	if (ELF64_ST_TYPE(sym->st_info) != STT_OBJECT)
		return bw_elf_fail(err, s, "%s is not a data object", BW_MODULE_SYMBOL);
	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= eh->e_shnum)
		return bw_elf_fail(err, s, "%s is not defined in this file", BW_MODULE_SYMBOL);
	if (sym->st_size < sizeof(bw_elf_abi))
		return bw_elf_fail(err, s, "%s is too small (%" G_GUINT64_FORMAT " bytes)",
				   BW_MODULE_SYMBOL, (guint64)sym->st_size);
	const Elf64_Shdr *sec = &sh[sym->st_shndx];
	if (sec->sh_type == SHT_NOBITS)
		return bw_elf_fail(err, s, "%s has no bytes in the file", BW_MODULE_SYMBOL);
	if (sym->st_value < sec->sh_addr || sym->st_value - sec->sh_addr > sec->sh_size
	    || sec->sh_size - (sym->st_value - sec->sh_addr) < sizeof(bw_elf_abi))
		return bw_elf_fail(err, s, "%s lies outside its section", BW_MODULE_SYMBOL);
	guint64 o = sec->sh_offset + (sym->st_value - sec->sh_addr);
	if (o < sec->sh_offset)
		return bw_elf_fail(err, s, "%s offset overflows", BW_MODULE_SYMBOL);
	*off = o;
	return TRUE;
}

static gboolean bw_elf_parse(const elf_src *s, guint16 machine, bw_elf_abi *out, GError **err)
{
	Elf64_Ehdr eh;
	unsigned char magic[SELFMAG];
	if (!bw_elf_read(s, 0, sizeof magic, magic) || memcmp(magic, ELFMAG, SELFMAG) != 0)
		return bw_elf_fail(err, s, "not an ELF file (bad magic)");
	if (!bw_elf_read(s, 0, sizeof eh, &eh))
		return bw_elf_fail(err, s, "too short for an ELF64 header");
	if (!bw_elf_check_header(s, &eh, machine, err))
		return FALSE;
	Elf64_Shdr *sh = bw_elf_read_shdrs(s, &eh, err);
	if (!sh)
		return FALSE;
	Elf64_Sym sym = { 0 };
	guint64 off = 0;
	gboolean ok = bw_elf_lookup(s, &eh, sh, &sym, err)
		&& bw_elf_sym_offset(s, &eh, sh, &sym, &off, err);
	g_free(sh);
	if (!ok)
		return FALSE;
	uint32_t f[3];
	if (!bw_elf_read(s, off, sizeof f, f))
		return bw_elf_fail(err, s, "%s lies outside the file", BW_MODULE_SYMBOL);
	out->abi_major = f[0];
	out->abi_minor = f[1];
	out->size = f[2];
	return TRUE;
}

gboolean bw_elf_parse_abi(const guint8 *buf, gsize len, guint16 machine,
			  bw_elf_abi *out, GError **err)
{
	elf_src s = { .what = "(memory)", .buf = buf, .fd = -1, .size = len };
	return bw_elf_parse(&s, machine, out, err);
}

static guint16 bw_elf_build_machine(void)
{
#if defined(__x86_64__)
	return EM_X86_64;
#elif defined(__aarch64__)
	return EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
	return EM_RISCV;
#elif defined(__powerpc64__)
	return EM_PPC64;
#elif defined(__s390x__)
	return EM_S390;
#else
	return 0;
#endif
}

guint16 bw_elf_host_machine(void)
{
	static gsize once;
	static guint16 machine;
	if (g_once_init_enter(&once)) {
		Elf64_Ehdr eh;
		int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		machine = bw_elf_build_machine();
		/* e_machine sits at the same offset in ELF32 and ELF64 headers. */
		if (fd >= 0 && pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh
		    && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0)
			machine = eh.e_machine;
		if (fd >= 0)
			close(fd);
		g_once_init_leave(&once, 1);
	}
	return machine;
}

gboolean bw_elf_read_abi(const char *path, bw_elf_abi *out, GError **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND,
			    "%s: cannot open: %s", path, g_strerror(e));
		return FALSE;
	}
	struct stat st;
	gboolean ok;
	elf_src s = { .what = path, .buf = NULL, .fd = fd };
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ok = bw_elf_fail(err, &s, "not a regular file");
	} else {
		s.size = (guint64)st.st_size;
		ok = bw_elf_parse(&s, bw_elf_host_machine(), out, err);
	}
	close(fd);
	return ok;
}
