// SPDX-License-Identifier: MIT
/*
 * The in-kernel 8254 PIT (arch/x86/kvm/i8254.c), on the virtual clock:
 * three channels at ports 0x40-0x43 counting at 1,193,181 Hz (counts and
 * latches are computed from virtual time when read), the speaker port
 * 0x61 with KVM_PIT_SPEAKER_DUMMY (channel 2's gate), and channel 0's
 * timer driving GSI 0: one-shot in modes 0, 1 and 4, periodic in modes 2
 * and 3 (never faster than KVM's 200 us floor).
 *
 * The hrtimer is the "kvm-pit" actor (the kernel's kvm-pit/<pid> kthread
 * with its hrtimer folded in): it sleeps until the expiry on virtual
 * time, then raises and lowers GSI 0 (pit_do_work).  In reinject mode
 * (the default, KVM_REINJECT_CONTROL) a tick waits for the guest's ack of
 * the previous one, and ticks missed meanwhile are owed and sent one per
 * ack; the actor then sleeps without a deadline, so a guest that never
 * acknowledges leaves nothing runnable (a deadlock verdict, not a spin),
 * and the ticks that would have fired are counted when the ack comes.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_irq.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define KVM_PIT_BASE_ADDRESS		0x40
#define KVM_SPEAKER_BASE_ADDRESS	0x61
#define KVM_PIT_MEM_LENGTH		4
#define KVM_PIT_FREQ			1193181ull
#define KVM_PIT_CHANNEL_MASK		0x3
#define NSEC_PER_SEC			1000000000ull
#define MIN_TIMER_PERIOD_NS		200000	/* min_timer_period_us = 200 */

enum { RW_STATE_LSB = 1, RW_STATE_MSB, RW_STATE_WORD0, RW_STATE_WORD1 };

struct kvm_pit {
	struct kvm *kvm;
	struct kvm_pit_channel_state channels[3];
	uint32_t flags;
	/* channel 0's hrtimer */
	bool armed;
	bool is_periodic;
	uint64_t period;	/* ns */
	uint64_t expires;	/* virtual ns; kept after a one-shot fired */
	/* reinjection */
	bool reinject;
	uint64_t pending;
	bool irq_ack;
	bool work_queued;	/* pit->expired is on the worker */
	int irq_source_id;
	struct kvm_irq_ack_notifier ack_notifier;
	struct kvm_irq_mask_notifier mask_notifier;
	struct kvm_io_device dev, speaker_dev;
	bool speaker;
	struct sim_actor *worker;
	struct sim_waitq wq;
	bool exit;
};

static struct kvm_pit *vm_pit(struct kvm *kvm)
{
	return kvm->x86->vpit;
}

/* pit_timer_fn, for every expiry up to now (the hrtimer fired meanwhile) */
static void pit_timer_catch_up(struct kvm_pit *pit)
{
	uint64_t now = sim_now(), n;

	if (!pit->armed || now < pit->expires)
		return;
	n = pit->is_periodic ? (now - pit->expires) / pit->period + 1 : 1;
	if (pit->reinject)
		pit->pending += n;
	pit->work_queued = true;
	if (pit->is_periodic)
		pit->expires += n * pit->period;
	else
		pit->armed = false;
}

/* ns since channel 0's counter was (re)loaded, or since the last period */
static int64_t kpit_elapsed(struct kvm_pit *pit, int channel)
{
	if (channel)
		return (int64_t)sim_now() - pit->channels[channel].count_load_time;
	if (!pit->period)
		return 0;
	pit_timer_catch_up(pit);
	return (int64_t)pit->period - ((int64_t)pit->expires - (int64_t)sim_now());
}

static uint64_t pit_ticks(struct kvm_pit *pit, int channel)
{
	int64_t t = kpit_elapsed(pit, channel);

	return t <= 0 ? 0 : (uint64_t)t * KVM_PIT_FREQ / NSEC_PER_SEC;
}

static int pit_get_count(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->channels[channel];
	uint64_t d = pit_ticks(pit, channel);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		return (c->count - d) & 0xffff;
	case 3:
		return c->count - (2 * d) % c->count;
	default:
		return c->count - d % c->count;
	}
}

