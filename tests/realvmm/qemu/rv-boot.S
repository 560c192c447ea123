/* SPDX-License-Identifier: MIT */
/*
 * A boot sector for QEMU -M pc with its own SeaBIOS (on a floppy image):
 * SeaBIOS loads it at 0000:7c00 and jumps there; it prints a line on the
 * debug console (port 0xe9, -debugcon stdio) and writes 1 to
 * isa-debug-exit (port 0xf4): QEMU exits with status (1 << 1) | 1 = 3.
 */
	.code16
	.text
start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov $0xe9, %dx
	mov $msg, %si
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	mov $0xf4, %dx
	mov $0x1, %al
	out %al, %dx
3:	hlt
	jmp 3b
msg:	.asciz "hello from a boot sector on port 0xe9\n"
	.org 510
	.byte 0x55, 0xaa
