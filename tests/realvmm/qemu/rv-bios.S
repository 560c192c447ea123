/* SPDX-License-Identifier: MIT */
/*
 * A 64 KiB -bios image for QEMU: from the reset vector, print a line on
 * the debug console (port 0xe9, -debugcon stdio) and write 1 to
 * isa-debug-exit (port 0xf4): QEMU exits with status (1 << 1) | 1 = 3.
 * With -DIDLE it halts forever instead (an idle guest for the SIGTERM
 * check).  Real mode throughout: QEMU maps the image's last 128 KiB
 * below 1 MiB too, where the far jump goes.
 */
	.code16
	.text
	.org 0xff00
start:
	mov $0xe9, %dx
	mov $msg, %si
1:	cs lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:
#ifndef IDLE
	mov $0xf4, %dx
	mov $0x1, %al
	out %al, %dx
#endif
3:	hlt
	jmp 3b
msg:	.asciz "hello from a -bios guest on port 0xe9\n"
	.org 0xfff0
	ljmp $0xf000, $start
	.org 0x10000