static int pit_get_out(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->channels[channel];
	uint64_t d = pit_ticks(pit, channel);

	switch (c->mode) {
	default:
	case 0:
		return d >= c->count;
	case 1:
		return d < c->count;
	case 2:
		return d % c->count == 0 && d != 0;
	case 3:
		return d % c->count < (c->count + 1) >> 1;
	case 4:
	case 5:
		return d == c->count;
	}
}

static void pit_latch_count(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->channels[channel];

	if (!c->count_latched) {
		c->latched_count = pit_get_count(pit, channel);
		c->count_latched = c->rw_mode;
	}
}

static void pit_latch_status(struct kvm_pit *pit, int channel)
{
	struct kvm_pit_channel_state *c = &pit->channels[channel];

	if (!c->status_latched) {
		c->status = pit_get_out(pit, channel) << 7 | c->rw_mode << 4 | c->mode << 1 |
			    c->bcd;
		c->status_latched = 1;
	}
}

static void kvm_pit_reset_reinject(struct kvm_pit *pit)
{
	pit->pending = 0;
	pit->irq_ack = true;
}

static void trace_pit_timer(struct kvm_pit *pit)
{
	struct sim_ev *ev = sim_ev_begin("create_pit_timer");

	sim_ev_int(ev, "period_ns", pit->period);
	sim_ev_bool(ev, "periodic", pit->is_periodic);
	sim_ev_end(ev);
}

static void destroy_pit_timer(struct kvm_pit *pit)
{
	pit->armed = false;
	pit->work_queued = false;
}

static void create_pit_timer(struct kvm_pit *pit, uint32_t val, bool is_period)
{
	if (!pit->kvm->x86->vioapic || (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY))
		return;
	destroy_pit_timer(pit);
	pit->period = val * NSEC_PER_SEC / KVM_PIT_FREQ;
	pit->is_periodic = is_period;
	kvm_pit_reset_reinject(pit);
	/* no periodic timer below the floor: hrtimers are not throttled */
	if (is_period && pit->period < MIN_TIMER_PERIOD_NS)
		pit->period = MIN_TIMER_PERIOD_NS;
	pit->expires = sim_now() + val * NSEC_PER_SEC / KVM_PIT_FREQ;
	pit->armed = true;
	trace_pit_timer(pit);
	sim_wake_all(&pit->wq);
}

static void pit_load_count(struct kvm_pit *pit, int channel, uint32_t val)
{
	/* the largest initial count is 0: 65536 */
	if (!val)
		val = 0x10000;
	pit->channels[channel].count = val;
	if (channel) {
		pit->channels[channel].count_load_time = sim_now();
		return;
	}
	switch (pit->channels[0].mode) {
	case 0:
	case 1:
	case 4:
		create_pit_timer(pit, val, false);
		break;
	case 2:
	case 3:
		create_pit_timer(pit, val, true);
		break;
	default:
		destroy_pit_timer(pit);
	}
}

static void kvm_pit_load_count(struct kvm_pit *pit, int channel, uint32_t val,
			       bool hpet_legacy_start)
{
	uint8_t saved_mode;

	if (hpet_legacy_start) {
		saved_mode = pit->channels[0].mode;
		pit->channels[0].mode = 0xff;	/* disable the timer */
		pit_load_count(pit, channel, val);
		pit->channels[0].mode = saved_mode;
	} else {
		pit_load_count(pit, channel, val);
	}
}

/* pit_do_work: one tick on GSI 0, unless the last one is still unacked */
static void pit_do_work(struct kvm_pit *pit)
{
	struct sim_ev *ev;

	if (pit->reinject) {
		if (!pit->irq_ack)
			return;
		pit->irq_ack = false;
	}
	ev = sim_ev_begin("pit_do_work");
	sim_ev_int(ev, "pending", pit->pending);
	sim_ev_end(ev);
	kvm_set_irq(pit->kvm, pit->irq_source_id, 0, 1, false);
	kvm_set_irq(pit->kvm, pit->irq_source_id, 0, 0, false);
}

