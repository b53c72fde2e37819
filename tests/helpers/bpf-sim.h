/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A classic-BPF interpreter for seccomp programs, for offline tests of the exported filter
 * (libseccomp's bpf-sim in spirit): run a struct sock_fprog over a struct seccomp_data and
 * get the 32-bit action.
 *
 *	uint32_t action;
 *	ASSERT_EQ(0, bpf_sim_run(&prog, &data, &action));
 *	ASSERT_EQ(SECCOMP_RET_ERRNO | EPERM, action);
 *
 * It executes exactly the instruction set the kernel accepts for seccomp
 * (seccomp_check_filter() and bpf_check_classic()) with the kernel's semantics. Anything else,
 * a load outside seccomp_data, a jump out of the program, a division by zero or a shift by 32
 * or more is refused: bpf_sim_run() prints a "# bpf-sim:" diagnostic and returns -EINVAL, never
 * a guessed action.
 */
#pragma once

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline int bpf_sim_fail(unsigned int pc, const struct sock_filter *insn, const char *why)
{
	printf("# bpf-sim: pc %u: code 0x%04x jt %u jf %u k 0x%08x: %s\n", pc, insn->code, insn->jt,
	       insn->jf, insn->k, why);
	fflush(stdout);
	return -EINVAL;
}

/* Returns 0 and the action in *ret_action, or -EINVAL (diagnostic printed). */
static inline int bpf_sim_run(const struct sock_fprog *prog, const struct seccomp_data *data,
			      uint32_t *ret_action)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	unsigned char bytes[sizeof(*data)];

	if (!prog || !prog->filter || prog->len == 0 || prog->len > BPF_MAXINSNS) {
		printf("# bpf-sim: empty or oversized program\n");
		return -EINVAL;
	}
	memcpy(bytes, data, sizeof(bytes));

	for (unsigned int pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *in = &prog->filter[pc];
		uint32_t k = in->k, src, jump;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
		case BPF_LDX: {
			uint32_t v;
			if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (k >= sizeof(*data) || (k & 3))
					return bpf_sim_fail(pc, in, "load outside seccomp_data");
				memcpy(&v, bytes + k, sizeof(v));
			} else if (in->code == (BPF_LD | BPF_W | BPF_LEN) ||
				   in->code == (BPF_LDX | BPF_W | BPF_LEN)) {
				v = sizeof(*data);
			} else if (BPF_MODE(in->code) == BPF_IMM && BPF_SIZE(in->code) == BPF_W) {
				v = k;
			} else if (BPF_MODE(in->code) == BPF_MEM && BPF_SIZE(in->code) == BPF_W) {
				if (k >= BPF_MEMWORDS)
					return bpf_sim_fail(pc, in, "scratch index out of range");
				v = mem[k];
			} else {
				return bpf_sim_fail(pc, in, "load mode not allowed in seccomp");
			}
			if (BPF_CLASS(in->code) == BPF_LD)
				a = v;
			else
				x = v;
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (in->code != BPF_ST && in->code != BPF_STX)
				return bpf_sim_fail(pc, in, "bad store");
			if (k >= BPF_MEMWORDS)
				return bpf_sim_fail(pc, in, "scratch index out of range");
			mem[k] = in->code == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			if (BPF_OP(in->code) == BPF_NEG) {
				if (in->code != (BPF_ALU | BPF_NEG))
					return bpf_sim_fail(pc, in, "bad neg");
				a = -a;
				break;
			}
			src = BPF_SRC(in->code) == BPF_X ? x : k;
			switch (BPF_OP(in->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_OR: a |= src; break;
			case BPF_AND: a &= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_DIV:
				if (src == 0)
					return bpf_sim_fail(pc, in, "division by zero");
				a /= src;
				break;
			case BPF_LSH:
			case BPF_RSH:
				if (src >= 32)
					return bpf_sim_fail(pc, in, "shift by 32 or more");
				a = BPF_OP(in->code) == BPF_LSH ? a << src : a >> src;
				break;
			default: /* BPF_MOD included: seccomp does not accept it */
				return bpf_sim_fail(pc, in, "ALU op not allowed in seccomp");
			}
			break;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA) {
				if (in->code != (BPF_JMP | BPF_JA))
					return bpf_sim_fail(pc, in, "bad ja");
				jump = k;
			} else {
				bool cond;
				src = BPF_SRC(in->code) == BPF_X ? x : k;
				switch (BPF_OP(in->code)) {
				case BPF_JEQ: cond = a == src; break;
				case BPF_JGT: cond = a > src; break;
				case BPF_JGE: cond = a >= src; break;
				case BPF_JSET: cond = (a & src) != 0; break;
				default:
					return bpf_sim_fail(pc, in, "unknown jump op");
				}
				jump = cond ? in->jt : in->jf;
			}
			if (jump >= prog->len - pc - 1)
				return bpf_sim_fail(pc, in, "jump out of the program");
			pc += jump;
			break;
		case BPF_RET:
			if (in->code == (BPF_RET | BPF_K))
				*ret_action = k;
			else if (in->code == (BPF_RET | BPF_A))
				*ret_action = a;
			else
				return bpf_sim_fail(pc, in, "bad return");
			return 0;
		case BPF_MISC:
			if (in->code == (BPF_MISC | BPF_TAX))
				x = a;
			else if (in->code == (BPF_MISC | BPF_TXA))
				a = x;
			else
				return bpf_sim_fail(pc, in, "unknown misc op");
			break;
		default:
			return bpf_sim_fail(pc, in, "unknown instruction class");
		}
	}
	printf("# bpf-sim: fell off the end of the program\n");
	return -EINVAL;
}

/* One instruction per line, "# "-prefixed (TAP diagnostics), for debugging a failing case. */
static inline void bpf_sim_dump(const struct sock_fprog *prog)
{
	for (unsigned int pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *in = &prog->filter[pc];
		printf("# %4u: code 0x%04x jt %3u jf %3u k 0x%08x\n", pc, in->code, in->jt, in->jf,
		       in->k);
	}
}
