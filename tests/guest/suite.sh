# SPDX-License-Identifier: GPL-2.0
# The test suite, as run inside each lane's VM by tests/lab/guest-init.sh.
# Every step is a TAP program; `run NAME CMD...` records its output.
run t_params /tests/t_params /devmm.ko
run t_control /tests/t_control /devmm.ko
run t_core /tests/t_core /devmm.ko
run t_evict /tests/t_evict /devmm.ko
run t_mmap /tests/t_mmap /devmm.ko
run t_trace /tests/t_trace /devmm.ko
# Races a review found, each against the fix that closed it.
run t_race /tests/t_race /devmm.ko
# Device reads and writes by the kind of user buffer they copy to or from.
run t_copy /tests/t_copy /devmm.ko
# Pages follow the caller's memory policy when CPUs share the work (two nodes).
run t_numa /tests/t_numa /devmm.ko
# Demand paging: range attributes, device faults that migrate, exact eviction.
run t_demand /tests/t_demand /devmm.ko
# The kernel's demand paging against its model, devmm-sim (docs/model.md), on
# a device of each kind the lane has.
run replay-diff sh /tests/replay-diff.sh --load /devmm.ko
# Random ioctls (DEVMM_FUZZ_CALLS of them), then random load with every page
# checked (DEVMM_STRESS_SECONDS); both print their seed.
run t_fuzz /tests/t_fuzz /devmm.ko
run t_stress /tests/t_stress /devmm.ko
# The kernel's own hmm selftest against devmm's test_hmm-compatible nodes.
run upstream-hmm sh /tests/upstream-hmm.sh /lane.xfail $LANE_HMM_ARGS
# devmmctl (libdevmm, libkmod) as a user drives it; leaves devmm unloaded.
run devmmctl sh /tests/devmmctl.sh /devmm.ko
# Last, with devmm unloaded: nothing it allocated may be leaked.
run kmemleak sh /tests/kmemleak.sh