/* kvm_pit_ack_irq: the guest took the tick; an owed one goes out next */
static void kvm_pit_ack_irq(struct kvm_irq_ack_notifier *kian)
{
	struct kvm_pit *pit = (void *)((char *)kian - offsetof(struct kvm_pit, ack_notifier));

	pit->irq_ack = true;
	pit_timer_catch_up(pit);
	if (pit->pending > 0 && --pit->pending > 0)
		pit->work_queued = true;
	sim_wake_all(&pit->wq);
}

static void pit_mask_notifier(struct kvm_irq_mask_notifier *kimn, bool mask)
{
	struct kvm_pit *pit = (void *)((char *)kimn - offsetof(struct kvm_pit, mask_notifier));

	if (!mask)
		kvm_pit_reset_reinject(pit);
}

static void kvm_pit_set_reinject(struct kvm_pit *pit, bool reinject)
{
	if (pit->reinject == reinject)
		return;
	if (reinject) {
		kvm_pit_reset_reinject(pit);
		kvm_register_irq_ack_notifier(pit->kvm, &pit->ack_notifier);
		kvm_register_irq_mask_notifier(pit->kvm, 0, &pit->mask_notifier);
	} else {
		kvm_unregister_irq_ack_notifier(pit->kvm, &pit->ack_notifier);
		kvm_unregister_irq_mask_notifier(pit->kvm, &pit->mask_notifier);
	}
	pit->reinject = reinject;
}

/*
 * The kvm-pit kthread with the hrtimer: sleeps until channel 0 expires,
 * or without a deadline while a reinjected tick waits for its ack.
 */
static void pit_worker(void *arg)
{
	struct kvm_pit *pit = arg;

	for (;;) {
		if (pit->exit) {
			free(pit);
			sim_exit();
		}
		pit_timer_catch_up(pit);
		if (pit->work_queued) {
			pit->work_queued = false;
			/* where the tick lands against a running vCPU */
			sim_sync_point("pit_do_work");
			if (!pit->exit)
				pit_do_work(pit);
			continue;
		}
		if (pit->armed && !(pit->reinject && !pit->irq_ack))
			sim_wait_until(&pit->wq, pit->expires);
		else
			sim_wait(&pit->wq);
	}
}

/* ---- port I/O ---- */

