// SPDX-License-Identifier: MIT
/*
 * Guest ELF loader (libelf).  Copies each PT_LOAD segment to its physical
 * address (which must equal its virtual address: guests run identity
 * mapped) and zero-fills the rest of its memory size.  Anything malformed
 * is reported with the file name and what was wrong, and exits 1.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"

#ifndef GUEST_BIN_DIR
#error "GUEST_BIN_DIR must be defined by the build"
#endif

struct elf_file {
	const char *path;
	int fd;
	u64 file_size;
	Elf *elf;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
elf_fail(const struct elf_file *f, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "guest ELF %s: ", f->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* nothing left open behind the message (the fuzz harness comes back) */
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	exit(1);
}

const char *guest_dir(void)
{
	const char *dir = getenv("KVMSIM_GUEST_DIR");

	return dir && *dir ? dir : GUEST_BIN_DIR;
}

static void elf_open(struct elf_file *f)
{
	struct stat st;

	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		elf_fail(f, "cannot open: %m");
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode))
		elf_fail(f, "not a regular file");
	f->file_size = st.st_size;

	if (elf_version(EV_CURRENT) == EV_NONE)
		elf_fail(f, "libelf: %s", elf_errmsg(-1));
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf)
		elf_fail(f, "libelf: %s", elf_errmsg(-1));
}

static void elf_check_header(struct elf_file *f, GElf_Ehdr *ehdr)
{
	if (elf_kind(f->elf) != ELF_K_ELF)
		elf_fail(f, "not an ELF file (bad magic)");
	if (gelf_getclass(f->elf) != ELFCLASS64)
		elf_fail(f, "ELF class %d, expected ELFCLASS64",
			 gelf_getclass(f->elf));
	if (!gelf_getehdr(f->elf, ehdr))
		elf_fail(f, "unreadable ELF header: %s", elf_errmsg(-1));
	if (ehdr->e_ident[EI_DATA] != ELFDATA2LSB)
		elf_fail(f, "not little-endian");
#ifdef SCENARIO_ARM64
	if (ehdr->e_machine != EM_AARCH64)
		elf_fail(f, "e_machine %u, expected EM_AARCH64 (%u)",
			 ehdr->e_machine, EM_AARCH64);
#else
	if (ehdr->e_machine != EM_X86_64)
		elf_fail(f, "e_machine %u, expected EM_X86_64 (%u)",
			 ehdr->e_machine, EM_X86_64);
#endif
	if (ehdr->e_type != ET_EXEC)
		elf_fail(f, "e_type %u, expected ET_EXEC (%u): guests are "
			 "linked at a fixed address", ehdr->e_type, ET_EXEC);
	/* libelf would just report no program headers for these. */
	if (ehdr->e_phnum && ehdr->e_phentsize != sizeof(Elf64_Phdr))
		elf_fail(f, "e_phentsize %u, expected %zu", ehdr->e_phentsize,
			 sizeof(Elf64_Phdr));
	if (ehdr->e_phoff > f->file_size ||
	    (u64)ehdr->e_phnum * sizeof(Elf64_Phdr) >
	    f->file_size - ehdr->e_phoff)
		elf_fail(f, "program header table (%u entries at offset %#lx) "
			 "is past the end of the file (%#lx bytes)",
			 ehdr->e_phnum, ehdr->e_phoff, f->file_size);
}

static void elf_load_segment(struct kvm_vm *vm, struct elf_file *f, int i,
			     const GElf_Phdr *ph)
{
	u8 *dst;

	if (ph->p_filesz > ph->p_memsz)
		elf_fail(f, "segment %d: p_filesz %#lx > p_memsz %#lx", i,
			 ph->p_filesz, ph->p_memsz);
	if (ph->p_offset > f->file_size ||
	    ph->p_filesz > f->file_size - ph->p_offset)
		elf_fail(f, "segment %d: file range [%#lx, +%#lx) is past the "
			 "end of the file (%#lx bytes)", i, ph->p_offset,
			 ph->p_filesz, f->file_size);
	if (ph->p_vaddr != ph->p_paddr)
		elf_fail(f, "segment %d: p_vaddr %#lx != p_paddr %#lx, expected "
			 "an identity-mapped image", i, ph->p_vaddr,
			 ph->p_paddr);
	if (ph->p_paddr < GUEST_IMAGE_GPA ||
	    ph->p_paddr + ph->p_memsz > GUEST_MAIN_SIZE ||
	    ph->p_paddr + ph->p_memsz < ph->p_paddr)
		elf_fail(f, "segment %d: [%#lx, %#lx) is outside the guest "
			 "image area [%#llx, %#llx)", i, ph->p_paddr,
			 ph->p_paddr + ph->p_memsz,
			 (unsigned long long)GUEST_IMAGE_GPA,
			 (unsigned long long)GUEST_MAIN_SIZE);
	if (!ph->p_memsz)
		return;

	dst = gpa_to_hva(vm, ph->p_paddr, ph->p_memsz);
	if (ph->p_filesz &&
	    pread(f->fd, dst, ph->p_filesz, ph->p_offset) != (ssize_t)ph->p_filesz)
		elf_fail(f, "segment %d: short read", i);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
}

u64 vm_load_elf(struct kvm_vm *vm, const char *path)
{
	struct elf_file f = { .path = path, .fd = -1 };
	bool entry_ok = false;
	int nr_loads = 0;
	GElf_Ehdr ehdr;
	size_t phnum;

	elf_open(&f);
	elf_check_header(&f, &ehdr);
	if (elf_getphdrnum(f.elf, &phnum) < 0)
		elf_fail(&f, "unreadable program headers: %s", elf_errmsg(-1));

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f.elf, i, &ph))
			elf_fail(&f, "program header %zu: %s", i, elf_errmsg(-1));
		if (ph.p_type != PT_LOAD)
			continue;
		elf_load_segment(vm, &f, i, &ph);
		nr_loads++;
		if ((ph.p_flags & PF_X) && ehdr.e_entry >= ph.p_vaddr &&
		    ehdr.e_entry < ph.p_vaddr + ph.p_memsz)
			entry_ok = true;
	}
	if (!nr_loads)
		elf_fail(&f, "no PT_LOAD segments");
	if (!entry_ok)
		elf_fail(&f, "entry point %#lx is not inside an executable "
			 "PT_LOAD segment", ehdr.e_entry);

	elf_end(f.elf);
	close(f.fd);
	return ehdr.e_entry;
}

/* name: "hello" -> <guest dir>/<arch>/hello.elf; a path with '/' as is. */
u64 vm_load_guest(struct kvm_vm *vm, const char *name)
{
	char path[4096];
	int n;

	if (strchr(name, '/'))
		return vm_load_elf(vm, name);
#ifdef SCENARIO_ARM64
	n = snprintf(path, sizeof(path), "%s/arm64/%s.elf", guest_dir(), name);
#else
	n = snprintf(path, sizeof(path), "%s/x86_64/%s.elf", guest_dir(), name);
#endif
	ASSERT(n > 0 && n < (int)sizeof(path), "guest path too long");
	return vm_load_elf(vm, path);
}
