// SPDX-License-Identifier: MIT
/* rv-tls's dlopened module: one thread-local int, initially 7. */
static __thread int slot = 7;

int *rv_tlsmod_slot(void)
{
	return &slot;
}