static int pit_ioport_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			    int len, const void *data)
{
	struct kvm_pit *pit = (void *)((char *)dev - offsetof(struct kvm_pit, dev));
	struct kvm_pit_channel_state *s;
	uint32_t val = *(const uint8_t *)data;
	int channel, access;

	if (addr < KVM_PIT_BASE_ADDRESS || addr >= KVM_PIT_BASE_ADDRESS + KVM_PIT_MEM_LENGTH)
		return -EOPNOTSUPP;
	addr &= KVM_PIT_CHANNEL_MASK;
	if (addr != 3) {
		/* write count */
		s = &pit->channels[addr];
		switch (s->write_state) {
		default:
		case RW_STATE_LSB:
			pit_load_count(pit, addr, val);
			break;
		case RW_STATE_MSB:
			pit_load_count(pit, addr, val << 8);
			break;
		case RW_STATE_WORD0:
			s->write_latch = val;
			s->write_state = RW_STATE_WORD1;
			break;
		case RW_STATE_WORD1:
			pit_load_count(pit, addr, s->write_latch | val << 8);
			s->write_state = RW_STATE_WORD0;
			break;
		}
		return 0;
	}
	channel = val >> 6;
	if (channel == 3) {
		/* read-back command */
		for (channel = 0; channel < 3; channel++) {
			if (!(val & (2 << channel)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(pit, channel);
			if (!(val & 0x10))
				pit_latch_status(pit, channel);
		}
		return 0;
	}
	s = &pit->channels[channel];
	access = (val >> 4) & KVM_PIT_CHANNEL_MASK;
	if (!access) {
		pit_latch_count(pit, channel);
		return 0;
	}
	s->rw_mode = access;
	s->read_state = access;
	s->write_state = access;
	s->mode = (val >> 1) & 7;
	if (s->mode > 5)
		s->mode -= 4;
	s->bcd = val & 1;
	return 0;
}

static int pit_read_counter(struct kvm_pit *pit, struct kvm_pit_channel_state *s, int ch)
{
	int ret;

	if (s->status_latched) {
		s->status_latched = 0;
		return s->status;
	}
	if (s->count_latched) {
		switch (s->count_latched) {
		default:
		case RW_STATE_LSB:
			s->count_latched = 0;
			return s->latched_count & 0xff;
		case RW_STATE_MSB:
			s->count_latched = 0;
			return s->latched_count >> 8;
		case RW_STATE_WORD0:
			s->count_latched = RW_STATE_MSB;
			return s->latched_count & 0xff;
		}
	}
	switch (s->read_state) {
	default:
	case RW_STATE_LSB:
		return pit_get_count(pit, ch) & 0xff;
	case RW_STATE_MSB:
		return (pit_get_count(pit, ch) >> 8) & 0xff;
	case RW_STATE_WORD0:
		ret = pit_get_count(pit, ch) & 0xff;
		s->read_state = RW_STATE_WORD1;
		return ret;
	case RW_STATE_WORD1:
		ret = (pit_get_count(pit, ch) >> 8) & 0xff;
		s->read_state = RW_STATE_WORD0;
		return ret;
	}
}

static int pit_ioport_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			   int len, void *data)
{
	struct kvm_pit *pit = (void *)((char *)dev - offsetof(struct kvm_pit, dev));
	uint32_t ret;

	if (addr < KVM_PIT_BASE_ADDRESS || addr >= KVM_PIT_BASE_ADDRESS + KVM_PIT_MEM_LENGTH)
		return -EOPNOTSUPP;
	addr &= KVM_PIT_CHANNEL_MASK;
	/* the control word is write-only: the access completes with nothing */
	if (addr == 3)
		return 0;
	ret = pit_read_counter(pit, &pit->channels[addr], addr);
	memcpy(data, &ret, len > 4 ? 4 : len);
	return 0;
}

static int speaker_ioport_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
				uint64_t addr, int len, const void *data)
{
	struct kvm_pit *pit = (void *)((char *)dev - offsetof(struct kvm_pit, speaker_dev));
	struct kvm_pit_channel_state *c = &pit->channels[2];
	uint32_t val = *(const uint8_t *)data;

	if (addr != KVM_SPEAKER_BASE_ADDRESS)
		return -EOPNOTSUPP;
	if (val & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	/* pit_set_gate: modes 1, 2, 3 and 5 restart counting on a rising edge */
	if ((c->mode == 1 || c->mode == 2 || c->mode == 3 || c->mode == 5) &&
	    c->gate < (val & 1))
		c->count_load_time = sim_now();
	c->gate = val & 1;
	return 0;
}

static int speaker_ioport_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
			       uint64_t addr, int len, void *data)
{
	struct kvm_pit *pit = (void *)((char *)dev - offsetof(struct kvm_pit, speaker_dev));
	/* the refresh clock toggles about every 15 us: bit 14 of the time */
	uint32_t refresh_clock = (sim_now() >> 14) & 1, ret;

	if (addr != KVM_SPEAKER_BASE_ADDRESS)
		return -EOPNOTSUPP;
	ret = !!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) << 1 | pit->channels[2].gate |
	      pit_get_out(pit, 2) << 5 | refresh_clock << 4;
	memcpy(data, &ret, len > 4 ? 4 : len);
	return 0;
}

static const struct kvm_io_device_ops pit_dev_ops = {
	.read = pit_ioport_read,
	.write = pit_ioport_write,
};

static const struct kvm_io_device_ops speaker_dev_ops = {
	.read = speaker_ioport_read,
	.write = speaker_ioport_write,
};

static void kvm_pit_reset(struct kvm_pit *pit)
{
	pit->flags = 0;
	for (int i = 0; i < 3; i++) {
		pit->channels[i].mode = 0xff;
		pit->channels[i].gate = i != 2;
		pit_load_count(pit, i, 0);
	}
	kvm_pit_reset_reinject(pit);
}

static long kvm_create_pit(struct kvm *kvm, uint32_t flags)
{
	struct kvm_pit *pit;
	struct sim_ev *ev;

	if (vm_pit(kvm))
		return -EEXIST;
	if (!kvm->x86->vpic)
		return -ENOENT;
	pit = calloc(1, sizeof(*pit));
	if (!pit)
		return -ENOMEM;
	pit->irq_source_id = kvm_request_irq_source_id(kvm);
	if (pit->irq_source_id < 0) {
		free(pit);
		return -ENOMEM;
	}
	pit->kvm = kvm;
	pit->ack_notifier.gsi = 0;
	pit->ack_notifier.irq_acked = kvm_pit_ack_irq;
	pit->mask_notifier.func = pit_mask_notifier;
	sim_waitq_init(&pit->wq, "kvm-pit");
	kvm->x86->vpit = pit;
	kvm_pit_reset(pit);
	kvm_pit_set_reinject(pit, true);
	pit->dev.ops = &pit_dev_ops;
	kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, KVM_PIT_BASE_ADDRESS, KVM_PIT_MEM_LENGTH,
				&pit->dev);
	if (flags & KVM_PIT_SPEAKER_DUMMY) {
		pit->speaker_dev.ops = &speaker_dev_ops;
		kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, KVM_SPEAKER_BASE_ADDRESS, 4,
					&pit->speaker_dev);
		pit->speaker = true;
	}
	pit->worker = sim_spawn("kvm-pit", pit_worker, pit);
	sim_make_runnable(pit->worker);
	ev = sim_ev_begin("kvm_create_pit");
	sim_ev_hex(ev, "flags", flags);
	sim_ev_end(ev);
	return 0;
}

void kvm_free_pit(struct kvm *kvm)
{
	struct kvm_pit *pit = vm_pit(kvm);

	if (!pit)
		return;
	kvm_pit_set_reinject(pit, false);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->dev);
	if (pit->speaker)
		kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &pit->speaker_dev);
	/* the worker frees it when it next runs */
	pit->exit = true;
	sim_wake_all(&pit->wq);
	kvm->x86->vpit = NULL;
}

static long kvm_vm_ioctl_pit_state(struct kvm *kvm, unsigned int cmd, void *uarg)
{
	struct kvm_pit_state2 ps;
	struct kvm_pit *pit = vm_pit(kvm);
	size_t size = cmd == KVM_GET_PIT2 || cmd == KVM_SET_PIT2 ? sizeof(ps) :
		      sizeof(struct kvm_pit_state);
	bool set = cmd == KVM_SET_PIT2 || cmd == KVM_SET_PIT;
	bool start;

	memset(&ps, 0, sizeof(ps));
	/* KVM_GET_PIT2 reads nothing from userspace, the others all of it */
	if (cmd != KVM_GET_PIT2 && copy_from_user(&ps, uarg, size))
		return -EFAULT;
	if (!pit)
		return -ENXIO;
	if (!set) {
		memcpy(ps.channels, pit->channels, sizeof(ps.channels));
		if (cmd == KVM_GET_PIT2) {
			ps.flags = pit->flags;
			memset(ps.reserved, 0, sizeof(ps.reserved));
		}
		return copy_to_user(uarg, &ps, size) ? -EFAULT : 0;
	}
	start = cmd == KVM_SET_PIT2 && !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
		(ps.flags & KVM_PIT_FLAGS_HPET_LEGACY);
	memcpy(pit->channels, ps.channels, sizeof(pit->channels));
	if (cmd == KVM_SET_PIT2)
		pit->flags = ps.flags;
	for (int i = 0; i < 3; i++)
		kvm_pit_load_count(pit, i, pit->channels[i].count, start && i == 0);
	return 0;
}

long kvm_x86_pit_ioctl(struct kvm *kvm, unsigned int cmd, void *uarg)
{
	struct kvm_pit_config config;
	struct kvm_reinject_control control;

	switch (cmd) {
	case KVM_CREATE_PIT:
		return kvm_create_pit(kvm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&config, uarg, sizeof(config)))
			return -EFAULT;
		return kvm_create_pit(kvm, config.flags);
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
		return kvm_vm_ioctl_pit_state(kvm, cmd, uarg);
	case KVM_REINJECT_CONTROL:
		if (copy_from_user(&control, uarg, sizeof(control)))
			return -EFAULT;
		if (!vm_pit(kvm))
			return -ENXIO;
		kvm_pit_set_reinject(vm_pit(kvm), control.pit_reinject);
		return 0;
	}
	return -ENOTTY;
}
